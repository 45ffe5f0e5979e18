import { BatchGetCommand, GetCommand, QueryCommand } from '@aws-sdk/lib-dynamodb';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createGetImagesHandler } from '../../functions/get-images';
import { keys, PRODUCT_PARTITIONS } from '../../lib/adapters/dynamodb/table-schema';
import { authorized, dynamoErrors, mockDynamo, storedItem, testDependencies } from '../helpers/dynamo-mock';
import { apiEvent, lambdaContext } from '../helpers/events';
import { ProductTableFake } from '../helpers/table-fake';

let ddb: ReturnType<typeof mockDynamo>;
beforeEach(() => {
  ddb = mockDynamo();
});
afterEach(() => ddb.restore());

async function get(options: Parameters<typeof apiEvent>[0] = {}) {
  const handler = createGetImagesHandler(testDependencies());
  const result = await handler(apiEvent({ headers: authorized, ...options }), lambdaContext());
  return { ...result, json: result.body ? JSON.parse(result.body) : undefined };
}

function catalogue(count: number) {
  const table = new ProductTableFake(ddb);
  const skus = Array.from({ length: count }, (_, i) => `SKU-${String(i).padStart(3, '0')}`);
  for (const sku of skus) table.create(sku);
  return table;
}

describe('GET with mocked DynamoDB', () => {
  it('answers one SKU from one consistent read, with its ETag', async () => {
    ddb
      .on(GetCommand, { Key: keys.sku('A') })
      .resolves({ Item: storedItem('A', 'v9', [{ id: 3, url: 'https://e/a' }]) });
    const response = await get({ query: { product_sku: 'A' } });
    expect(response.statusCode).toBe(200);
    expect(response.headers?.ETag).toBe('"v9"');
    expect(response.json).toMatchObject({
      count: 1,
      next: null,
      previous: null,
      results: [{ product_sku: 'A' }],
    });
    const reads = ddb.commandCalls(GetCommand).filter((call) => call.args[0].input.Key?.pk === 'SKU#A');
    expect(reads).toHaveLength(1);
    expect(reads[0]?.args[0].input.ConsistentRead).toBe(true);
  });

  it('answers count 0 for an unknown SKU', async () => {
    const response = await get({ query: { product_sku: 'nope' } });
    expect(response.json).toEqual({ count: 0, next: null, previous: null, results: [] });
    expect(response.headers?.ETag).toBeUndefined();
  });

  it('lists a page in SKU order with links that keep the stage path', async () => {
    catalogue(25);
    const response = await get({ query: { page: '2', limit: '10' } });
    expect(response.json.count).toBe(25);
    expect(response.json.results.map((r: { product_sku: string }) => r.product_sku)).toEqual(
      Array.from({ length: 10 }, (_, i) => `SKU-${String(i + 10).padStart(3, '0')}`),
    );
    expect(response.json.next).toMatch(
      /^https:\/\/api\.example\.test\/prod\/api\/i1\/downloadable_image\/\?cursor=[\w.-]+&limit=10&page=3$/,
    );
    expect(response.json.previous).toMatch(
      /^https:\/\/api\.example\.test\/prod\/api\/i1\/downloadable_image\/\?cursor=[\w.-]+&limit=10$/,
    );
  });

  it('follows next and previous from their position hints, one bounded Query per partition', async () => {
    const table = catalogue(25);
    const page2 = await get({ query: { page: '2', limit: '10' } });
    const follow = async (link: string) => {
      const url = new URL(link);
      table.reads.queries = 0;
      table.reads.keysRead = 0;
      return get({ query: Object.fromEntries(url.searchParams) });
    };
    const page3 = await follow(page2.json.next);
    expect(page3.json.results.map((r: { product_sku: string }) => r.product_sku)).toEqual(
      ['020', '021', '022', '023', '024'].map((n) => `SKU-${n}`),
    );
    expect(page3.json.next).toBeNull();
    expect(table.reads.queries).toBe(PRODUCT_PARTITIONS.length);
    expect(table.reads.keysRead).toBe(5); // only the keys after SKU-019, in whichever partitions hold them
    const queries = ddb.commandCalls(QueryCommand).slice(-PRODUCT_PARTITIONS.length);
    for (const call of queries)
      expect(call.args[0].input.ExpressionAttributeValues?.[':bound']).toBe('SKU-019');

    const back = await follow(page3.json.previous);
    expect(back.json.results.map((r: { product_sku: string }) => r.product_sku)).toEqual(
      page2.json.results.map((r: { product_sku: string }) => r.product_sku),
    );
    expect(back.json.previous).toMatch(/\?cursor=[\w.-]+&limit=10$/);
  });

  it('reads by offset when the hint was edited or made for another page size, never trusting it', async () => {
    catalogue(25);
    const page2 = await get({ query: { page: '2', limit: '10' } });
    const cursor = new URL(page2.json.next).searchParams.get('cursor') ?? '';
    const expected = ['020', '021', '022', '023', '024'].map((n) => `SKU-${n}`);
    const payload = JSON.stringify({ p: 3, l: 10, a: 'SKU-000' });
    const forged = `${Buffer.from(payload).toString('base64url')}.${cursor.split('.')[1]}`;
    for (const hint of [forged, 'garbage', `${cursor}x`]) {
      const response = await get({ query: { page: '3', limit: '10', cursor: hint } });
      expect(response.json.results.map((r: { product_sku: string }) => r.product_sku)).toEqual(expected);
    }
    const otherSize = await get({ query: { page: '3', limit: '5', cursor } });
    expect(otherSize.json.results.map((r: { product_sku: string }) => r.product_sku)).toEqual(
      ['010', '011', '012', '013', '014'].map((n) => `SKU-${n}`),
    );
  });

  it('reads page items again when BatchGetItem leaves keys unprocessed', async () => {
    const table = catalogue(3);
    let skuBatches = 0;
    const serve = (input: { RequestItems: Record<string, { Keys: Array<{ pk: string }> }> }) => {
      const asked = input.RequestItems['unit-test-table']?.Keys ?? [];
      if (!asked.some((key) => key.pk.startsWith('SKU#')) || skuBatches++ > 0) {
        return { Responses: { 'unit-test-table': asked.flatMap((key) => table.items.get(key.pk) ?? []) } };
      }
      const [first, ...rest] = asked;
      return {
        Responses: { 'unit-test-table': first ? [table.items.get(first.pk)] : [] },
        UnprocessedKeys: { 'unit-test-table': { Keys: rest } },
      };
    };
    ddb.on(BatchGetCommand).callsFake(serve);
    const response = await get();
    expect(response.json.results.map((r: { product_sku: string }) => r.product_sku)).toEqual([
      'SKU-000',
      'SKU-001',
      'SKU-002',
    ]);
    expect(skuBatches).toBe(2);
  });

  it('answers 404 Invalid page past the end', async () => {
    catalogue(5);
    const response = await get({ query: { page: '2' } });
    expect(response.statusCode).toBe(404);
    expect(response.json).toEqual({ detail: 'Invalid page.' });
  });

  it('answers 400 naming a bad page parameter', async () => {
    const response = await get({ query: { limit: 'x' } });
    expect(response.statusCode).toBe(400);
    expect(response.json).toEqual({ limit: ['A valid integer is required.'] });
  });

  it('answers HEAD like GET without a body', async () => {
    ddb.on(GetCommand, { Key: keys.sku('A') }).resolves({ Item: storedItem('A', 'v9', []) });
    const response = await get({ method: 'HEAD', query: { product_sku: 'A' } });
    expect(response.statusCode).toBe(200);
    expect(response.body).toBe('');
    expect(response.headers?.ETag).toBe('"v9"');
  });

  it('answers 405 with Allow for other methods and 404 off the resource', async () => {
    const put = await get({ method: 'PUT' });
    expect(put.statusCode).toBe(405);
    expect(put.headers?.Allow).toBe('GET, POST, HEAD');
    expect(put.json).toEqual({ detail: 'Method "PUT" not allowed.' });
    const other = await get({ path: '/api/i1/other/' });
    expect(other.statusCode).toBe(404);
    expect(other.json).toEqual({ detail: 'Not found.' });
  });

  it('answers a clean 503 when the listing is throttled', async () => {
    ddb.on(BatchGetCommand).rejects(dynamoErrors.throttled());
    ddb.on(QueryCommand).resolves({ Items: [] });
    const response = await get();
    expect(response.statusCode).toBe(503);
    expect(response.headers?.['Content-Type']).toBe('application/json; charset=utf-8');
    expect(response.headers?.['Cache-Control']).toBe('no-store');
  });

  it('builds cdn_url from the CDN base URL it runs with, for stored keys and for URLs stored whole', async () => {
    const item = storedItem('A', 'v1', [
      { id: 1, url: 'https://e/1' },
      { id: 2, url: 'https://e/2', order: 1 },
      { id: 3, url: 'https://e/3', order: 2 },
    ]);
    Object.assign(item.images[0] ?? {}, { status: 'ready', object_key: 'products/A/1' });
    // Written by an earlier version, before the custom domain existed.
    Object.assign(item.images[1] ?? {}, {
      status: 'ready',
      cdn_url: 'https://d111.cloudfront.net/products/A/2',
    });
    Object.assign(item.images[2] ?? {}, {
      status: 'failed',
      object_key: 'products/A/3',
      error: 'not an image',
    });
    ddb.on(GetCommand, { Key: keys.sku('A') }).resolves({ Item: item });
    const handler = createGetImagesHandler(testDependencies({ CDN_BASE_URL: 'https://images.example.com/' }));
    const response = await handler(
      apiEvent({ headers: authorized, query: { product_sku: 'A' } }),
      lambdaContext(),
    );
    const images = JSON.parse(response.body).results[0].images;
    expect(images.map((image: { cdn_url: string | null }) => image.cdn_url)).toEqual([
      'https://images.example.com/products/A/1',
      'https://images.example.com/products/A/2',
      null,
    ]);
  });
});
