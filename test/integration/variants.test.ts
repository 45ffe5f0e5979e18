import { createHash } from 'node:crypto';
import { GetCommand } from '@aws-sdk/lib-dynamodb';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { keys } from '../../lib/adapters/dynamodb/table-schema';
import type { ImageView } from '../../lib/domain/image';
import { cdnBucket } from '../helpers/cdn-bucket';
import { documentClientFor, settled, useTestApi } from '../helpers/local-api';
import { type Origin, serve, startOrigin } from '../helpers/origin';
import { alphaPng, animatedGif, hasGpsTag, photoJpeg } from '../helpers/photos';

/** DynamoDB Local, s3rver behind the local CDN proxy (the CloudFront Function's code), and the pipeline. */
const t = useTestApi({ withPipeline: true });
let origin: Origin;
const { objectKeys, contentObjects } = cdnBucket(t);

beforeAll(async () => {
  origin = await startOrigin('127.0.0.1');
});
afterAll(() => origin.close());

const sha256 = (bytes: Buffer) => createHash('sha256').update(bytes).digest('hex');
const ready = (images: ImageView[]) => images.length > 0 && images.every((image) => image.status === 'ready');

async function contentItem(hash: string) {
  const { Item } = await documentClientFor(t.api).send(
    new GetCommand({ TableName: t.api.tableName, Key: keys.content(hash), ConsistentRead: true }),
  );
  return Item;
}

/** Fetches every variant and checks it decodes to the size and format it claims, without metadata. */
async function expectServedVariants(image: ImageView): Promise<void> {
  expect(image.variants.length).toBeGreaterThan(0);
  for (const variant of image.variants) {
    const answer = await fetch(variant.url);
    expect(answer.status, variant.url).toBe(200);
    expect(answer.headers.get('content-type')).toBe(`image/${variant.format}`);
    const metadata = await sharp(Buffer.from(await answer.arrayBuffer()), { animated: true }).metadata();
    expect(metadata.format).toBe(variant.format === 'avif' ? 'heif' : variant.format);
    expect([metadata.width, metadata.pageHeight ?? metadata.height]).toEqual([variant.width, variant.height]);
    expect(metadata.exif).toBeUndefined();
    expect(variant.width).toBeLessThanOrEqual(image.width ?? 0);
  }
}

