import { createHash } from 'node:crypto';
import { DeleteObjectCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import { DeleteCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { S3RVER_CREDENTIALS } from '../../infra/local/s3-local';
import { keys } from '../../lib/adapters/dynamodb/table-schema';
import { loadPipelineConfig } from '../../lib/config';
import type { ImageView } from '../../lib/domain/image';
import { slotSignature } from '../../lib/domain/storefront-slots';
import { contentKeys, DEFAULT_VARIANT_WIDTHS, ladderFor, rungsOf } from '../../lib/domain/variant-ladder';
import { createRerenderDependencies } from '../../lib/renderer-service';
import { planRerender, type RerenderProgress, runRerender } from '../../lib/rerender/rerender';
import { cdnBucket } from '../helpers/cdn-bucket';
import { fixtureImages, fixturesMissing, hasFixtures } from '../helpers/fixtures';
import { documentClientFor, settled, useTestApi } from '../helpers/local-api';
import { type Origin, serve, startOrigin } from '../helpers/origin';
import { photoJpeg } from '../helpers/photos';

/** DynamoDB Local, s3rver behind the local CDN (the CloudFront Function's code), the pipeline on the default ladder. */
const t = useTestApi({ withPipeline: true });
const { objectKeys, contentObjects, client: bucketClient } = cdnBucket(t);
let origin: Origin;
beforeAll(async () => {
  origin = await startOrigin('127.0.0.1');
});
afterAll(() => origin.close());

/** The ladder the suite's pipeline renders with (the default). */
const BEFORE = [...DEFAULT_VARIANT_WIDTHS];
const AFTER = [352, 640, 1024, 1600, 2400];
const BROWSER_ACCEPT = 'image/avif,image/webp,*/*';
const ready = (images: ImageView[]) => images.length > 0 && images.every((image) => image.status === 'ready');
const sha256 = (bytes: Buffer) => createHash('sha256').update(bytes).digest('hex');

/** `npm run rerender`'s work, in process, on this suite's table and bucket with the ladder `widths`. */
async function rerender(
  widths: readonly number[],
  dryRun = false,
  settings: Record<string, string> = {},
): Promise<{ planned: number; report: RerenderProgress | null }> {
  const s3 = t.api.s3;
  const config = loadPipelineConfig({
    TABLE_NAME: t.api.tableName,
    DYNAMODB_ENDPOINT: t.api.dynamodbEndpoint,
    AWS_REGION: 'local',
    BUCKET_NAME: s3?.bucket,
    S3_ENDPOINT: s3?.endpoint,
    S3_ACCESS_KEY_ID: S3RVER_CREDENTIALS.accessKeyId,
    S3_SECRET_ACCESS_KEY: S3RVER_CREDENTIALS.secretAccessKey,
    CDN_BASE_URL: t.api.cdnBaseUrl,
    VARIANT_WIDTHS: widths.join(','),
    LOG_LEVEL: 'silent',
    ...settings,
  });
  const { deps, walk } = createRerenderDependencies(config);
  const plan = await planRerender(walk, widths, slotSignature(config.tiles, config.swatchWidths));
  if (dryRun) return { planned: plan.tasks.length, report: null };
  return {
    planned: plan.tasks.length,
    report: await runRerender(plan, deps, { ratePerSecond: 50, concurrency: 2 }),
  };
}

/** The served image's width and content type, for `url?width=N` as a browser asks for it. */
async function served(url: string, width?: number) {
  const answer = await fetch(width === undefined ? url : `${url}?width=${width}`, {
    headers: { Accept: BROWSER_ACCEPT },
  });
  const bytes = Buffer.from(await answer.arrayBuffer());
  return {
    status: answer.status,
    type: answer.headers.get('content-type'),
    width: answer.status === 200 ? (await sharp(bytes).metadata()).width : null,
  };
}

const boundaries = [...BEFORE, ...AFTER].flatMap((width) => [width - 1, width, width + 1]);

async function postAndWait(sku: string, path: string, bytes: Buffer): Promise<ImageView> {
  origin.route(path, serve(bytes, 'image/jpeg'));
  await t.http.post({ product_sku: sku, images: [{ url: `${origin.url}${path}` }] });
  const [image] = (await t.http.waitForImages(sku, ready, 60_000)).images;
  return image as ImageView;
}

describe('renditions at the original width, a ladder change and npm run rerender', () => {
  it('serves an 800 px photo at 800 px to ?width=800 and a 1,600 px one at 1,600 px to ?width=1600', async () => {
    const shirt = await postAndWait('shirt-800', '/shirt-800.jpg', await photoJpeg(800, 800));
    const large = await postAndWait('photo-1600', '/photo-1600.jpg', await photoJpeg(1600, 1200));
    expect(await served(shirt.cdn_url ?? '', 800)).toEqual({ status: 200, type: 'image/avif', width: 800 });
    expect((await served(shirt.cdn_url ?? '', 400)).width).toBe(800);
    expect((await served(large.cdn_url ?? '', 1600)).width).toBe(1600);
    expect(shirt.variants.map((variant) => variant.width)).toContain(800);
  });

  it('after a ladder change every URL handed out before still answers, then rerender adds the new rungs', async () => {
    const photo = await photoJpeg(1600, 1000);
    const before = await postAndWait('ladder', '/ladder.jpg', photo);
    const hash = sha256(photo);
    const oldUrls = [before.cdn_url ?? '', ...before.variants.map((variant) => variant.url)];
    expect(await rerender(AFTER, true)).toMatchObject({ report: null });

    // The new ladder is in force; nothing was rendered again: every URL of every boundary answers.
    for (const width of boundaries) {
      const answer = await served(before.cdn_url ?? '', width);
      expect(answer.status, `?width=${width}`).toBe(200);
      expect(ladderFor(1600, BEFORE)).toContain(answer.width);
    }

    const { report } = await rerender(AFTER);
    expect(report).toMatchObject({ failed: 0 });
    const [after] = (await t.http.waitForImages('ladder', ready)).images;
    expect(after).toMatchObject({
      id: before.id,
      url: before.url,
      order: before.order,
      content_sha256: hash,
    });
    expect([...new Set(after?.variants.map((variant) => variant.width))]).toEqual([
      1600, 1200, 1024, 832, 640, 352, 160,
    ]);
    expect(after?.cdn_url).not.toBe(before.cdn_url);
    for (const width of boundaries) {
      const fresh = await served(after?.cdn_url ?? '', width);
      expect(fresh.status, `?width=${width}`).toBe(200);
      // The new ladder's rung for that slot: at least 90 % of what it asked for, never past the original.
      expect(fresh.width).toBeGreaterThanOrEqual(Math.floor(0.9 * Math.min(width, 1600)));
      expect((await served(before.cdn_url ?? '', width)).status).toBe(200);
    }
    for (const url of oldUrls) expect((await fetch(url)).status, url).toBe(200);
    // Both originals' keys, every rung of both ladders, 4 tiles and 3 swatches, in 3 formats each.
    expect((await objectKeys(`o/${hash}/`)).length).toBe(2);
    expect((await contentObjects(hash)).length).toBe(2 + 7 * 3 + 4 * 3 + 3 * 3);
  });

  it('adds tiles to a content rendered as at 48fcd1b, renders them again after TILE_FILL changes, and every URL stays 200', async () => {
    const photo = await photoJpeg(1200, 960);
    const image = await postAndWait('slots', '/slots.jpg', photo);
    const hash = sha256(photo);
    // Make it what 48fcd1b left: no tiles, swatches or their settings, the original under a key naming
    // the ladder alone.
    const ladderKey = contentKeys.original(hash, 'jpeg', rungsOf(image.variants));
    const s3 = bucketClient();
    const original = Buffer.from(await (await fetch(image.cdn_url ?? '')).arrayBuffer());
    await s3.send(
      new PutObjectCommand({
        Bucket: t.api.s3?.bucket,
        Key: ladderKey,
        Body: original,
        ContentType: 'image/jpeg',
      }),
    );
    const client = documentClientFor(t.api);
    await client.send(
      new UpdateCommand({
        TableName: t.api.tableName,
        Key: keys.content(hash),
        UpdateExpression: 'SET #facts.#key = :key REMOVE #facts.#tiles, #facts.#swatches, #facts.#slots',
        ExpressionAttributeNames: {
          '#facts': 'facts',
          '#key': 'original_key',
          '#tiles': 'tiles',
          '#swatches': 'swatches',
          '#slots': 'slots',
        },
        ExpressionAttributeValues: { ':key': ladderKey },
      }),
    );
    await client.send(
      new UpdateCommand({
        TableName: t.api.tableName,
        Key: keys.sku('slots'),
        UpdateExpression:
          'SET #images[0].#key = :key, #revision = #revision + :one, #writer = :pipeline REMOVE #images[0].#tiles, #images[0].#swatches',
        ExpressionAttributeNames: {
          '#images': 'images',
          '#key': 'object_key',
          '#tiles': 'tiles',
          '#swatches': 'swatches',
          '#revision': 'revision',
          '#writer': 'writer',
        },
        ExpressionAttributeValues: { ':key': ladderKey, ':one': 1, ':pipeline': 'pipeline' },
      }),
    );
    const [old] = (await t.http.waitForImages('slots', (images) => images[0]?.tiles.length === 0)).images;
    expect(old?.cdn_url).toBe(`${t.api.cdnBaseUrl}/${ladderKey}`);
    const square = async (url: string) => {
      const answer = await fetch(`${url}?width=400&height=400`, { headers: { Accept: BROWSER_ACCEPT } });
      const metadata = await sharp(Buffer.from(await answer.arrayBuffer())).metadata();
      return { status: answer.status, size: [metadata.width, metadata.height] };
    };
    // Before: no tiles, so ?width&height is the plain rendition.
    expect(await square(old?.cdn_url ?? '')).toEqual({ status: 200, size: [832, 666] });
    const urls = [old?.cdn_url ?? '', ...(old?.variants ?? []).map((variant) => variant.url)];

    expect((await rerender(BEFORE)).report).toMatchObject({ done: 1, failed: 0 });
    const [tiled] = (await t.http.waitForImages('slots', (images) => (images[0]?.tiles.length ?? 0) > 0))
      .images;
    expect(await square(tiled?.cdn_url ?? '')).toEqual({ status: 200, size: [540, 540] });
    urls.push(tiled?.cdn_url ?? '', ...(tiled?.tiles ?? []).map((each) => each.url));
    for (const url of urls) expect((await fetch(url)).status, url).toBe(200);

    // A tile setting changes: planned and rendered again under a new name; the old tiles stay.
    expect((await rerender(BEFORE, true)).planned).toBe(0);
    // (This suite's other ready images are planned too: every still's tiles follow the settings.)
    expect((await rerender(BEFORE, true, { TILE_FILL: '0.8' })).planned).toBeGreaterThanOrEqual(1);
    expect((await rerender(BEFORE, false, { TILE_FILL: '0.8' })).report).toMatchObject({ failed: 0 });
    const [refilled] = (
      await t.http.waitForImages('slots', (images) => images[0]?.tiles[0]?.url.includes('/1x1f80/') ?? false)
    ).images;
    expect(await square(refilled?.cdn_url ?? '')).toEqual({ status: 200, size: [540, 540] });
    for (const url of [...urls, ...(refilled?.tiles ?? []).map((each) => each.url)]) {
      expect((await fetch(url)).status, url).toBe(200);
    }
    expect(await square(tiled?.cdn_url ?? '')).toEqual({ status: 200, size: [540, 540] });
  });

  it('plans nothing more once done, whatever ran before', async () => {
    await rerender(AFTER);
    expect((await rerender(AFTER, true)).planned).toBe(0);
  });

  it('moves an image stored by the pre-rendition layout onto its content, then deletes the old object', async () => {
    const photo = await photoJpeg(900, 600);
    const image = await postAndWait('legacy', '/legacy.jpg', photo);
    const hash = sha256(photo);
    // Make it what an earlier version left: a copy under products/<sku>/<id>, no hash, no renditions.
    const client = documentClientFor(t.api);
    const s3 = bucketClient();
    const bucket = t.api.s3?.bucket;
    const legacyKey = `products/legacy/${image.id}`;
    await s3.send(
      new PutObjectCommand({ Bucket: bucket, Key: legacyKey, Body: photo, ContentType: 'image/jpeg' }),
    );
    for (const key of await contentObjects(hash))
      await s3.send(new DeleteObjectCommand({ Bucket: bucket, Key: key }));
    await client.send(new DeleteCommand({ TableName: t.api.tableName, Key: keys.content(hash) }));
    await client.send(
      new UpdateCommand({
        TableName: t.api.tableName,
        Key: keys.sku('legacy'),
        UpdateExpression:
          'SET #images[0].#key = :key, #revision = #revision + :one, #writer = :pipeline REMOVE #images[0].#sha, #images[0].#variants, #images[0].#thumbhash, #images[0].#colour',
        ExpressionAttributeNames: {
          '#images': 'images',
          '#key': 'object_key',
          '#sha': 'content_sha256',
          '#variants': 'variants',
          '#thumbhash': 'thumbhash',
          '#colour': 'dominant_color',
          '#revision': 'revision',
          '#writer': 'writer',
        },
        ExpressionAttributeValues: { ':key': legacyKey, ':one': 1, ':pipeline': 'pipeline' },
      }),
    );
    const [stored] = (await t.http.waitForImages('legacy', ready)).images;
    expect(stored).toMatchObject({
      content_sha256: null,
      variants: [],
      cdn_url: `${t.api.cdnBaseUrl}/${legacyKey}`,
    });
    const { etag } = await t.http.waitForImages('legacy', ready);

    const { report } = await rerender(BEFORE);
    expect(report).toMatchObject({ failed: 0 });
    const moved = await t.http.waitForImages('legacy', ready);
    expect(moved.etag).toBe(etag);
    expect(moved.images[0]).toMatchObject({
      id: image.id,
      url: image.url,
      order: image.order,
      content_sha256: hash,
    });
    expect(moved.images[0]?.variants.length).toBe(image.variants.length);
    expect(moved.images[0]?.thumbhash).toBe(image.thumbhash);
    expect((await served(moved.images[0]?.cdn_url ?? '', 400)).status).toBe(200);
    expect(await objectKeys('products/legacy/')).toEqual([]);
  });

  it.skipIf(!hasFixtures)(
    `publishes an animated AVIF's original and serves it at every width (${fixturesMissing})`,
    async () => {
      const file = fixtureImages().find((each) => each.name === 'libavif-colors-animated-8bpc.avif');
      origin.route('/spin.avif', serve(file?.bytes ?? Buffer.alloc(0), 'image/avif'));
      await t.http.post({ product_sku: 'spin', images: [{ url: `${origin.url}/spin.avif` }] });
      const [image] = (await t.http.waitForImages('spin', settled, 60_000)).images;
      expect(image).toMatchObject({
        status: 'ready',
        width: 150,
        height: 150,
        variants: [],
        thumbhash: null,
      });
      for (const width of [undefined, 100, 400]) {
        const answer = await fetch(width ? `${image?.cdn_url}?width=${width}` : (image?.cdn_url ?? ''), {
          headers: { Accept: BROWSER_ACCEPT },
        });
        expect(answer.status).toBe(200);
        expect(answer.headers.get('content-type')).toBe('image/avif');
        expect(Buffer.from(await answer.arrayBuffer()).equals(file?.bytes ?? Buffer.alloc(0))).toBe(true);
      }
    },
  );
});
