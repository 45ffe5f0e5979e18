import type { StoredImage } from '../domain/image';
import { contentKeys } from '../domain/variant-ladder';
import { originalKeyOf } from '../pipeline/content-publisher';
import { isSettled } from '../pipeline/settlement';
import { RERENDER_REFERENCE, type TableWalk } from '../rerender/rerender';

/** One object of the bucket as a listing gives it. */
export interface ListedObject {
  key: string;
  lastModified: number;
}

export interface AuditPorts {
  /** The table's SKU and content items, once (a Scan deployed). */
  walk: TableWalk;
  /** Every object under `prefix`, page by page. */
  objects(prefix: string): AsyncIterable<ListedObject>;
  /** Messages waiting in the dead-letter queues (or lines in the dead-letter file). */
  deadLetters(): Promise<number>;
  now(): number;
  /** A pending image older than this is stuck: the sweeper's patience. */
  pendingPatienceMs: number;
  /** An object no content refers to, younger than this, may belong to a render in progress. */
  orphanGraceMs: number;
  /** Called as the walk goes, for a progress line. */
  onProgress?(progress: { items: number; objects: number }): void;
}

export const FINDING_KINDS = [
  'stuckPending',
  'missingObjects',
  'orphanObjects',
  'referenceMismatch',
  'unannounced',
  'deadLetters',
] as const;
export type FindingKind = (typeof FINDING_KINDS)[number];

export interface Finding {
  count: number;
  /** The first few, as a person would look them up. */
  examples: string[];
}

/** Where an image is, and what it was when the walk read it. */
export interface ImagePlace {
  sku: string;
  imageId: number;
  status: string;
  sha256: string | null;
}

/** Every damage found, in full (the findings keep only the first few): what `--fix` works from. */
export interface AuditDamage {
  stuck: Array<{ sku: string; imageId: number }>;
  /** Missing object keys, by the content they belong to. */
  missing: Map<string, string[]>;
  orphans: string[];
  /** Per content: images holding it that it does not count, and references no image holding it has. */
  mismatches: Array<{ sha256: string; uncounted: ImagePlace[]; stray: ImagePlace[] }>;
  unannounced: string[];
}

export interface AuditReport {
  scanned: { skus: number; images: number; contents: number; objects: number };
  findings: Record<FindingKind, Finding>;
  /** True when every finding is zero. */
  clean: boolean;
  damage: AuditDamage;
}

const EXAMPLES = 5;

/** Every key a ready image's answers point at: its original and each rendition. */
function keysOf(image: StoredImage): string[] {
  const sha = image.content_sha256;
  if (!image.object_key) return [];
  if (!sha) return [image.object_key];
  const formats = [...new Set((image.variants ?? []).map((variant) => variant.format))];
  return [
    image.object_key,
    ...(image.variants ?? []).map((variant) => contentKeys.variant(sha, variant.width, variant.format)),
    ...(image.tiles ?? []).flatMap((tileSet) =>
      tileSet.widths.flatMap((width) =>
        formats.map((format) => contentKeys.tile(sha, tileSet.set, width, format)),
      ),
    ),
    ...(image.swatches ?? []).flatMap((width) =>
      formats.map((format) => contentKeys.swatch(sha, width, format)),
    ),
  ];
}

/** The content hash an object key belongs to (`o/<sha>/…`, `v/<sha>/…`); null for other keys. */
export function contentOfObject(key: string): string | null {
  return /^[ov]\/([0-9a-f]{64})\//.exec(key)?.[1] ?? null;
}

/**
 * Whether the store is whole: one walk of the table and one listing of the bucket, compared. Reads
 * only; what it finds is counted, with the first few of each kind.
 */
