import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import type { ImageSet, StoredImage } from '../../lib/domain/image';
import type { ImageSetChangeRecord } from '../../lib/pipeline/changes';
import { originalKeyOf } from '../../lib/pipeline/content-publisher';
import { copyImage } from '../../lib/pipeline/copy-image';
import { failPendingImage } from '../../lib/pipeline/image-failure';
import type { ImageJob } from '../../lib/pipeline/image-jobs';
import { processChanges } from '../../lib/pipeline/process-changes';
import { processImageJobs } from '../../lib/pipeline/render-jobs';
import { type MemoryPipeline, memoryPipeline } from '../helpers/memory-pipeline';
import { photoJpeg } from '../helpers/photos';
import { image, openedFrom } from '../helpers/stream-events';

/**
 * A model of everything that writes an image's status, interleaved by fast-check over the in-memory
 * ports: POSTs, the stream consumer, jobs and their retries, duplicate jobs, the sweeper's and the
 * dead-job consumer's failures from stale reads, origins that change bytes or fail. After every step:
 * a ready image stays ready, on objects that exist, until its set changes; every reference belongs to an
 * image that holds that hash; and no settled version is announced twice.
 */

const SKUS = ['a', 'b'] as const;
const URLS = ['https://img.example/1.jpg', 'https://img.example/2.jpg', 'https://img.example/3.jpg'];

type Step =
  | { kind: 'post'; sku: (typeof SKUS)[number]; urls: number[] }
  | { kind: 'stream' }
  | { kind: 'job'; pick: number; duplicate: boolean }
  | { kind: 'read'; sku: (typeof SKUS)[number]; pick: number }
  | { kind: 'failStale'; pick: number }
  | { kind: 'staleJob'; pick: number }
  | { kind: 'origin'; url: number; bytes: number; failing: boolean };

const step: fc.Arbitrary<Step> = fc.oneof(
  fc.record({
    kind: fc.constant('post' as const),
    sku: fc.constantFrom(...SKUS),
    urls: fc.uniqueArray(fc.integer({ min: 0, max: URLS.length - 1 }), { maxLength: 3 }),
  }),
  fc.constant({ kind: 'stream' as const }),
  fc.record({ kind: fc.constant('job' as const), pick: fc.nat(), duplicate: fc.boolean() }),
  fc.record({ kind: fc.constant('job' as const), pick: fc.nat(), duplicate: fc.boolean() }),
  fc.record({ kind: fc.constant('read' as const), sku: fc.constantFrom(...SKUS), pick: fc.nat() }),
  fc.record({ kind: fc.constant('failStale' as const), pick: fc.nat() }),
  fc.record({ kind: fc.constant('staleJob' as const), pick: fc.nat() }),
  fc.record({
    kind: fc.constant('origin' as const),
    url: fc.integer({ min: 0, max: URLS.length - 1 }),
    bytes: fc.integer({ min: 0, max: 1 }),
    failing: fc.boolean(),
  }),
);

let photos: Buffer[];
beforeAll(async () => {
  photos = [await photoJpeg(40, 30), await photoJpeg(30, 40)];
});

interface World {
  pipeline: MemoryPipeline;
  records: ImageSetChangeRecord[];
  jobs: ImageJob[];
  /** Images read by a sweeper or dead-job consumer that acts on them later. */
  staleReads: Array<{ sku: string; image: StoredImage; set: ImageSet }>;
  /** Ready images, until their set changes. */
  ready: Map<string, string>;
  origin: Array<{ bytes: number; failing: boolean }>;
  nextId: number;
  sequence: number;
  messages: number;
}

function world(): World {
  const state: World = {
    pipeline: undefined as unknown as MemoryPipeline,
    records: [],
    jobs: [],
    staleReads: [],
    ready: new Map(),
    origin: URLS.map(() => ({ bytes: 0, failing: false })),
    nextId: 1,
    sequence: 1,
    messages: 0,
  };
  state.pipeline = memoryPipeline(
    async (url) => {
      const served = state.origin[URLS.indexOf(url)] ?? { bytes: 0, failing: false };
      if (served.failing) throw Object.assign(new Error('reset'), { code: 'ECONNRESET' });
      return openedFrom(photos[served.bytes] as Buffer);
    },
    { maxAttempts: 2 },
  );
  return state;
}

