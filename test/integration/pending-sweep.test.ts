import { GetCommand } from '@aws-sdk/lib-dynamodb';
import { describe, expect, it } from 'vitest';
import { DynamoImageStatusStore } from '../../lib/adapters/dynamodb/image-status-store';
import { DynamoPendingIndex } from '../../lib/adapters/dynamodb/pending-index';
import {
  NEVER_SETTLED_REASON,
  type PendingSet,
  type SweepDependencies,
  sweepPending,
} from '../../lib/pipeline/pending-sweep';
import type { DeadLetter } from '../../lib/pipeline/ports';
import { processImageJobs, type RenderingDependencies } from '../../lib/pipeline/render-jobs';
import { documentClientFor, useTestApi } from '../helpers/local-api';
import { memoryPipeline } from '../helpers/memory-pipeline';

/** The sparse pending index and the sweeper on the real engine (DynamoDB Local), the API writing the sets. */
const t = useTestApi();
const MINUTE = 60_000;

function sweeper(backlog = 0) {
  const documents = documentClientFor(t.api);
  const opened: string[] = [];
  const pipeline = memoryPipeline(async (url) => {
    opened.push(url);
    throw new Error('no image is downloaded in these tests');
  });
  const letters: DeadLetter[] = [];
  const pending = new DynamoPendingIndex(documents, t.api.tableName);
  const deps: SweepDependencies & RenderingDependencies = {
    ...pipeline.deps,
    statuses: new DynamoImageStatusStore(documents, t.api.tableName),
    deadLetters: { send: async (letter) => void letters.push(letter) },
    pending,
    jobBacklog: async () => backlog,
  };
  const indexed = async (sku: string): Promise<PendingSet | undefined> => {
    for await (const entry of pending.since('9999')) if (entry.sku === sku) return entry;
    return undefined;
  };
  /** The settled version the SKU's item is marked announced with (its event goes out from that mark). */
  const announced = async (sku: string) => {
    const { Item } = await documents.send(
      new GetCommand({ TableName: t.api.tableName, Key: { pk: `SKU#${sku}` }, ConsistentRead: true }),
    );
    return Item?.announcedVersion === Item?.version ? String(Item?.version) : null;
  };
  return { deps, jobs: pipeline.jobs, letters, announced, opened, indexed };
}

const post = (sku: string, urls: string[]) =>
  t.http.post({ product_sku: sku, images: urls.map((url, order) => ({ url, order })) });

