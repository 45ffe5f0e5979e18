import { createHash } from 'node:crypto';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import {
  GetObjectCommand,
  type GetObjectCommandOutput,
  NoSuchKey,
  S3Client,
  S3ServiceException,
} from '@aws-sdk/client-s3';
import { DynamoDBDocumentClient, GetCommand, ScanCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { loadVariantRouter } from '../../infra/cdn/variant-router';
import { DynamoContentStore } from '../../lib/adapters/dynamodb/content-store';
import { DynamoImageStatusStore } from '../../lib/adapters/dynamodb/image-status-store';
import { DynamoTableWalk } from '../../lib/adapters/dynamodb/table-walk';
import { S3ImageObjectStore } from '../../lib/adapters/s3/image-object-store';
import { type StoredImage, toImageView } from '../../lib/domain/image';
import {
  DEFAULT_SWATCH_WIDTHS,
  DEFAULT_TILE_SETTINGS,
  slotSignature,
} from '../../lib/domain/storefront-slots';
import { contentKeys } from '../../lib/domain/variant-ladder';
import { publishContent, readyProgress } from '../../lib/pipeline/content-publisher';
import { renderImage } from '../../lib/rendering/render-image';
import { DEFAULT_MAX_PIXELS } from '../../lib/rendering/rendition';
import {
  planRerender,
  RERENDER_REFERENCE,
  type RerenderDependencies,
  runRerender,
  type TableEntry,
} from '../../lib/rerender/rerender';
import { memoryPipeline } from '../helpers/memory-pipeline';
import { photoJpeg } from '../helpers/photos';

const OLD = [352, 832];
const NEW = [352, 640, 832];

function image(id: number, overrides: Partial<StoredImage> = {}): StoredImage {
  return {
    id,
    url: `https://example.com/${id}.jpg`,
    order: id,
    image_type: 'default',
    status: 'pending',
    ...overrides,
  };
}

/** A pipeline over memory ports where 3 SKUs were rendered with the OLD ladder (two share bytes). */
async function renderedWithOldLadder() {
  const photos = [await photoJpeg(900, 600), await photoJpeg(700, 500)];
  const pipeline = memoryPipeline(async () => {
    throw new Error('not opened here');
  });
  let rungRenders = 0;
  const deps: RerenderDependencies = {
    ...pipeline.deps,
    widths: NEW,
    render: (bytes) => renderImage(bytes, { widths: OLD, avifEffort: 0, maxPixels: DEFAULT_MAX_PIXELS }),
    renderRungs: (bytes, rungs) => {
      rungRenders++;
      return renderImage(bytes, { widths: NEW, avifEffort: 0, maxPixels: DEFAULT_MAX_PIXELS, rungs });
    },
  };
  for (const [index, sku] of ['a', 'b', 'c'].entries()) {
    const bytes = photos[index === 2 ? 1 : 0] as Buffer;
    const sha = createHash('sha256').update(bytes).digest('hex');
    pipeline.statuses.write(sku, [image(index + 1)], index + 1);
    const { facts } = await publishContent(sha, index + 1, bytes, deps);
    await pipeline.statuses.record(sku, index + 1, readyProgress(sha, facts));
  }
  const walk = {
    async *entries(): AsyncIterable<TableEntry> {
      for (const set of pipeline.statuses.sets.values()) yield { kind: 'set', set: structuredClone(set) };
      for (const sha of pipeline.contents.entries.keys()) {
        const record = await pipeline.contents.find(sha);
        if (record) yield { kind: 'content', record };
      }
    },
  };
  return { pipeline, deps, walk, rungRenders: () => rungRenders };
}

describe('npm run rerender over in-memory ports', () => {
  it('extends each content once, however many images share it, and points every image at it', async () => {
    const { pipeline, deps, walk, rungRenders } = await renderedWithOldLadder();
    const plan = await planRerender(walk, NEW);
    expect(plan.tasks.map((task) => task.action)).toEqual(['extend', 'extend', 'extend']);
    const report = await runRerender(plan, deps, { ratePerSecond: 1000, concurrency: 3 });
    expect(report).toMatchObject({ done: 3, failed: 0, skipped: 0, total: 3 });
    // 900 px: 640 added (832 is within 10 % of 900, so no own rung); 700 px: 640 added.
    expect(rungRenders()).toBe(2);
    const a = (await pipeline.statuses.find('a'))?.images[0];
    expect([...new Set(a?.variants?.map((variant) => variant.width))]).toEqual([832, 640, 352]);
    expect(a?.object_key).toBe(
      contentKeys.original(a?.content_sha256 ?? '', 'jpeg', [352, 640, 832], {
        tiles: a?.tiles,
        swatches: a?.swatches,
      }),
    );
    // The old original stays beside the new one; the run's own reference is gone again.
    expect(pipeline.objects.keys(`o/${a?.content_sha256}/`)).toHaveLength(2);
    expect((await pipeline.contents.find(a?.content_sha256 ?? ''))?.references).not.toContain(
      RERENDER_REFERENCE,
    );
    expect((await planRerender(walk, NEW)).tasks).toEqual([]);
  });

  it('counts an image whose original is missing as failed and goes on with the others', async () => {
    const { pipeline, deps, walk } = await renderedWithOldLadder();
    const c = (await pipeline.statuses.find('c'))?.images[0];
    await pipeline.objects.delete(c?.object_key ?? '');
    const report = await runRerender(await planRerender(walk, NEW), deps, {
      ratePerSecond: 1000,
      concurrency: 1,
    });
    expect(report).toMatchObject({ done: 2, failed: 1 });
  });

  it('skips an image a POST changed after planning, writing nothing on it', async () => {
    const { pipeline, deps, walk } = await renderedWithOldLadder();
    const plan = await planRerender(walk, NEW);
    pipeline.statuses.write('b', [image(2)], 10);
    const report = await runRerender(plan, deps, { ratePerSecond: 1000, concurrency: 1 });
    expect(report).toMatchObject({ done: 2, skipped: 1 });
    expect((await pipeline.statuses.find('b'))?.images[0]).toEqual(image(2));
  });

  it('lets go first of a content a stopped run still held, deleting it when nothing else does', async () => {
    const { pipeline, deps, walk } = await renderedWithOldLadder();
    const orphan = 'f'.repeat(64);
    await pipeline.contents.acquire(orphan, RERENDER_REFERENCE);
    await pipeline.objects.put(`v/${orphan}/640.avif`, Buffer.from('x'), 'image/avif');
    const plan = await planRerender(walk, NEW);
    expect(plan.heldContents).toEqual([orphan]);
    await runRerender(plan, deps, { ratePerSecond: 1000, concurrency: 2 });
    expect(await pipeline.contents.find(orphan)).toBeNull();
    expect(pipeline.objects.keys(`v/${orphan}/`)).toEqual([]);
  });
});

/** Contents rendered as the ladder alone was before tiles and swatches existed (48fcd1b's renderer). */
async function renderedBeforeSlots() {
  const photo = await photoJpeg(900, 600);
  const pipeline = memoryPipeline(async () => {
    throw new Error('not opened here');
  });
  const settings = { widths: OLD, avifEffort: 0, maxPixels: DEFAULT_MAX_PIXELS };
  let tiles = DEFAULT_TILE_SETTINGS;
  const deps: RerenderDependencies = {
    ...pipeline.deps,
    widths: OLD,
    render: (bytes) => renderImage(bytes, { ...settings, slots: false }),
    renderRungs: (bytes, rungs, slots) => renderImage(bytes, { ...settings, tiles, rungs, slots }),
  };
  const sha = createHash('sha256').update(photo).digest('hex');
  pipeline.statuses.write(
    'shirt',
    [image(1), image(2, { image_type: 'swatch', url: 'https://example.com/s.jpg' })],
    1,
  );
  for (const id of [1, 2]) {
    const { facts } = await publishContent(sha, id, photo, deps);
    await pipeline.statuses.record('shirt', id, readyProgress(sha, facts));
  }
  const walk = {
    async *entries(): AsyncIterable<TableEntry> {
      for (const set of pipeline.statuses.sets.values()) yield { kind: 'set', set: structuredClone(set) };
      const record = await pipeline.contents.find(sha);
      if (record) yield { kind: 'content', record };
    },
  };
  const useTiles = (next: typeof tiles) => {
    tiles = next;
    deps.slots = slotSignature(next, DEFAULT_SWATCH_WIDTHS);
  };
  return { pipeline, deps, walk, sha, useTiles };
}

describe('npm run rerender and storefront slots', () => {
  const route = loadVariantRouter();
  const view = (stored: StoredImage | undefined) =>
    toImageView(stored as StoredImage, { cdnBaseUrl: 'https://cdn.test' });
  const keyOf = (url: string | null) => (url ?? '').replace('https://cdn.test', '');
  const routed = (url: string | null, query: Record<string, string>) =>
    route({
      uri: keyOf(url),
      querystring: Object.fromEntries(Object.entries(query).map(([name, value]) => [name, { value }])),
      headers: { accept: { value: 'image/avif' } },
    }).uri.slice(1);

  it('adds tiles and swatches to contents rendered before them; every URL keeps answering', async () => {
    const { pipeline, deps, walk, sha } = await renderedBeforeSlots();
    const [photo, swatch] = (await pipeline.statuses.find('shirt'))?.images ?? [];
    expect(photo?.tiles).toBeUndefined();
    const oldUrl = view(photo).cdn_url;
    // Before: ?width&height is the plain rendition; a swatch shows the ladder.
    expect(routed(oldUrl, { width: '400', height: '400' })).toBe(`v/${sha}/832.avif`);
    expect(view(swatch).cdn_url).toBe(oldUrl);

    const plan = await planRerender(walk, OLD);
    expect(plan.tasks.map((task) => task.action)).toEqual(['extend', 'extend']);
    expect(await runRerender(plan, deps, { ratePerSecond: 1000, concurrency: 2 })).toMatchObject({ done: 2 });
    const [after, afterSwatch] = (await pipeline.statuses.find('shirt'))?.images ?? [];
    expect(after?.tiles).toEqual([{ aspect: '1:1', set: '1x1f90', widths: [180, 360, 540, 720] }]);
    expect(after?.swatches).toEqual([64, 128, 192]);
    const newUrl = view(after).cdn_url;
    expect(routed(newUrl, { width: '400', height: '400' })).toBe(`v/${sha}/1x1f90/540.avif`);
    expect(view(afterSwatch).cdn_url).toBe(`${newUrl}/swatch`);
    expect(routed(view(afterSwatch).cdn_url, { width: '64' })).toBe(`v/${sha}/s/64.avif`);
    // Every object any URL names exists: the old original, the new one, and what each routes to.
    for (const [url, query] of [
      [oldUrl, {}],
      [oldUrl, { width: '400' }],
      [newUrl, {}],
      [newUrl, { width: '400', height: '400' }],
      [view(afterSwatch).cdn_url, { width: '100' }],
    ] as const) {
      expect(pipeline.objects.objects.has(routed(url, query)), `${url} ${JSON.stringify(query)}`).toBe(true);
    }
    expect((await planRerender(walk, OLD)).tasks).toEqual([]);
  });

  it('renders tiles again after a tile setting changes; the URLs of the old tiles keep their picture', async () => {
    const { pipeline, deps, walk, sha, useTiles } = await renderedBeforeSlots();
    await runRerender(await planRerender(walk, OLD), deps, { ratePerSecond: 1000, concurrency: 2 });
    const before = view((await pipeline.statuses.find('shirt'))?.images[0]);
    const oldTile = routed(before.cdn_url, { width: '400', height: '400' });
    const oldBytes = pipeline.objects.objects.get(oldTile)?.body;

    const changed = { ...DEFAULT_TILE_SETTINGS, fillPercent: 80 };
    useTiles(changed);
    const signature = slotSignature(changed, DEFAULT_SWATCH_WIDTHS);
    expect((await planRerender(walk, OLD, signature)).tasks.map((task) => task.action)).toEqual([
      'extend',
      'extend',
    ]);
    await runRerender(await planRerender(walk, OLD, signature), deps, {
      ratePerSecond: 1000,
      concurrency: 1,
    });
    const after = view((await pipeline.statuses.find('shirt'))?.images[0]);
    expect(after.tiles.every((tile) => tile.url.includes('/1x1f80/'))).toBe(true);
    expect(routed(after.cdn_url, { width: '400', height: '400' })).toBe(`v/${sha}/1x1f80/540.avif`);
    // The old URL still routes to the old tile, which is still there, unchanged.
    expect(routed(before.cdn_url, { width: '400', height: '400' })).toBe(oldTile);
    expect(pipeline.objects.objects.get(oldTile)?.body.equals(oldBytes ?? Buffer.alloc(0))).toBe(true);
    expect((await planRerender(walk, OLD, signature)).tasks).toEqual([]);
  });
});

describe('the AWS calls a re-render makes (aws-sdk-client-mock)', () => {
  const s3 = mockClient(S3Client);
  const dynamo = mockClient(DynamoDBDocumentClient);
  const document = DynamoDBDocumentClient.from(new DynamoDBClient({ region: 'eu-west-1' }));
  beforeEach(() => {
    s3.reset();
    dynamo.reset();
  });

  it('reads an object whole, answers null for a missing key and passes other S3 failures on', async () => {
    const store = new S3ImageObjectStore(new S3Client({ region: 'eu-west-1' }), 'origin');
    // The SDK's streaming body, as far as the store uses it.
    const body = { transformToByteArray: async () => new Uint8Array(Buffer.from('abc')) };
    s3.on(GetObjectCommand, { Key: 'o/there' }).resolves({ Body: body as GetObjectCommandOutput['Body'] });
    s3.on(GetObjectCommand, { Key: 'o/gone' }).rejects(new NoSuchKey({ message: 'gone', $metadata: {} }));
    s3.on(GetObjectCommand, { Key: 'o/denied' }).rejects(
      new S3ServiceException({ name: 'AccessDenied', $fault: 'client', $metadata: {}, message: 'denied' }),
    );
    expect((await store.get('o/there'))?.toString()).toBe('abc');
    expect(await store.get('o/gone')).toBeNull();
    await expect(store.get('o/denied')).rejects.toMatchObject({ name: 'AccessDenied' });
  });

  it('extends facts only while the original key is the one read, referenced and not being deleted', async () => {
    const contents = new DynamoContentStore(document, 'table');
    dynamo
      .on(UpdateCommand)
      .rejectsOnce(Object.assign(new Error('condition'), { name: 'ConditionalCheckFailedException' }));
    const facts = {
      width: 1,
      height: 1,
      kind: 'jpeg' as const,
      variants: [],
      bytes: 1,
      content_type: 'image/jpeg',
    };
    expect(await contents.extendRender('ab', null, facts)).toBe(false);
    dynamo.on(UpdateCommand).resolves({});
    expect(await contents.extendRender('ab', 'o/ab/jpeg/1', facts)).toBe(true);
    const [legacy, keyed] = dynamo.commandCalls(UpdateCommand).map((call) => call.args[0].input);
    expect(legacy?.ConditionExpression).toContain('attribute_not_exists(#facts.#key)');
    expect(keyed?.ConditionExpression).toContain('#facts.#key = :previous');
    expect(keyed?.ConditionExpression).toContain('attribute_not_exists(#deleting)');
    expect(keyed?.ExpressionAttributeValues).toMatchObject({ ':previous': 'o/ab/jpeg/1' });
  });

  it('records on an image only while it is ready on the hash it was read with', async () => {
    const statuses = new DynamoImageStatusStore(document, 'table');
    const item = {
      pk: 'SKU#s',
      sku: 's',
      version: 'v',
      revision: 1,
      images: [image(7, { status: 'ready' })],
    };
    dynamo.on(GetCommand).resolves({ Item: item });
    dynamo.on(UpdateCommand).resolves({});
    expect(await statuses.recordIfUnchanged('s', 7, 'beef', { status: 'ready' })).toBe(false);
    expect(dynamo.commandCalls(UpdateCommand)).toHaveLength(0);
    expect(await statuses.recordIfUnchanged('s', 7, null, { status: 'ready', content_sha256: 'beef' })).toBe(
      true,
    );
    expect(dynamo.commandCalls(UpdateCommand)[0]?.args[0].input.ConditionExpression).toBe(
      '#images[0].#id = :id AND #images[0].#status = :expected_status AND attribute_not_exists(#images[0].#content_sha256)',
    );
  });

  it('walks the table page by page, SKU and content items only, and fails on a throttled page', async () => {
    dynamo
      .on(ScanCommand)
      .resolvesOnce({
        Items: [{ pk: 'SKU#a', sku: 'a', version: 'v', revision: 1, images: [] }],
        LastEvaluatedKey: { pk: 'SKU#a' },
      })
      .resolvesOnce({ Items: [{ pk: `CONTENT#${'c'.repeat(64)}`, refs: new Set([1]) }] });
    const walk = new DynamoTableWalk(document, 'table');
    const seen: string[] = [];
    for await (const entry of walk.entries())
      seen.push(entry.kind === 'set' ? entry.set.sku : entry.record.sha256);
    expect(seen).toEqual(['a', 'c'.repeat(64)]);
    expect(dynamo.commandCalls(ScanCommand)[1]?.args[0].input.ExclusiveStartKey).toEqual({ pk: 'SKU#a' });
    dynamo
      .on(ScanCommand)
      .rejects(Object.assign(new Error('slow down'), { name: 'ProvisionedThroughputExceededException' }));
    await expect(async () => {
      for await (const _ of walk.entries()) break;
    }).rejects.toThrow();
  });
});