describe('renditions end to end (DynamoDB Local, s3rver, the CDN function locally)', () => {
  it('renders JPEG (turned, GPS gone), PNG with alpha, animated GIF, AVIF and WebP inputs', async () => {
    const photo = await photoJpeg(1600, 900, { orientation: 6, gps: true });
    const sources = [
      { path: '/phone.jpg', bytes: photo, kind: 'jpeg', size: [900, 1600], widths: [832, 352, 160] },
      {
        path: '/logo.png',
        bytes: await alphaPng(400, 200),
        kind: 'png',
        size: [400, 200],
        widths: [400, 352, 160],
      },
      {
        path: '/spin.gif',
        bytes: await animatedGif(300, 200, 3),
        kind: 'animated',
        size: [300, 200],
        widths: [300, 160],
      },
      {
        path: '/shot.avif',
        bytes: await sharp(await photoJpeg(900, 600))
          .avif({ effort: 2 })
          .toBuffer(),
        kind: 'jpeg',
        size: [900, 600],
        widths: [832, 352, 160],
      },
      {
        path: '/shot.webp',
        bytes: await sharp(await photoJpeg(500, 400))
          .webp()
          .toBuffer(),
        kind: 'jpeg',
        size: [500, 400],
        widths: [500, 352, 160],
      },
    ];
    for (const source of sources) origin.route(source.path, serve(source.bytes, 'application/octet-stream'));
    await t.http.post({
      product_sku: 'renditions',
      images: sources.map((source, order) => ({ url: `${origin.url}${source.path}`, order })),
    });
    const { images } = await t.http.waitForImages('renditions', settled, 60_000);
    for (const [index, source] of sources.entries()) {
      const image = images[index] as ImageView;
      expect(image, source.path).toMatchObject({
        status: 'ready',
        width: source.size[0],
        height: source.size[1],
        content_sha256: sha256(source.bytes),
      });
      expect(image.thumbhash).toMatch(/^[A-Za-z0-9+/]+=*$/);
      expect(image.dominant_color).toMatch(/^#[0-9a-f]{6}$/);
      expect([...new Set(image.variants.map((variant) => variant.width))]).toEqual(source.widths);
      const formats = [...new Set(image.variants.map((variant) => variant.format))];
      expect(formats).toEqual(
        source.kind === 'animated' ? ['webp'] : ['avif', 'webp', source.kind === 'png' ? 'png' : 'jpeg'],
      );
      await expectServedVariants(image);
    }
    // The original as published: the same photo, still turned by its EXIF orientation, no GPS.
    const original = await fetch(images[0]?.cdn_url ?? '');
    const served = await sharp(Buffer.from(await original.arrayBuffer())).metadata();
    expect(hasGpsTag(served.exif)).toBe(false);
    expect(served.orientation).toBe(6);
  });

  it('serves cdn_url?width=N as the smallest rung at least N wide, in the best format Accept allows', async () => {
    const photo = await photoJpeg(2000, 1500);
    origin.route('/wide.jpg', serve(photo, 'image/jpeg'));
    await t.http.post({ product_sku: 'widths', images: [{ url: `${origin.url}/wide.jpg` }] });
    const [image] = (await t.http.waitForImages('widths', ready, 60_000)).images;
    const cdnUrl = image?.cdn_url ?? '';
    const get = async (query: string, accept: string) => {
      const answer = await fetch(`${cdnUrl}${query}`, { headers: { Accept: accept } });
      const bytes = Buffer.from(await answer.arrayBuffer());
      return { answer, bytes, metadata: await sharp(bytes).metadata() };
    };
    const avif = await get('?width=400', 'image/avif,image/webp,*/*');
    expect(avif.answer.status).toBe(200);
    expect(avif.answer.headers.get('content-type')).toBe('image/avif');
    expect(avif.answer.headers.get('vary')).toBe('Accept');
    expect(avif.answer.headers.get('access-control-allow-origin')).toBe('*');
    expect(avif.answer.headers.get('cache-control')).toBe('public, max-age=31536000, immutable');
    expect(avif.metadata.width).toBe(832);
    const webp = await get('?width=1201', 'image/webp,*/*');
    expect([webp.answer.headers.get('content-type'), webp.metadata.width]).toEqual(['image/webp', 1920]);
    const fallback = await get('?width=5000', '*/*');
    expect([fallback.answer.headers.get('content-type'), fallback.metadata.width]).toEqual([
      'image/jpeg',
      1920,
    ]);
    const whole = await get('?width=banana', 'image/avif');
    expect(whole.bytes.equals(photo)).toBe(true);
    for (const width of [1, 351, 352, 353, 831, 832, 833, 1199, 1200, 1201, 1919, 1920, 1921, 2000, 99999]) {
      expect(
        (await fetch(`${cdnUrl}?width=${width}`, { headers: { Accept: 'image/avif' } })).status,
        String(width),
      ).toBe(200);
    }
  });

  it('stores and renders equal bytes once: 10 SKUs with one URL and a second URL with the same bytes', async () => {
    const photo = await photoJpeg(640, 480);
    const hash = sha256(photo);
    origin.route('/shared.jpg', serve(photo, 'image/jpeg'));
    origin.route('/mirror.jpg', serve(photo, 'image/jpeg'));
    await Promise.all(
      Array.from({ length: 10 }, (_, index) =>
        t.http.post({ product_sku: `shared-${index}`, images: [{ url: `${origin.url}/shared.jpg` }] }),
      ),
    );
    await t.http.post({ product_sku: 'mirror', images: [{ url: `${origin.url}/mirror.jpg` }] });
    const skus = [...Array.from({ length: 10 }, (_, index) => `shared-${index}`), 'mirror'];
    const answers = await Promise.all(skus.map((sku) => t.http.waitForImages(sku, ready, 60_000)));
    const cdnUrls = new Set(answers.map((answer) => answer.images[0]?.cdn_url));
    expect(cdnUrls.size).toBe(1);
    expect(answers.every((answer) => answer.images[0]?.content_sha256 === hash)).toBe(true);
    expect(await objectKeys(`o/${hash}/`)).toEqual([
      `o/${hash}/jpeg/160-352-640/1x1f90-180-360-540/s64-128-192`,
    ]);
    const formats = ['avif', 'jpeg', 'webp'];
    expect(await objectKeys(`v/${hash}/`)).toEqual(
      [
        ...['160', '352', '640'].flatMap((rung) => formats.map((format) => `v/${hash}/${rung}.${format}`)),
        ...['180', '360', '540'].flatMap((rung) =>
          formats.map((format) => `v/${hash}/1x1f90/${rung}.${format}`),
        ),
        ...['64', '128', '192'].flatMap((rung) => formats.map((format) => `v/${hash}/s/${rung}.${format}`)),
      ].sort(),
    );
    const item = await contentItem(hash);
    expect([...(item?.refs ?? [])].sort()).toEqual(answers.map((answer) => answer.images[0]?.id).sort());
  });

  it('keeps the objects while any image uses the content, and deletes them with the last one', async () => {
    const photo = await photoJpeg(500, 500);
    const hash = sha256(photo);
    origin.route('/kept.jpg', serve(photo, 'image/jpeg'));
    for (const sku of ['keep-a', 'keep-b']) {
      await t.http.post({ product_sku: sku, images: [{ url: `${origin.url}/kept.jpg` }] });
      await t.http.waitForImages(sku, ready, 60_000);
    }
    const stored = await contentObjects(hash);
    // The original, 3 rungs, 2 tiles and 3 swatches, each rendition in 3 formats.
    expect(stored).toHaveLength(25);
    await t.http.post({ product_sku: 'keep-a', images: [] });
    await expect.poll(async () => (await contentItem(hash))?.refs?.size, { timeout: 10_000 }).toBe(1);
    expect(await contentObjects(hash)).toEqual(stored);
    await t.http.post({ product_sku: 'keep-b', images: [] });
    await expect.poll(() => contentObjects(hash), { timeout: 10_000 }).toEqual([]);
    await expect.poll(() => contentItem(hash), { timeout: 10_000 }).toBeUndefined();
  });

  it('survives a 16-way race of POSTs adding and removing the same content: no orphan, no missing object', async () => {
    const photo = await photoJpeg(420, 300);
    const hash = sha256(photo);
    origin.route('/race.jpg', serve(photo, 'image/jpeg'));
    const image = [{ url: `${origin.url}/race.jpg` }];
    const skus = Array.from({ length: 16 }, (_, index) => `race-${index}`);
    await Promise.all(
      skus.map(async (sku, index) => {
        for (let round = 0; round < 3; round++) {
          await t.http.post({ product_sku: sku, images: image });
          await t.http.post({ product_sku: sku, images: [] });
        }
        // Half end holding the image, half without it.
        if (index % 2 === 0) await t.http.post({ product_sku: sku, images: image });
      }),
    );
    const holders = skus.filter((_, index) => index % 2 === 0);
    for (const sku of holders) {
      const [held] = (await t.http.waitForImages(sku, ready, 60_000)).images;
      expect(held?.content_sha256).toBe(hash);
      expect((await fetch(held?.cdn_url ?? '')).status).toBe(200);
      await expectServedVariants(held as ImageView);
    }
    await expect
      .poll(async () => [...((await contentItem(hash))?.refs ?? [])].length, { timeout: 30_000 })
      .toBe(holders.length);
    expect(await contentObjects(hash)).toHaveLength(25);
    await Promise.all(holders.map((sku) => t.http.post({ product_sku: sku, images: [] })));
    await expect.poll(() => contentObjects(hash), { timeout: 30_000 }).toEqual([]);
    await expect.poll(() => contentItem(hash), { timeout: 10_000 }).toBeUndefined();
  });

  it('fails an image whose data is corrupt after a valid header, with a short reason', async () => {
    const whole = await photoJpeg(800, 600);
    origin.route('/broken.jpg', serve(whole.subarray(0, Math.floor(whole.length / 2)), 'image/jpeg'));
    await t.http.post({ product_sku: 'broken', images: [{ url: `${origin.url}/broken.jpg` }] });
    const [image] = (await t.http.waitForImages('broken', settled, 60_000)).images;
    expect(image).toMatchObject({
      status: 'failed',
      error: 'image data truncated',
      cdn_url: null,
      variants: [],
    });
  });
});
