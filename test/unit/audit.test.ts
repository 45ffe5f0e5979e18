import { describe, expect, it } from 'vitest';
import { type AuditPorts, auditStore } from '../../lib/audit/audit';
import { repairStore } from '../../lib/audit/repair';
import type { StoredImage } from '../../lib/domain/image';
import type { TableEntry } from '../../lib/rerender/rerender';
import { type MemoryPipeline, memoryPipeline } from '../helpers/memory-pipeline';
import { photoJpeg } from '../helpers/photos';
import { image, openedFrom } from '../helpers/stream-events';

const HOUR = 3_600_000;

/** Two products imported through the in-memory pipeline: a whole store, to be damaged one way at a time. */
async function importedStore() {
  const photos = [await photoJpeg(400, 300), await photoJpeg(300, 400)];
  const pipeline = memoryPipeline(async (url) =>
    openedFrom(photos[Number(/\/(\d+)\.\w+$/.exec(url)?.[1] ?? 1) % 2] as Buffer),
  );
  const records = [
    pipeline.statuses.write('shirt', [image(1), image(2, { order: 1 })], 1),
    pipeline.statuses.write('socks', [image(3)], 2),
  ];
  expect((await pipeline.run(records)).failed).toEqual([]);
  const announced = new Map<string, string | null>(
    [...pipeline.statuses.sets.values()].map((set) => [set.sku, set.version]),
  );
  return { pipeline, announced };
}

function portsOf(
  pipeline: MemoryPipeline,
  announced: Map<string, string | null>,
  deadLetters = 0,
): AuditPorts {
  return {
    walk: {
      async *entries(): AsyncIterable<TableEntry> {
        for (const set of pipeline.statuses.sets.values()) {
          yield { kind: 'set', set: structuredClone(set), announcedVersion: announced.get(set.sku) ?? null };
        }
        for (const sha of pipeline.contents.entries.keys()) {
          const record = await pipeline.contents.find(sha);
          if (record) yield { kind: 'content', record };
        }
      },
    },
    async *objects(prefix) {
      for (const key of pipeline.objects.keys(prefix)) yield { key, lastModified: 0 };
    },
    deadLetters: async () => deadLetters,
    now: () => 10 * HOUR,
    pendingPatienceMs: 6 * HOUR,
    orphanGraceMs: HOUR,
  };
}

describe('npm run audit: is the store whole? (in-memory ports)', () => {
  it('finds nothing in a store the pipeline left whole', async () => {
    const { pipeline, announced } = await importedStore();
    const report = await auditStore(portsOf(pipeline, announced));
    expect(report.clean).toBe(true);
    expect(report.scanned).toMatchObject({ skus: 2, images: 3 });
    expect(report.scanned.objects).toBe(pipeline.objects.keys().length);
  });

  it('finds each kind of damage planted, with the first few of each', async () => {
    const { pipeline, announced } = await importedStore();
    const shirt = pipeline.statuses.sets.get('shirt');
    const ready = shirt?.images[0] as StoredImage;
    const sha = ready.content_sha256 as string;
    // An object no content refers to; a deleted rendition; a reference no image holds; a set never
    // announced; an image pending for 9 hours; two dead letters.
    await pipeline.objects.put(`v/${'e'.repeat(64)}/160.avif`, Buffer.from('x'), 'image/avif');
    const variant = ready.variants?.[0];
    await pipeline.objects.delete(`v/${sha}/${variant?.width}.${variant?.format}`);
    await pipeline.contents.acquire(sha, 999);
    announced.set('socks', null);
    pipeline.statuses.write('hats', [image(7, { requested_at: new Date(HOUR).toISOString() })], 3);
    announced.set('hats', null);

    const report = await auditStore(portsOf(pipeline, announced, 2));
    expect(report.clean).toBe(false);
    expect(report.findings.orphanObjects).toEqual({ count: 1, examples: [`v/${'e'.repeat(64)}/160.avif`] });
    expect(report.findings.missingObjects.count).toBe(1);
    expect(report.findings.missingObjects.examples[0]).toContain(
      `v/${sha}/${variant?.width}.${variant?.format}`,
    );
    expect(report.findings.referenceMismatch.count).toBe(1);
    expect(report.findings.referenceMismatch.examples[0]).toContain('999');
    // A pending set is not settled: only socks counts as unannounced.
    expect(report.findings.unannounced).toEqual({ count: 1, examples: ['socks version v2'] });
    expect(report.findings.stuckPending.count).toBe(1);
    expect(report.findings.stuckPending.examples[0]).toContain('hats image 7');
    expect(report.findings.deadLetters.count).toBe(2);
  });

  it('leaves young objects alone (a render may be writing them) and pending images within patience', async () => {
    const { pipeline, announced } = await importedStore();
    await pipeline.objects.put(`o/${'d'.repeat(64)}/jpeg/160`, Buffer.from('x'), 'image/jpeg');
    pipeline.statuses.write('new', [image(9, { requested_at: new Date(9 * HOUR).toISOString() })], 4);
    const ports = portsOf(pipeline, announced);
    const report = await auditStore({
      ...ports,
      async *objects(prefix) {
        for await (const object of ports.objects(prefix)) yield { ...object, lastModified: 9.5 * HOUR };
      },
    });
    expect(report.findings.orphanObjects.count).toBe(0);
    expect(report.findings.stuckPending.count).toBe(0);
  });

  it('--fix leaves a pending image its reference, adds the one a ready image lacks, and releases one nobody holds', async () => {
    const { pipeline, announced } = await importedStore();
    const shirt = pipeline.statuses.sets.get('shirt');
    const sha = shirt?.images[0]?.content_sha256 as string;
    // Image 2 is mid-job (pending, its reference taken); 999 is held by nobody; image 1 lost its reference
    // (image 3, of socks, shares the bytes and keeps its own).
    pipeline.statuses.write('shirt', [image(1, shirt?.images[0]), image(2, { order: 1 })], 5);
    await pipeline.contents.acquire(sha, 2);
    await pipeline.contents.acquire(sha, 999);
    await pipeline.contents.release(sha, 1);
    const report = await auditStore(portsOf(pipeline, announced));
    expect(report.findings.referenceMismatch.count).toBeGreaterThan(0);
    const repair = await repairStore(report.damage, {
      ...pipeline.deps,
      find: (sku) => pipeline.statuses.find(sku),
      enqueue: async () => undefined,
      announce: async () => false,
      renderRungs: async () => {
        throw new Error('nothing to render');
      },
    });
    expect(repair.referencesAdded).toBe(1);
    expect(repair.referencesReleased).toBe(1);
    // Image 2's references (to this content, and to the one it held before) are both left to its job.
    expect(repair.left).toContain(`shirt image 2 is pending: its reference to ${sha} is left to it`);
    expect(repair.left.every((line) => line.startsWith('shirt image 2 is pending'))).toBe(true);
    expect((await pipeline.contents.find(sha))?.references.sort((a, b) => a - b)).toEqual([1, 2, 3]);
  });
});