async function apply(state: World, next: Step): Promise<void> {
  const { pipeline } = state;
  switch (next.kind) {
    case 'post': {
      const before = pipeline.statuses.sets.get(next.sku)?.images ?? [];
      // Unchanged URLs keep their image (and its status); new ones are new pending images.
      const images = next.urls.map((index, order) => {
        const kept = before.find((each) => each.url === URLS[index]);
        return kept
          ? { ...structuredClone(kept), order }
          : image(state.nextId++, { url: URLS[index], order });
      });
      state.records.push(pipeline.statuses.write(next.sku, images, state.sequence++));
      for (const gone of before)
        if (!images.some((each) => each.id === gone.id)) state.ready.delete(`${next.sku}/${gone.id}`);
      return;
    }
    case 'stream': {
      const records = state.records.splice(0);
      const { failed } = await processChanges(records, pipeline.deps);
      expect(failed).toEqual([]);
      state.jobs.push(...pipeline.jobs.take());
      return;
    }
    case 'job': {
      if (state.jobs.length === 0) return;
      const index = next.pick % state.jobs.length;
      const job = state.jobs[index] as ImageJob;
      // A duplicate stays queued: SQS may deliver a job twice, a replayed record enqueue it again.
      if (!next.duplicate) state.jobs.splice(index, 1);
      await processImageJobs([{ messageId: `m${++state.messages}`, job }], pipeline.deps);
      state.jobs.push(...pipeline.jobs.take());
      return;
    }
    case 'read': {
      const images = pipeline.statuses.sets.get(next.sku)?.images ?? [];
      const read = images[next.pick % Math.max(1, images.length)];
      const set = pipeline.statuses.sets.get(next.sku);
      if (read?.status === 'pending' && set)
        state.staleReads.push({ sku: next.sku, image: structuredClone(read), set: structuredClone(set) });
      return;
    }
    case 'failStale': {
      if (state.staleReads.length === 0) return;
      const [read] = state.staleReads.splice(next.pick % state.staleReads.length, 1);
      if (!read) return;
      await failPendingImage(
        read.sku,
        read.image,
        { reason: 'image never settled', jobId: 'sweep', at: new Date() },
        pipeline.deps,
      );
      return;
    }
    case 'staleJob': {
      // A job that read the image earlier (a duplicate in another process) and only now copies it.
      if (state.staleReads.length === 0) return;
      const read = state.staleReads[next.pick % state.staleReads.length];
      if (!read) return;
      await copyImage(
        { sku: read.sku, jobId: `stale-${++state.messages}` },
        read.image,
        read.set,
        pipeline.deps,
      );
      return;
    }
    case 'origin':
      state.origin[next.url] = { bytes: next.bytes, failing: next.failing };
      return;
  }
}

async function check(state: World): Promise<void> {
  const { pipeline } = state;
  const holders = new Map<number, Array<string | undefined>>();
  for (const set of pipeline.statuses.sets.values()) {
    for (const each of set.images) {
      holders.set(each.id, [each.content_sha256, each.previous_sha256]);
      const key = `${set.sku}/${each.id}`;
      const wasReady = state.ready.get(key);
      if (wasReady) {
        // Ready stays ready, on the same content, whose objects exist.
        expect(each.status, key).toBe('ready');
        expect(each.content_sha256, key).toBe(wasReady);
      }
      if (each.status === 'ready') {
        state.ready.set(key, each.content_sha256 as string);
        const facts = (await pipeline.contents.find(each.content_sha256 as string))?.facts;
        expect(facts, `${key} content`).toBeTruthy();
        if (facts)
          expect(
            await pipeline.objects.get(originalKeyOf(each.content_sha256 as string, facts)),
            key,
          ).not.toBeNull();
      }
    }
  }
  // An image a POST removed holds its reference until the stream consumer has processed the removal.
  for (const record of state.records) {
    for (const each of record.before) {
      const held = holders.get(each.id) ?? [];
      holders.set(each.id, [...held, each.content_sha256, each.previous_sha256]);
    }
  }
  for (const [sha, entry] of pipeline.contents.entries) {
    for (const id of entry.refs)
      expect(holders.get(id) ?? [], `${sha.slice(0, 8)} held by ${id}`).toContain(sha);
  }
  const announced = pipeline.statuses.announcements;
  expect(new Set(announced).size, announced.join(' ')).toBe(announced.length);
}

describe('status writes that cannot go backwards: a model of every writer, interleaved', () => {
  it('keeps ready images ready, every reference held, every settled version announced once', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(step, { minLength: 5, maxLength: 30 }), async (steps) => {
        const state = world();
        for (const next of steps) {
          await apply(state, next);
          await check(state);
        }
        // Quiescence: the stream and every job run to the end; nothing is left pending.
        for (let round = 0; round < 10; round++) {
          await apply(state, { kind: 'stream' });
          while (state.jobs.length > 0) await apply(state, { kind: 'job', pick: 0, duplicate: false });
          await check(state);
        }
        for (const set of state.pipeline.statuses.sets.values())
          for (const each of set.images) expect(each.status, `${set.sku}/${each.id}`).not.toBe('pending');
      }),
      { numRuns: 60 },
    );
  }, 120_000);
});
