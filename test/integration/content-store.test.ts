import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DynamoContentStore } from '../../lib/adapters/dynamodb/content-store';
import type { ContentFacts } from '../../lib/pipeline/ports';
import { documentClientFor, startTestApi, type TestApi } from '../helpers/local-api';

/** The content store's conditions on the real engine: what keeps a deletion and a new reference apart. */
let api: TestApi;
let store: DynamoContentStore;
beforeAll(async () => {
  api = await startTestApi();
  store = new DynamoContentStore(documentClientFor(api), api.tableName);
});
afterAll(() => api.close());

const facts: ContentFacts = {
  width: 10,
  height: 10,
  kind: 'jpeg',
  variants: [{ width: 10, height: 10, format: 'avif' }],
  thumbhash: 'AAAA',
  dominant_color: '#000000',
  bytes: 100,
  content_type: 'image/jpeg',
};
let counter = 0;
const nextHash = () => (counter++).toString(16).padStart(64, 'a');

describe('the DynamoDB content store (DynamoDB Local)', () => {
  it('counts references as a set: adding or removing one twice changes nothing', async () => {
    const hash = nextHash();
    await store.acquire(hash, 1);
    await store.acquire(hash, 1);
    expect((await store.acquire(hash, 2))?.references.sort()).toEqual([1, 2]);
    expect(await store.release(hash, 1)).toBe(1);
    expect(await store.release(hash, 1)).toBe(1);
    expect(await store.release(hash, 2)).toBe(0);
    expect(await store.release(nextHash(), 9)).toBe(0);
  });

  it('refuses to mark a referenced content for deletion, and a new reference to a marked one', async () => {
    const hash = nextHash();
    await store.acquire(hash, 1);
    expect(await store.beginDeletion(hash, Date.now())).toBe(false);
    // The last reference goes and the deletion is marked in the same write; a later mark keeps the first.
    const released = Date.now();
    expect(await store.release(hash, 1)).toBe(0);
    const marked = (await store.find(hash))?.deletingSince ?? 0;
    expect(marked).toBeGreaterThanOrEqual(released - 1_000);
    expect(await store.beginDeletion(hash, 2_000)).toBe(true);
    expect((await store.find(hash))?.deletingSince).toBe(marked);
    // Listed for the sweeper once older than asked, not before.
    const listed = async (before: number) => {
      const found: string[] = [];
      for await (const sha of store.deletionsBefore(before)) found.push(sha);
      return found;
    };
    expect(await listed(released - 60_000)).not.toContain(hash);
    expect(await listed(Date.now() + 60_000)).toContain(hash);
    expect(await store.acquire(hash, 3)).toBeNull();
    expect((await store.find(hash))?.references).toEqual([]);
    await store.finishDeletion(hash);
    expect(await store.find(hash)).toBeNull();
    expect(await listed(Date.now() + 60_000)).not.toContain(hash);
    // Once gone, the same bytes start afresh.
    expect((await store.acquire(hash, 3))?.facts).toBeNull();
  });

  it('marks a deletion only with the last reference, whichever order releases come in', async () => {
    const hash = nextHash();
    await store.acquire(hash, 1);
    await store.acquire(hash, 2);
    expect(await store.release(hash, 1)).toBe(1);
    expect((await store.find(hash))?.deletingSince).toBeNull();
    // A reference it never had changes nothing.
    expect(await store.release(hash, 99)).toBe(1);
    expect((await store.find(hash))?.deletingSince).toBeNull();
    expect(await store.release(hash, 2)).toBe(0);
    expect((await store.find(hash))?.deletingSince).not.toBeNull();
    // Releasing again (a retried record) is harmless.
    expect(await store.release(hash, 2)).toBe(0);
    expect(await store.release(nextHash(), 1)).toBe(0);
  });

  it('forgets a content only while it is marked and unreferenced', async () => {
    const hash = nextHash();
    await store.acquire(hash, 1);
    await store.finishDeletion(hash);
    expect((await store.find(hash))?.references).toEqual([1]);
  });

  it('gives the render lease to one worker at a time, and again once it ran out', async () => {
    const hash = nextHash();
    await store.acquire(hash, 1);
    const now = Date.now();
    const claims = await Promise.all(Array.from({ length: 8 }, () => store.claimRender(hash, now, 60_000)));
    expect(claims.filter(Boolean)).toHaveLength(1);
    expect(await store.claimRender(hash, now + 61_000, 60_000)).toBe(true);
    await store.completeRender(hash, facts);
    expect(await store.find(hash)).toMatchObject({ facts, leaseUntil: null });
    expect(await store.claimRender(hash, now + 200_000, 60_000)).toBe(false);
  });

  it("lets a lease's own holder (an image retried after its worker crashed) take it back, and nobody else", async () => {
    const hash = nextHash();
    await store.acquire(hash, 1);
    const now = Date.now();
    expect(await store.claimRender(hash, now, 60_000, 'image-1')).toBe(true);
    expect(await store.claimRender(hash, now + 1_000, 60_000, 'image-2')).toBe(false);
    expect(await store.claimRender(hash, now + 1_000, 60_000)).toBe(false);
    expect(await store.claimRender(hash, now + 2_000, 60_000, 'image-1')).toBe(true);
  });

  it('records a render failure, and takes no render outcome for a content nobody references', async () => {
    const hash = nextHash();
    await store.acquire(hash, 1);
    await store.failRender(hash, 'image data corrupt');
    expect((await store.find(hash))?.renderError).toBe('image data corrupt');
    expect(await store.claimRender(hash, Date.now(), 1_000)).toBe(false);
    await store.release(hash, 1);
    await expect(store.completeRender(hash, facts)).rejects.toMatchObject({
      name: 'ConditionalCheckFailedException',
    });
  });
});
