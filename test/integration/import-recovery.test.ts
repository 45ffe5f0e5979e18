import { randomUUID } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ImageView } from '../../lib/domain/image';
import { jpegImage } from '../helpers/images';
import { type LocalMode, processesMarked, startLocalMode } from '../helpers/local-mode';
import { type Origin, serve, startOrigin } from '../helpers/origin';

const PRODUCTS = 20;
const IMAGES_PER_PRODUCT = 5;
const TOTAL = PRODUCTS * IMAGES_PER_PRODUCT;

let origin: Origin;
beforeAll(async () => {
  origin = await startOrigin('127.0.0.1');
  for (let index = 0; index < TOTAL; index++) {
    // Distinct bytes for every image (its size differs), served slowly enough that a kill lands mid-import.
    const send = serve(jpegImage(40 + index, 30 + (index % 7)), 'image/jpeg');
    origin.route(`/photo-${index}.jpg`, (request, response, hit) => {
      setTimeout(() => send(request, response, hit), 150);
    });
  }
});
afterAll(() => origin.close());

const skus = Array.from({ length: PRODUCTS }, (_, index) => `import-${index}`);

async function statuses(local: LocalMode): Promise<ImageView[]> {
  const headers = { Authorization: `Token ${local.apiKey}` };
  const sets = await Promise.all(
    skus.map(async (sku) => {
      const answer = await fetch(`${local.baseUrl}/api/i1/downloadable_image/?product_sku=${sku}`, {
        headers,
      });
      return ((await answer.json()) as { results: Array<{ images: ImageView[] }> }).results[0]?.images ?? [];
    }),
  );
  return sets.flat();
}

async function waitUntil(local: LocalMode, done: (images: ImageView[]) => boolean, timeoutMs: number) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const images = await statuses(local);
    if (done(images)) return images;
    if (Date.now() > deadline) throw new Error(`gave up waiting:\n${local.output().slice(-2000)}`);
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

describe('an import killed in the middle of rendering, then restarted on LOCAL_DATA_DIR', () => {
  it(`ends with all ${TOTAL} images of ${PRODUCTS} products × ${IMAGES_PER_PRODUCT} ready`, async () => {
    const probe = randomUUID();
    const marker = `IMPORT_RECOVERY_PROBE=${probe}`;
    const workDir = mkdtempSync(join(tmpdir(), 'import-recovery-'));
    const env = {
      LOCAL_DATA_DIR: mkdtempSync(join(tmpdir(), 'import-recovery-data-')),
      LOG_LEVEL: 'warn',
      IMPORT_RECOVERY_PROBE: probe,
    };
    let local = await startLocalMode(env, 60_000, workDir);
    try {
      await Promise.all(
        skus.map(async (sku, product) => {
          const images = Array.from({ length: IMAGES_PER_PRODUCT }, (_, order) => ({
            url: `${origin.url}/photo-${product * IMAGES_PER_PRODUCT + order}.jpg`,
            order,
          }));
          const posted = await fetch(`${local.baseUrl}/api/i1/downloadable_image/`, {
            method: 'POST',
            headers: { Authorization: `Token ${local.apiKey}`, 'Content-Type': 'application/json' },
            body: JSON.stringify({ product_sku: sku, images }),
          });
          expect(posted.status).toBe(201);
        }),
      );
      const before = await waitUntil(
        local,
        (images) => images.filter((image) => image.status === 'ready').length >= 10,
        60_000,
      );
      // The crash: local mode and its DynamoDB Local, killed outright; the in-memory queue is lost.
      for (const pid of processesMarked(marker)) process.kill(pid, 'SIGKILL');
      expect(before.filter((image) => image.status === 'pending').length).toBeGreaterThan(0);
    } catch (error) {
      for (const pid of processesMarked(marker)) process.kill(pid, 'SIGKILL');
      throw error;
    }
    await new Promise((resolve) => setTimeout(resolve, 500));

    local = await startLocalMode(env, 60_000, workDir);
    try {
      const after = await waitUntil(
        local,
        (images) => images.length === TOTAL && images.every((image) => image.status !== 'pending'),
        120_000,
      );
      expect(after.filter((image) => image.status !== 'ready')).toEqual([]);
      // The sweep at start found the images the lost queue held (the replayed stream enqueues some too).
      expect(local.output()).toContain('pending images enqueued again');
      // Every image is served from the CDN.
      for (const image of after.slice(0, 10)) expect((await fetch(image.cdn_url ?? '')).status).toBe(200);
    } finally {
      await local.stop();
      for (const pid of processesMarked(marker)) process.kill(pid, 'SIGKILL');
    }
  }, 240_000);
});