export async function auditStore(ports: AuditPorts): Promise<AuditReport> {
  const findings = {} as Record<FindingKind, Finding>;
  for (const kind of FINDING_KINDS) findings[kind] = { count: 0, examples: [] };
  const note = (kind: FindingKind, example: string) => {
    const finding = findings[kind];
    finding.count++;
    if (finding.examples.length < EXAMPLES) finding.examples.push(example);
  };
  const scanned = { skus: 0, images: 0, contents: 0, objects: 0 };
  const damage: AuditDamage = { stuck: [], missing: new Map(), orphans: [], mismatches: [], unannounced: [] };
  // Where each image id is: a reference is checked against the image that holds it.
  const places = new Map<number, ImagePlace>();
  const now = ports.now();
  // What the table says should exist, and who holds which content.
  const expectedObjects = new Map<string, string>();
  const holders = new Map<string, Set<number>>();
  const references = new Map<string, Set<number>>();
  const knownContents = new Set<string>();
  for await (const entry of ports.walk.entries()) {
    if (entry.kind === 'content') {
      scanned.contents++;
      const { record } = entry;
      knownContents.add(record.sha256);
      references.set(record.sha256, new Set(record.references.filter((id) => id !== RERENDER_REFERENCE)));
      if (record.facts && record.deletingSince === null) {
        expectedObjects.set(originalKeyOf(record.sha256, record.facts), `content ${record.sha256}`);
      }
    } else {
      scanned.skus++;
      const { set } = entry;
      for (const image of set.images) {
        scanned.images++;
        const where = `${set.sku} image ${image.id}`;
        places.set(image.id, {
          sku: set.sku,
          imageId: image.id,
          status: image.status,
          sha256: image.content_sha256 ?? null,
        });
        // The hash it records, and one it recorded before and has yet to let go of.
        for (const sha of [image.content_sha256, image.previous_sha256]) {
          if (!sha) continue;
          const held = holders.get(sha) ?? new Set<number>();
          held.add(image.id);
          holders.set(sha, held);
        }
        if (image.status === 'pending') {
          const since = image.requested_at ? Date.parse(image.requested_at) : Number.NaN;
          if (Number.isFinite(since) && now - since > ports.pendingPatienceMs) {
            note('stuckPending', `${where} pending since ${image.requested_at}`);
            damage.stuck.push({ sku: set.sku, imageId: image.id });
          }
        }
        if (image.status === 'ready') for (const key of keysOf(image)) expectedObjects.set(key, where);
      }
      if (isSettled(set) && entry.announcedVersion !== undefined && entry.announcedVersion !== set.version) {
        note('unannounced', `${set.sku} version ${set.version}`);
        damage.unannounced.push(set.sku);
      }
    }
    ports.onProgress?.({ items: scanned.skus + scanned.contents, objects: scanned.objects });
  }
  for (const sha of new Set([...holders.keys(), ...references.keys()])) {
    const held = [...(holders.get(sha) ?? [])].sort((a, b) => a - b);
    const referenced = [...(references.get(sha) ?? [])].sort((a, b) => a - b);
    // A failed image may name the content it failed on without holding it (its reference may never
    // have been taken, or already let go of); a reference it does hold is its own, not a stray one.
    const uncounted = held.filter((id) => !referenced.includes(id) && places.get(id)?.status !== 'failed');
    const stray = referenced.filter((id) => !held.includes(id));
    if (uncounted.length > 0 || stray.length > 0) {
      note(
        'referenceMismatch',
        `content ${sha}: referenced by [${referenced.join(', ')}], held by images [${held.join(', ')}]`,
      );
      const placeOf = (imageId: number): ImagePlace =>
        places.get(imageId) ?? { sku: '', imageId, status: 'absent', sha256: null };
      damage.mismatches.push({
        sha256: sha,
        uncounted: uncounted.map(placeOf),
        stray: stray.map(placeOf),
      });
    }
  }
  const present = new Set<string>();
  for (const prefix of ['o/', 'v/']) {
    for await (const object of ports.objects(prefix)) {
      scanned.objects++;
      present.add(object.key);
      const sha = contentOfObject(object.key);
      if (sha && !knownContents.has(sha) && now - object.lastModified > ports.orphanGraceMs) {
        note('orphanObjects', object.key);
        damage.orphans.push(object.key);
      }
      if (scanned.objects % 1000 === 0)
        ports.onProgress?.({ items: scanned.skus + scanned.contents, objects: scanned.objects });
    }
  }
  for (const [key, where] of expectedObjects) {
    const sha = contentOfObject(key);
    if (sha && !present.has(key)) {
      note('missingObjects', `${where}: ${key}`);
      damage.missing.set(sha, [...new Set([...(damage.missing.get(sha) ?? []), key])]);
    }
  }
  const letters = await ports.deadLetters();
  if (letters > 0) {
    findings.deadLetters.count = letters;
    findings.deadLetters.examples.push(`${letters} waiting`);
  }
  return {
    scanned,
    findings,
    clean: FINDING_KINDS.every((kind) => findings[kind].count === 0),
    damage,
  };
}
