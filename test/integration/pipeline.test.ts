import { readFileSync } from 'node:fs';
import { PutCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DynamoImageStatusStore } from '../../lib/adapters/dynamodb/image-status-store';
import { cdnBucket } from '../helpers/cdn-bucket';
import { gif, jpegImage, png, webp } from '../helpers/images';
import { documentClientFor, settled, useTestApi } from '../helpers/local-api';
import { type Origin, redirectTo, serve, startOrigin } from '../helpers/origin';

/** DynamoDB Local, s3rver, a local origin and the stream poller: the whole pipeline, as `npm start` runs it. */
const t = useTestApi({ withPipeline: true });
let origin: Origin;
const { objectKeys, contentObjects } = cdnBucket(t);

beforeAll(async () => {
  origin = await startOrigin('127.0.0.1');
});
afterAll(() => origin.close());

describe('the image pipeline end to end', () => {
  it('copies PNG, GIF, JPEG and WebP to the CDN origin with exact bytes, type and size', async () => {
    const samples = [
      { path: '/a.png', bytes: png(12, 7), type: 'image/png', width: 12, height: 7 },
      { path: '/b.gif', bytes: gif(5, 3), type: 'image/gif', width: 5, height: 3 },
      { path: '/c.jpg', bytes: jpegImage(33, 17), type: 'image/jpeg', width: 33, height: 17 },
      { path: '/d.webp', bytes: webp(), type: 'image/webp', width: 1, height: 1 },
    ];
    // Served with a useless type: the copy's type comes from the bytes.
    for (const sample of samples) origin.route(sample.path, serve(sample.bytes, 'application/octet-stream'));
    const posted = await t.http.post({
      product_sku: 'formats',
      images: samples.map((sample, order) => ({ url: `${origin.url}${sample.path}`, order })),
    });
    expect(posted.json.images.every((image: { status: string }) => image.status === 'pending')).toBe(true);

    const { images, etag } = await t.http.waitForImages('formats', settled);
    expect(etag).toBe(posted.headers.get('etag'));
    for (const [index, sample] of samples.entries()) {
      const copy = images[index];
      expect(copy).toMatchObject({
        status: 'ready',
        error: null,
        content_type: sample.type,
        width: sample.width,
        height: sample.height,
        bytes: sample.bytes.length,
      });
      const served = await fetch(copy?.cdn_url ?? '');
      expect(served.status).toBe(200);
      expect(served.headers.get('content-type')).toBe(sample.type);
      expect(served.headers.get('cache-control')).toBe('public, max-age=31536000, immutable');
      expect(Buffer.from(await served.arrayBuffer()).equals(sample.bytes)).toBe(true);
    }
  });

  it('follows a redirect', async () => {
    origin.route('/moved.png', redirectTo('/a.png', 301));
    await t.http.post({ product_sku: 'redirected', images: [{ url: `${origin.url}/moved.png` }] });
    const { images } = await t.http.waitForImages('redirected', settled);
    expect(images[0]).toMatchObject({ status: 'ready', width: 12, height: 7 });
  });

  it('fails 404, HTML served as image/png and an over-size body, with reasons', async () => {
    origin.route('/page.png', serve(Buffer.from('<!doctype html><title>x</title>'), 'image/png'));
    const huge = Buffer.concat([png(1, 1), Buffer.alloc(20 * 1024 * 1024)]);
    origin.route('/huge.png', serve(huge, 'image/png'));
    await t.http.post({
      product_sku: 'broken',
      images: [
        { url: `${origin.url}/nothing-here.png`, order: 0 },
        { url: `${origin.url}/page.png`, order: 1 },
        { url: `${origin.url}/huge.png`, order: 2 },
      ],
    });
    const { images } = await t.http.waitForImages('broken', settled);
    expect(images.map((image) => [image.status, image.error, image.cdn_url])).toEqual([
      ['failed', 'HTTP 404 from origin', null],
      ['failed', 'not an image', null],
      ['failed', 'image larger than 20 MiB', null],
    ]);
    expect(await objectKeys('products/broken/')).toEqual([]);
  });

  it('retries an origin that answers 503 once, then 200', async () => {
    const bytes = png(2, 2);
    origin.route('/flaky.png', (request, response, hit) =>
      hit === 1
        ? serve(Buffer.from('busy'), 'text/plain', 503)(request, response, hit)
        : serve(bytes, 'image/png')(request, response, hit),
    );
    await t.http.post({ product_sku: 'flaky', images: [{ url: `${origin.url}/flaky.png` }] });
    const { images } = await t.http.waitForImages('flaky', settled);
    expect(images[0]).toMatchObject({ status: 'ready', bytes: bytes.length });
    expect(origin.hits.get('/flaky.png')).toBe(2);
  });

  it('fails an image after the last retry and dead-letters it', async () => {
    origin.route('/down.png', serve(Buffer.from('down'), 'text/plain', 503));
    await t.http.post({ product_sku: 'down', images: [{ url: `${origin.url}/down.png` }] });
    const { images } = await t.http.waitForImages('down', settled);
    expect(images[0]).toMatchObject({ status: 'failed', error: 'HTTP 503 from origin' });
    expect(origin.hits.get('/down.png')).toBe(3);
    const letters = readFileSync(t.api.deadLetterFile ?? '', 'utf8')
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line));
    expect(letters).toContainEqual(
      expect.objectContaining({
        sku: 'down',
        imageId: images[0]?.id,
        reason: 'HTTP 503 from origin',
        attempts: 3,
      }),
    );
  });

  it('downloads a URL shared by 100 SKUs once, then revalidates it: 10 URLs, 10 downloads, 10 contents', async () => {
    const downloads = new Map<string, number>();
    const photos = Array.from({ length: 10 }, (_, index) => png(20 + index, 10));
    let version = 1;
    for (const index of photos.keys()) {
      origin.route(`/shared-${index}.png`, (request, response) => {
        const etag = `"shared-${index}-v${version}"`;
        if (request.headers['if-none-match'] === etag) return void response.writeHead(304, { etag }).end();
        downloads.set(request.url ?? '', (downloads.get(request.url ?? '') ?? 0) + 1);
        response.writeHead(200, { 'content-type': 'image/png', etag }).end(photos[index]);
      });
    }
    const skus = Array.from({ length: 100 }, (_, index) => `shared-${index}`);
    for (const [index, sku] of skus.entries()) {
      const posted = await t.http.post({
        product_sku: sku,
        images: [{ url: `${origin.url}/shared-${index % 10}.png` }],
      });
      expect(posted.status).toBe(201);
    }
    const sets = await Promise.all(skus.map((sku) => t.http.waitForImages(sku, settled)));
    expect(sets.map(({ images }) => images[0]?.status)).toEqual(skus.map(() => 'ready'));
    expect([...downloads.values()]).toEqual(photos.map(() => 1));
    expect(new Set(sets.map(({ images }) => images[0]?.content_sha256)).size).toBe(10);
    expect(origin.hits.get('/shared-0.png')).toBe(10);

    // Changed at the origin (a new ETag): the next SKU using it downloads the new bytes.
    version = 2;
    photos[0] = png(64, 10);
    await t.http.post({ product_sku: 'shared-changed', images: [{ url: `${origin.url}/shared-0.png` }] });
    const changed = await t.http.waitForImages('shared-changed', settled);
    expect(changed.images[0]).toMatchObject({ status: 'ready', width: 64 });
    expect(downloads.get('/shared-0.png')).toBe(2);
  });

  it('deletes the objects of content a later POST removes, and of every image of a deleted SKU', async () => {
    origin.route('/keep.png', serve(png(3, 3), 'image/png'));
    origin.route('/drop.png', serve(png(4, 4), 'image/png'));
    await t.http.post({
      product_sku: 'pruned',
      images: [{ url: `${origin.url}/keep.png` }, { url: `${origin.url}/drop.png`, order: 1 }],
    });
    const first = await t.http.waitForImages('pruned', settled);
    const [kept, dropped] = first.images;
    const keptObjects = await contentObjects(kept?.content_sha256);
    // The original, one rung, one tile and one swatch, the last three in three formats each.
    expect(keptObjects).toHaveLength(10);
    expect(await contentObjects(dropped?.content_sha256)).toHaveLength(10);

    const after = await t.http.post({ product_sku: 'pruned', images: [{ url: `${origin.url}/keep.png` }] });
    expect(after.json.images[0]).toMatchObject({ id: kept?.id, status: 'ready', cdn_url: kept?.cdn_url });
    await expect.poll(() => contentObjects(dropped?.content_sha256), { timeout: 10_000 }).toEqual([]);
    expect(await contentObjects(kept?.content_sha256)).toEqual(keptObjects);
    expect((await fetch(dropped?.cdn_url ?? '')).status).toBe(404);

    await t.http.post({ product_sku: 'pruned', images: [] });
    await expect.poll(() => contentObjects(kept?.content_sha256), { timeout: 10_000 }).toEqual([]);
  });

  it('never changes the ETag while recording progress', async () => {
    origin.route('/etag.png', serve(png(5, 5), 'image/png'));
    const posted = await t.http.post({ product_sku: 'etag', images: [{ url: `${origin.url}/etag.png` }] });
    const { etag } = await t.http.waitForImages('etag', settled);
    expect(etag).toBe(posted.headers.get('etag'));
    const conditional = await t.http.post(
      { product_sku: 'etag', images: [{ url: `${origin.url}/etag.png`, order: 2 }] },
      { 'If-Match': etag ?? '' },
    );
    expect(conditional.status).toBe(200);
    expect(conditional.json.images[0]).toMatchObject({ status: 'ready', order: 2 });
  });
});

