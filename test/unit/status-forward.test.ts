import { beforeAll, describe, expect, it } from 'vitest';
import type { StoredImage } from '../../lib/domain/image';
import { DEFAULT_CONTENT_TIMING } from '../../lib/pipeline/content-publisher';
import { type CopyRequest, copyImage } from '../../lib/pipeline/copy-image';
import { failPendingImage } from '../../lib/pipeline/image-failure';
import { sweepPending } from '../../lib/pipeline/pending-sweep';
import type { DeadLetter } from '../../lib/pipeline/ports';
import { lastAttemptStartMs, RENDERER_TIMEOUT_MS, STALE_DELETION_MS } from '../../lib/pipeline/retry-budget';
import { type MemoryPipeline, memoryPipeline } from '../helpers/memory-pipeline';
import { photoJpeg } from '../helpers/photos';
import { image, openedFrom } from '../helpers/stream-events';

/**
 * The six ways a status write could go backwards or a content leak (issue: status writes that cannot
 * go backwards), each reproduced over the in-memory pipeline.
 */

const throttled = () => Object.assign(new Error('Rate exceeded'), { name: 'ThrottlingException' });

let photo: Buffer;
let otherPhoto: Buffer;
beforeAll(async () => {
  photo = await photoJpeg(160, 120);
  otherPhoto = await photoJpeg(120, 160);
});

/** Runs the queued jobs until none is left (retries' delays skipped). */
async function drain(pipeline: MemoryPipeline, first: Parameters<MemoryPipeline['run']>[0] = []) {
  await pipeline.run(first);
  for (let round = 0; round < 10 && pipeline.jobs.queued.length > 0; round++) await pipeline.run([]);
}

async function imageOf(pipeline: MemoryPipeline, sku: string, id: number): Promise<StoredImage> {
  return (await pipeline.statuses.find(sku))?.images.find((each) => each.id === id) as StoredImage;
}

/** Every reference belongs to an image that holds that hash. */
async function strayReferences(pipeline: MemoryPipeline): Promise<string[]> {
  const holders = new Map<number, Array<string | undefined>>();
  for (const set of pipeline.statuses.sets.values())
    for (const each of set.images) holders.set(each.id, [each.content_sha256, each.previous_sha256]);
  const stray: string[] = [];
  for (const [sha, entry] of pipeline.contents.entries) {
    for (const id of entry.refs) if (!holders.get(id)?.includes(sha)) stray.push(`${sha.slice(0, 8)}:${id}`);
  }
  return stray;
}

