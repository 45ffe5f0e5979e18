import type { ImageSet } from '../domain/image';
import { contentKeys } from '../domain/variant-ladder';
import {
  type ContentDependencies,
  originalKeyOf,
  releaseContent,
  renditionObjects,
} from '../pipeline/content-publisher';
import type { ImageJob } from '../pipeline/image-jobs';
import type { Rendition } from '../rendering/rendition';
import { RERENDER_REFERENCE } from '../rerender/rerender';
import { type AuditDamage, contentOfObject, type ImagePlace } from './audit';

/** What `npm run audit -- --fix` changes, each through the pipeline's own operations. */
export interface RepairPorts extends Omit<ContentDependencies, 'render'> {
  /** A SKU's set as it is now: every repair reads again what the walk read. */
  find(sku: string): Promise<ImageSet | null>;
  enqueue(jobs: ImageJob[]): Promise<void>;
  /**
   * Marks a settled set announced when it is not (the outbox: the stream consumer puts its event);
   * false when it is no longer settled or was announced meanwhile.
   */
  announce(sku: string): Promise<boolean>;
  /** Renders these rungs, and the tiles and swatches under the settings in force, of an original. */
  renderRungs(bytes: Buffer, rungs: readonly number[], slots: boolean): Promise<Rendition>;
}

export interface RepairReport {
  orphansDeleted: number;
  jobsEnqueued: number;
  setsAnnounced: number;
  referencesAdded: number;
  referencesReleased: number;
  objectsRestored: number;
  /** What was not safe to repair, or could not be, and why. */
  left: string[];
}

/**
 * Repairs what an audit found that is safe to repair, reading every thing again before it changes it
 * (the API and the pipeline go on meanwhile): orphans past the grace are deleted while no content
 * knows their hash; stuck images still pending get their job again; settled sets still unannounced
 * are announced; a missing reference of an image that still holds the content is added, and a
 * reference no settled image holds is released (deleting the content when it was the last);
 * missing renditions are rendered again from the original. An image in progress is left alone.
 */
export async function repairStore(damage: AuditDamage, ports: RepairPorts): Promise<RepairReport> {
  const report: RepairReport = {
    orphansDeleted: 0,
    jobsEnqueued: 0,
    setsAnnounced: 0,
    referencesAdded: 0,
    referencesReleased: 0,
    objectsRestored: 0,
    left: [],
  };
  const attempt = async (what: string, work: () => Promise<void>) => {
    try {
      await work();
    } catch (error) {
      report.left.push(`${what}: ${(error as Error).message}`);
    }
  };

  for (const key of damage.orphans) {
    await attempt(`orphan ${key}`, async () => {
      const sha = contentOfObject(key);
      if (sha && (await ports.contents.find(sha))) return;
      await ports.objects.delete(key);
      report.orphansDeleted++;
    });
  }

  const stuck: ImageJob[] = [];
  for (const { sku, imageId } of damage.stuck) {
    const image = (await ports.find(sku))?.images.find((each) => each.id === imageId);
    if (image?.status === 'pending') stuck.push({ sku, imageId, origin: 'sweep' });
  }
  if (stuck.length > 0) {
    await attempt(`${stuck.length} stuck images`, async () => {
      await ports.enqueue(stuck);
      report.jobsEnqueued += stuck.length;
    });
  }

  for (const sku of damage.unannounced) {
    await attempt(`announcing ${sku}`, async () => {
      if (await ports.announce(sku)) report.setsAnnounced++;
    });
  }

  for (const mismatch of damage.mismatches) {
    for (const place of mismatch.uncounted) {
      await attempt(`reference of image ${place.imageId} to ${mismatch.sha256}`, async () => {
        if (!(await stillHolds(place, mismatch.sha256, ports))) return;
        if (!(await ports.contents.acquire(mismatch.sha256, place.imageId))) {
          report.left.push(
            `${place.sku} image ${place.imageId} holds content ${mismatch.sha256}, which is being deleted: post its set again`,
          );
          return;
        }
        report.referencesAdded++;
      });
    }
    for (const place of mismatch.stray) {
      await attempt(`reference of image ${place.imageId} to ${mismatch.sha256}`, async () => {
        const now = place.sku
          ? (await ports.find(place.sku))?.images.find((each) => each.id === place.imageId)
          : undefined;
        // A pending image may be taking its reference right now, before it records the hash.
        if (now?.status === 'pending') {
          report.left.push(
            `${place.sku} image ${place.imageId} is pending: its reference to ${mismatch.sha256} is left to it`,
          );
          return;
        }
        if (now?.content_sha256 === mismatch.sha256) return;
        await releaseContent(mismatch.sha256, place.imageId, ports);
        report.referencesReleased++;
      });
    }
  }

  for (const [sha256, keys] of damage.missing) {
    await attempt(`content ${sha256}`, async () => {
      const { restored, unrestorable } = await restoreObjects(sha256, keys, ports);
      report.objectsRestored += restored;
      if (unrestorable) report.left.push(`content ${sha256}: ${unrestorable}`);
    });
  }
  return report;
}

async function stillHolds(place: ImagePlace, sha256: string, ports: RepairPorts): Promise<boolean> {
  const image = (await ports.find(place.sku))?.images.find((each) => each.id === place.imageId);
  return image?.content_sha256 === sha256;
}

/**
 * Renders again the missing objects of a content from its original, held meanwhile (as rerender holds
 * it) so that it is not deleted under the new objects. Only the keys that were missing are written.
 */
async function restoreObjects(
  sha256: string,
  keys: string[],
  ports: RepairPorts,
): Promise<{ restored: number; unrestorable?: string }> {
  const held = await ports.contents.acquire(sha256, RERENDER_REFERENCE);
  try {
    const facts = held?.facts;
    if (!facts) return { restored: 0, unrestorable: 'no longer rendered (deleted, or being deleted)' };
    const originalKey = originalKeyOf(sha256, facts);
    const original = await ports.objects.get(originalKey);
    if (!original)
      return { restored: 0, unrestorable: `its original ${originalKey} is missing: post its sets again` };
    const wanted = new Set(keys.filter((key) => key !== originalKey));
    const rungs = [
      ...new Set(
        facts.variants
          .filter((variant) => wanted.has(contentKeys.variant(sha256, variant.width, variant.format)))
          .map((variant) => variant.width),
      ),
    ];
    const slots = [...wanted].some(
      (key) =>
        !facts.variants.some((variant) => contentKeys.variant(sha256, variant.width, variant.format) === key),
    );
    const rendition = await ports.renderRungs(original, rungs, slots);
    const outputs = renditionObjects(sha256, rendition).filter(({ key }) => wanted.has(key));
    for (const { key, body, contentType } of outputs) {
      await ports.objects.put(key, body, contentType);
      wanted.delete(key);
    }
    return {
      restored: outputs.length,
      ...(wanted.size > 0
        ? {
            unrestorable: `${wanted.size} objects the settings in force no longer render (npm run rerender renders the current ones)`,
          }
        : {}),
    };
  } finally {
    if (held) await releaseContent(sha256, RERENDER_REFERENCE, ports);
  }
}