describe('the pending index and the sweeper (DynamoDB Local)', () => {
  it('lists a set while an image is pending, and only then', async () => {
    const { deps, indexed } = sweeper();
    await post('indexed', ['https://img.example.test/a.jpg', 'https://img.example.test/b.jpg']);
    const entry = await indexed('indexed');
    expect(entry).toMatchObject({ sku: 'indexed', sweeps: 0 });
    expect(Date.now() - Date.parse(entry?.pendingSince ?? '')).toBeLessThan(MINUTE);

    // The pipeline settles both images; the settlement takes the set out of the index.
    const set = await deps.statuses.find('indexed');
    for (const image of set?.images ?? [])
      await deps.statuses.record('indexed', image.id, { status: 'failed', error: 'HTTP 404 from origin' });
    expect(await indexed('indexed')).toMatchObject({ sku: 'indexed' });
    expect(await deps.statuses.markAnnounced('indexed', set?.version ?? '')).toBe(true);
    expect(await indexed('indexed')).toBeUndefined();

    // An empty set has nothing pending: never listed.
    await post('empty', []);
    expect(await indexed('empty')).toBeUndefined();
  });

  it('announces a set whose stream record the pipeline gave up on, though nothing in it was pending', async () => {
    const { deps, announced } = sweeper();
    await post('reordered', ['https://img.example.test/r1.jpg', 'https://img.example.test/r2.jpg']);
    // The pipeline settles both images and announces the version.
    const first = await deps.statuses.find('reordered');
    for (const image of first?.images ?? [])
      await deps.statuses.record('reordered', image.id, { status: 'failed', error: 'HTTP 404 from origin' });
    expect(await deps.statuses.markAnnounced('reordered', first?.version ?? '')).toBe(true);
    // A POST that only reorders them: a new version with nothing pending, whose stream record is then
    // exhausted (no stream consumer runs here), so nothing announces it but the sweeper.
    await post('reordered', ['https://img.example.test/r2.jpg', 'https://img.example.test/r1.jpg']);
    const second = await deps.statuses.find('reordered');
    expect(second?.images.every((image) => image.status === 'failed')).toBe(true);
    expect(await announced('reordered')).toBeNull();
    const outcome = await sweepPending(deps, {
      now: new Date(Date.now() + 16 * MINUTE),
      olderThanMs: 15 * MINUTE,
      maxSweeps: 3,
    });
    expect(outcome.cleared).toBeGreaterThanOrEqual(1);
    expect(await announced('reordered')).toBe(second?.version);
  });

  it('enqueues the pending images of a set pending for 15 minutes, once per threshold, and records the sweep', async () => {
    const { deps, jobs, indexed } = sweeper();
    const posted = await post('stale', ['https://img.example.test/c.jpg', 'https://img.example.test/d.jpg']);
    const ids = posted.json.images.map((image: { id: number }) => image.id);
    const options = { olderThanMs: 15 * MINUTE, maxSweeps: 3 };

    const fresh = await sweepPending(deps, { ...options, now: new Date() });
    expect(fresh).toMatchObject({ enqueued: 0 });
    expect(jobs.take()).toEqual([]);

    const later = new Date(Date.now() + 16 * MINUTE);
    const swept = await sweepPending(deps, { ...options, now: later });
    expect(swept.enqueued).toBeGreaterThanOrEqual(2);
    expect(jobs.take().filter((job) => job.sku === 'stale')).toEqual(
      ids.map((imageId: number) => ({ sku: 'stale', imageId, origin: 'sweep' })),
    );
    expect(await indexed('stale')).toMatchObject({ sweeps: 1, pendingSince: later.toISOString() });

    // Swept a minute later: not pending for 15 minutes since its sweep, so left alone.
    await sweepPending(deps, { ...options, now: new Date(later.getTime() + MINUTE) });
    expect(jobs.take().filter((job) => job.sku === 'stale')).toEqual([]);
  });

  it('does nothing while jobs wait in the queue: an image may just be waiting its turn', async () => {
    const { deps, jobs } = sweeper(5_000);
    await post('waiting', ['https://img.example.test/e.jpg']);
    const outcome = await sweepPending(deps, {
      now: new Date(Date.now() + 60 * MINUTE),
      olderThanMs: 0,
      maxSweeps: 3,
    });
    expect(outcome).toMatchObject({ deferredForBacklog: true, sets: 0, enqueued: 0 });
    expect(jobs.take()).toEqual([]);
  });

  it('while jobs keep waiting, enqueues again a set pending past the backlog patience, and fails none', async () => {
    const { deps, jobs, letters, indexed } = sweeper(5_000);
    const posted = await post('lost-job', ['https://img.example.test/k.jpg']);
    const options = { olderThanMs: 15 * MINUTE, maxSweeps: 1, backlogPatienceMs: 360 * MINUTE };
    const anHourLater = await sweepPending(deps, { ...options, now: new Date(Date.now() + 60 * MINUTE) });
    expect(anHourLater).toMatchObject({ deferredForBacklog: true, enqueued: 0 });
    expect(jobs.take().filter((job) => job.sku === 'lost-job')).toEqual([]);

    // Past the patience, twice: enqueued each time, never failed, though over its sweeps.
    let now = Date.now();
    for (let sweep = 0; sweep < 2; sweep++) {
      now += 361 * MINUTE;
      await sweepPending(deps, { ...options, now: new Date(now) });
      expect(jobs.take().filter((job) => job.sku === 'lost-job')).toEqual([
        { sku: 'lost-job', imageId: posted.json.images[0].id, origin: 'sweep' },
      ]);
    }
    expect((await deps.statuses.find('lost-job'))?.images[0]?.status).toBe('pending');
    expect(letters).toEqual([]);
    expect(await indexed('lost-job')).toMatchObject({ sweeps: 2 });
  });

  it('fails what is still pending after the last sweep, with a dead letter, and announces the set', async () => {
    const { deps, letters, announced, indexed } = sweeper();
    const posted = await post('hopeless', [
      'https://img.example.test/f.jpg',
      'https://img.example.test/g.jpg',
    ]);
    const [first, second] = posted.json.images as Array<{ id: number }>;
    await deps.statuses.record('hopeless', first?.id ?? 0, {
      status: 'failed',
      error: 'HTTP 404 from origin',
    });
    const options = { olderThanMs: 15 * MINUTE, maxSweeps: 2 };
    let now = Date.now();
    for (let sweep = 0; sweep < 3; sweep++) {
      now += 16 * MINUTE;
      await sweepPending(deps, { ...options, now: new Date(now) });
    }
    const set = await deps.statuses.find('hopeless');
    expect(set?.images.find((image) => image.id === second?.id)).toMatchObject({
      status: 'failed',
      error: NEVER_SETTLED_REASON,
    });
    expect(letters).toContainEqual(
      expect.objectContaining({ sku: 'hopeless', imageId: second?.id, reason: NEVER_SETTLED_REASON }),
    );
    expect(await announced('hopeless')).toBe(set?.version);
    expect(await indexed('hopeless')).toBeUndefined();
  });

  it('announces and unlists a set that settled without its settlement running', async () => {
    const { deps, announced, indexed } = sweeper();
    const posted = await post('orphaned', ['https://img.example.test/h.jpg']);
    await deps.statuses.record('orphaned', posted.json.images[0].id, {
      status: 'failed',
      error: 'HTTP 410 from origin',
    });
    await sweepPending(deps, {
      now: new Date(Date.now() + 16 * MINUTE),
      olderThanMs: 15 * MINUTE,
      maxSweeps: 3,
    });
    expect(await announced('orphaned')).toBe(String(posted.headers.get('etag')).replaceAll('"', ''));
    expect(await indexed('orphaned')).toBeUndefined();
  });

  it('runs no job for an image a POST removed or replaced, nor for one already settled', async () => {
    const { deps, opened } = sweeper();
    const first = await post('moving', ['https://img.example.test/i.jpg']);
    const removedId = first.json.images[0].id;
    const second = await post('moving', ['https://img.example.test/j.jpg']);
    const settledId = second.json.images[0].id;
    await deps.statuses.record('moving', settledId, { status: 'failed', error: 'HTTP 404 from origin' });
    const outcome = await processImageJobs(
      [
        { messageId: 'removed', job: { sku: 'moving', imageId: removedId, origin: 'stream' } },
        { messageId: 'settled', job: { sku: 'moving', imageId: settledId, origin: 'sweep' } },
        { messageId: 'gone', job: { sku: 'never-posted', imageId: 1, origin: 'retry' } },
      ],
      deps,
    );
    expect(outcome).toMatchObject({ failed: [], skipped: 3, settled: 0 });
    expect(opened).toEqual([]);
  });
});