describe('a status write never goes backwards, and no content leaks', () => {
  it('1: remembering the URL fails after ready: the image stays ready, its objects and reference too', async () => {
    const pipeline = memoryPipeline(async () => openedFrom(photo));
    pipeline.deps.urls.remember = async () => {
      throw throttled();
    };
    await drain(pipeline, [pipeline.statuses.write('shirt', [image(1)], 1)]);
    const ready = await imageOf(pipeline, 'shirt', 1);
    expect(ready.status).toBe('ready');
    expect(ready.error).toBeUndefined();
    expect(pipeline.objects.keys('v/').length).toBeGreaterThan(0);
    expect(await strayReferences(pipeline)).toEqual([]);
  });

  it('2: on the 304 path a failing ready write leaves no reference the image does not hold', async () => {
    const pipeline = memoryPipeline(async (_url, known) =>
      known?.etag ? { notModified: true } : { ...openedFrom(photo), validators: { etag: '"a"' } },
    );
    // The URL is fetched once for socks, then revalidated (304) for shirt's image 50.
    await drain(pipeline, [pipeline.statuses.write('socks', [image(2)], 1)]);
    const record = pipeline.statuses.record.bind(pipeline.statuses);
    pipeline.statuses.record = async (sku, id, progress) => {
      if (id === 50 && progress.status === 'ready') throw throttled();
      return record(sku, id, progress);
    };
    await drain(pipeline, [pipeline.statuses.write('shirt', [image(50, { url: image(2).url })], 2)]);
    const failed = await imageOf(pipeline, 'shirt', 50);
    expect(failed.status).toBe('failed');
    expect(await strayReferences(pipeline)).toEqual([]);
  });

  it('3: the sweeper or the dead-job consumer never fails an image a live job settled meanwhile', async () => {
    const pipeline = memoryPipeline(async () => openedFrom(photo));
    const letters: DeadLetter[] = [];
    pipeline.deps.deadLetters = { send: async (letter) => void letters.push(letter) };
    const posted = pipeline.statuses.write('shirt', [image(1)], 1);
    // Read pending by the sweeper, then settled by the job, then failed by the sweeper's stale read.
    const stale = await imageOf(pipeline, 'shirt', 1);
    await drain(pipeline, [posted]);
    expect((await imageOf(pipeline, 'shirt', 1)).status).toBe('ready');
    const failed = await failPendingImage(
      'shirt',
      stale,
      { reason: 'image never settled', jobId: 'sweep-3', at: new Date() },
      pipeline.deps,
    );
    expect(failed).toBe(false);
    const after = await imageOf(pipeline, 'shirt', 1);
    expect(after.status).toBe('ready');
    expect(after.content_sha256).toBeDefined();
    expect(letters).toEqual([]);
    expect(await strayReferences(pipeline)).toEqual([]);
  });

  it('3: a stale duplicate job never turns ready back into pending or failed', async () => {
    let fail = false;
    const pipeline = memoryPipeline(async () => {
      if (fail) throw Object.assign(new Error('reset'), { code: 'ECONNRESET' });
      return openedFrom(photo);
    });
    const posted = pipeline.statuses.write('shirt', [image(1)], 1);
    const staleImage = await imageOf(pipeline, 'shirt', 1);
    const staleSet = await pipeline.statuses.find('shirt');
    await drain(pipeline, [posted]);
    fail = true;
    const request: CopyRequest = { sku: 'shirt', jobId: 'duplicate' };
    for (const attempts of [0, 2]) {
      await copyImage(
        request,
        { ...staleImage, attempts },
        staleSet ?? { sku: 'shirt', version: 'v', revision: 1, images: [] },
        {
          ...pipeline.deps,
        },
      );
      expect((await imageOf(pipeline, 'shirt', 1)).status).toBe('ready');
    }
    expect(await strayReferences(pipeline)).toEqual([]);
  });

  it('4: a deletion its worker left is taken over within an image’s retries, not after 15 minutes', async () => {
    const pipeline = memoryPipeline(async () => openedFrom(photo), { timing: { maxWaitMs: 100 } });
    // The photo's content, deleted by a worker that stopped 3 minutes ago (after the renderer's timeout).
    await drain(pipeline, [pipeline.statuses.write('old', [image(1)], 1)]);
    const [sha] = [...pipeline.contents.entries.keys()];
    await pipeline.contents.release(sha as string, 1);
    const entry = pipeline.contents.entries.get(sha as string);
    if (entry) entry.deletingSince = Date.now() - 3 * 60_000;
    // The threshold is derived from the retry budget: past any worker's life, before the last attempt.
    expect(DEFAULT_CONTENT_TIMING.staleDeletionMs).toBe(STALE_DELETION_MS);
    expect(STALE_DELETION_MS).toBeGreaterThan(RENDERER_TIMEOUT_MS);
    expect(STALE_DELETION_MS).toBeLessThan(lastAttemptStartMs(3, 30));
    expect(STALE_DELETION_MS).toBeLessThan(3 * 60_000);
    await drain(pipeline, [pipeline.statuses.write('new', [image(9)], 2)]);
    expect((await imageOf(pipeline, 'new', 9)).status).toBe('ready');
  });

  it('5: a release that fails when the URL serves new bytes is done again, never lost', async () => {
    let bytes = photo;
    const pipeline = memoryPipeline(async () => openedFrom(bytes));
    // Attempt 1 recorded the first bytes' hash and holds their reference, then failed.
    const posted = pipeline.statuses.write('shirt', [image(1)], 1);
    const first = await imageOf(pipeline, 'shirt', 1);
    await pipeline.contents.acquire(await sha256Of(photo), 1);
    await pipeline.statuses.record('shirt', 1, {
      status: 'pending',
      attempts: 1,
      content_sha256: await sha256Of(photo),
    });
    // Now the URL serves other bytes, and the first release of the old content fails once.
    bytes = otherPhoto;
    const release = pipeline.contents.release.bind(pipeline.contents);
    let failures = 1;
    pipeline.contents.release = async (sha, id) => {
      if (failures-- > 0) throw throttled();
      return release(sha, id);
    };
    expect(first.status).toBe('pending');
    await drain(pipeline, [posted]);
    expect((await imageOf(pipeline, 'shirt', 1)).status).toBe('ready');
    expect(await strayReferences(pipeline)).toEqual([]);
  });

  it('5: a content whose last release left it unmarked (the deletion mark failed) is collected by the sweeper', async () => {
    const pipeline = memoryPipeline(async () => openedFrom(photo));
    await drain(pipeline, [pipeline.statuses.write('shirt', [image(1)], 1)]);
    const beginDeletion = pipeline.contents.beginDeletion.bind(pipeline.contents);
    pipeline.contents.beginDeletion = async () => {
      throw throttled();
    };
    // The POST that removes the image: its release runs, its deletion mark fails.
    await pipeline.run([pipeline.statuses.write('shirt', [], 2)]).catch(() => undefined);
    pipeline.contents.beginDeletion = beginDeletion;
    expect(pipeline.objects.keys('v/').length).toBeGreaterThan(0);
    await sweepPending(
      {
        ...pipeline.deps,
        pending: { since: async function* () {}, touch: async () => true, clear: async () => true },
        jobBacklog: async () => 0,
      },
      { now: new Date(Date.now() + 60 * 60_000), olderThanMs: 0, maxSweeps: 3 },
    );
    expect(pipeline.objects.keys('v/')).toEqual([]);
    expect(pipeline.contents.entries.size).toBe(0);
  });
});

async function sha256Of(bytes: Buffer): Promise<string> {
  const { createHash } = await import('node:crypto');
  return createHash('sha256').update(bytes).digest('hex');
}
