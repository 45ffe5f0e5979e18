import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ImageView } from '../../lib/domain/image';
import { useTestApi } from '../helpers/local-api';
import { type Origin, serve, startOrigin } from '../helpers/origin';
import { photoJpeg } from '../helpers/photos';

/** DynamoDB Local, s3rver behind the local CDN proxy (the CloudFront Function's code), and the pipeline. */
const t = useTestApi({ withPipeline: true });
let origin: Origin;

beforeAll(async () => {
  origin = await startOrigin('127.0.0.1');
});
afterAll(() => origin.close());

const ready = (images: ImageView[]) => images.length > 0 && images.every((image) => image.status === 'ready');

function packshot(width: number, height: number): Promise<Buffer> {
  const svg = `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}">
    <rect width="100%" height="100%" fill="#ffffff"/>
    <rect x="${width * 0.15}" y="${height * 0.2}" width="${width * 0.25}" height="${height * 0.6}" rx="10" fill="#c0392b"/></svg>`;
  return sharp(Buffer.from(svg)).jpeg({ quality: 85 }).toBuffer();
}

/** What the CDN answers for `url`: status, type and pixel size. */
async function served(url: string, accept = 'image/avif,image/webp,*/*') {
  const answer = await fetch(url, { headers: { Accept: accept } });
  const body = Buffer.from(await answer.arrayBuffer());
  const metadata = answer.status === 200 ? await sharp(body).metadata() : null;
  return {
    status: answer.status,
    type: answer.headers.get('content-type'),
    size: [metadata?.width, metadata?.height],
  };
}

describe('storefront slots end to end (DynamoDB Local, s3rver, the CDN function locally)', () => {
  it('serves square tiles for ?width=400&height=400 of a packshot, a portrait and a landscape photo', async () => {
    origin.route('/packshot.jpg', serve(await packshot(1600, 1200), 'image/jpeg'));
    origin.route('/portrait.jpg', serve(await photoJpeg(1500, 2000), 'image/jpeg'));
    origin.route('/landscape.jpg', serve(await photoJpeg(1920, 1080), 'image/jpeg'));
    await t.http.post({
      product_sku: 'tiles',
      images: [
        { url: `${origin.url}/packshot.jpg` },
        { url: `${origin.url}/portrait.jpg`, order: 1 },
        { url: `${origin.url}/landscape.jpg`, order: 2 },
      ],
    });
    const { images } = await t.http.waitForImages('tiles', ready, 60_000);
    for (const image of images as ImageView[]) {
      expect(image.tiles.map((tile) => `${tile.aspect} ${tile.width}x${tile.height}`)).toContain(
        '1:1 540x540',
      );
      expect(await served(`${image.cdn_url}?width=400&height=400`)).toEqual({
        status: 200,
        type: 'image/avif',
        size: [540, 540],
      });
      expect(await served(`${image.cdn_url}?width=400&height=400`, '*/*')).toEqual({
        status: 200,
        type: 'image/jpeg',
        size: [540, 540],
      });
      // No tile set near 16:9: the plain rendition, as before.
      expect((await served(`${image.cdn_url}?width=400&height=225`)).size[0]).toBe(832);
      for (const tile of image.tiles) {
        expect(await served(tile.url)).toMatchObject({ status: 200, size: [tile.width, tile.height] });
      }
    }
  }, 120_000);

  it("serves a swatch's swatch rungs, and a re-POST changing image_type never makes a URL answer 404", async () => {
    origin.route('/swatch.jpg', serve(await photoJpeg(800, 600), 'image/jpeg'));
    const posted = (type: 'swatch' | 'default') =>
      t.http.post({
        product_sku: 'swatches',
        images: [{ url: `${origin.url}/swatch.jpg`, image_type: type }],
      });
    await posted('swatch');
    const [swatch] = (await t.http.waitForImages('swatches', ready, 60_000)).images as ImageView[];
    expect(swatch?.cdn_url).toMatch(/\/swatch$/);
    expect(swatch?.tiles).toEqual([]);
    expect(
      swatch?.variants.every((variant) => variant.width === variant.height && variant.width <= 192),
    ).toBe(true);
    expect(await served(`${swatch?.cdn_url}?width=64`)).toEqual({
      status: 200,
      type: 'image/avif',
      size: [64, 64],
    });
    expect(await served(`${swatch?.cdn_url}?width=100`, 'image/webp')).toMatchObject({
      status: 200,
      size: [128, 128],
    });
    expect(await served(swatch?.cdn_url ?? '')).toMatchObject({ status: 200, size: [800, 600] });

    // The same bytes as a photo: one content, rendered once, shown as a photo at once.
    await posted('default');
    const [photo] = (await t.http.get({ product_sku: 'swatches' })).json.results[0].images as ImageView[];
    expect(photo?.status).toBe('ready');
    expect(photo?.cdn_url).toBe(swatch?.cdn_url?.replace(/\/swatch$/, ''));
    expect(photo?.variants.map((variant) => variant.width)).toContain(352);
    expect(photo?.tiles.length).toBeGreaterThan(0);
    for (const url of [
      swatch?.cdn_url,
      photo?.cdn_url,
      ...(swatch?.variants ?? []).map((variant) => variant.url),
    ]) {
      expect((await served(`${url}`)).status, String(url)).toBe(200);
      expect((await served(`${url}?width=64`)).status, String(url)).toBe(200);
    }
    await posted('swatch');
    const [again] = (await t.http.get({ product_sku: 'swatches' })).json.results[0].images as ImageView[];
    expect(again?.cdn_url).toBe(swatch?.cdn_url);
  }, 120_000);
});
