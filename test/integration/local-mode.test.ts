import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ImageView } from '../../lib/domain/image';
import { png } from '../helpers/images';
import { type LocalMode, startLocalMode } from '../helpers/local-mode';
import { type Origin, serve, startOrigin } from '../helpers/origin';

let origin: Origin;
beforeAll(async () => {
  origin = await startOrigin('127.0.0.1');
  origin.route('/local.png', serve(png(4, 3), 'image/png'));
});
afterAll(() => origin.close());

async function settledImage(local: LocalMode, sku: string): Promise<ImageView> {
  const headers = { Authorization: `Token ${local.apiKey}`, 'Content-Type': 'application/json' };
  const url = `${local.baseUrl}/api/i1/downloadable_image/`;
  const posted = await fetch(url, {
    method: 'POST',
    headers,
    body: JSON.stringify({ product_sku: sku, images: [{ url: `${origin.url}/local.png` }] }),
  });
  expect(posted.status).toBe(201);
  const deadline = Date.now() + 20_000;
  for (;;) {
    const listing = (await (await fetch(`${url}?product_sku=${sku}`, { headers })).json()) as {
      results: Array<{ images: ImageView[] }>;
    };
    const image: ImageView | undefined = listing.results[0]?.images[0];
    if (image && image.status !== 'pending') return image;
    if (Date.now() > deadline) throw new Error(`still pending: ${JSON.stringify(listing)}`);
    await new Promise((done) => setTimeout(done, 100));
  }
}

describe('npm start and ALLOW_PRIVATE_IMAGE_HOSTS', () => {
  it('applies the deployed SSRF rules when set to false: a loopback image is refused', async () => {
    const local = await startLocalMode({ ALLOW_PRIVATE_IMAGE_HOSTS: 'false' });
    try {
      const image = await settledImage(local, 'strict');
      expect(image).toMatchObject({ status: 'failed', error: 'address not allowed', cdn_url: null });
      expect(origin.hits.get('/local.png') ?? 0).toBe(0);
    } finally {
      await local.stop();
    }
  });

  it('lets images come from this machine by default', async () => {
    const local = await startLocalMode({ ALLOW_PRIVATE_IMAGE_HOSTS: undefined });
    try {
      const image = await settledImage(local, 'relaxed');
      expect(image).toMatchObject({ status: 'ready', width: 4, height: 3 });
      const served = await fetch(image.cdn_url ?? '');
      expect(Buffer.from(await served.arrayBuffer()).equals(png(4, 3))).toBe(true);
    } finally {
      await local.stop();
    }
  });
});