describe('ProductImagesSettled events (local mode: .local/events.jsonl)', () => {
  const eventsFor = (sku: string) => {
    let text = '';
    try {
      text = readFileSync(t.api.eventsFile ?? '', 'utf8');
    } catch {}
    return text
      .split('\n')
      .filter(Boolean)
      .map((line) => JSON.parse(line))
      .filter((event) => event.detail.sku === sku);
  };
  const waitForEvents = async (sku: string, count: number) => {
    const deadline = Date.now() + 20_000;
    while (eventsFor(sku).length < count && Date.now() < deadline)
      await new Promise((done) => setTimeout(done, 100));
    // A little longer, so that a second (wrong) event would have had time to appear.
    await new Promise((done) => setTimeout(done, 500));
    return eventsFor(sku);
  };

  it('announces a set of 3 images once, when all three have settled', async () => {
    origin.route('/e1.png', serve(png(2, 2), 'image/png'));
    origin.route('/e2.gif', serve(gif(3, 3), 'image/gif'));
    const posted = await t.http.post({
      product_sku: 'announced',
      images: [
        { url: `${origin.url}/e1.png`, order: 0 },
        { url: `${origin.url}/e2.gif`, order: 1 },
        { url: `${origin.url}/missing.png`, order: 2 },
      ],
    });
    const events = await waitForEvents('announced', 1);
    expect(events).toHaveLength(1);
    expect(events[0]).toMatchObject({ source: 'product-images', 'detail-type': 'ProductImagesSettled' });
    expect(events[0].detail.id).toBe(`announced/${events[0].detail.version}`);
    expect(events[0].detail.images[0]).toMatchObject({ thumbhash: expect.any(String) });
    expect(events[0].detail.images[0].variants.map((variant: { format: string }) => variant.format)).toEqual([
      'avif',
      'webp',
      'jpeg',
    ]);
    expect(`"${events[0].detail.version}"`).toBe(posted.headers.get('etag'));
    expect(events[0].detail.images.map((image: { status: string }) => image.status)).toEqual([
      'ready',
      'ready',
      'failed',
    ]);
    expect(events[0].detail.images[0].cdn_url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\//);
    expect(events[0].detail.images[2].error).toBe('HTTP 404 from origin');
  });

  it('delivers the event of a version whose marker stopped right after the mark: from the mark itself', async () => {
    // A settled set the pipeline never saw (written as the pipeline), marked by a worker that then
    // stopped: nothing but the mark's own stream record is left to deliver its event.
    const documents = documentClientFor(t.api);
    await documents.send(
      new PutCommand({
        TableName: t.api.tableName,
        Item: {
          pk: 'SKU#marked-then-stopped',
          sku: 'marked-then-stopped',
          version: 'vmark',
          revision: 1,
          writer: 'pipeline',
          images: [
            {
              id: 901,
              url: 'https://e/901.jpg',
              order: 0,
              image_type: 'default',
              status: 'failed',
              error: 'HTTP 404 from origin',
            },
          ],
        },
      }),
    );
    expect(
      await new DynamoImageStatusStore(documents, t.api.tableName).markAnnounced(
        'marked-then-stopped',
        'vmark',
      ),
    ).toBe(true);
    const events = await waitForEvents('marked-then-stopped', 1);
    expect(events).toHaveLength(1);
    expect(events[0].detail).toMatchObject({
      id: 'marked-then-stopped/vmark',
      version: 'vmark',
      images: [{ id: 901, status: 'failed', error: 'HTTP 404 from origin' }],
    });
  });

  it('announces only the newer version when a POST replaces a set before it settled', async () => {
    origin.route('/slow.png', (request, response, hit) =>
      setTimeout(() => serve(png(4, 4), 'image/png')(request, response, hit), 1500),
    );
    origin.route('/fast.png', serve(png(5, 5), 'image/png'));
    await t.http.post({ product_sku: 'superseded', images: [{ url: `${origin.url}/slow.png` }] });
    const newer = await t.http.post({
      product_sku: 'superseded',
      images: [{ url: `${origin.url}/fast.png` }],
    });
    await t.http.waitForImages('superseded', settled);
    const events = await waitForEvents('superseded', 1);
    expect(events.map((event) => `"${event.detail.version}"`)).toEqual([newer.headers.get('etag')]);
  });
});
