import { GetCommand, TransactWriteCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { createPostImagesHandler } from '../../functions/post-images';
import { keys, productPartition, productShard } from '../../lib/adapters/dynamodb/table-schema';
import {
  API_KEY,
  authorized,
  dynamoErrors,
  mockDynamo,
  storedItem,
  testDependencies,
} from '../helpers/dynamo-mock';
import { apiEvent, lambdaContext } from '../helpers/events';

const SKU = '1182701025';
const body = {
  product_sku: SKU,
  images: [
    { url: 'https://url/image1.png', order: 0, image_type: 'swatch' },
    { url: 'https://url/image2.png', order: 1 },
  ],
};

let ddb: ReturnType<typeof mockDynamo>;
beforeEach(() => {
  ddb = mockDynamo();
  ddb.on(UpdateCommand, { Key: keys.imageIdCounter }).resolves({ Attributes: { value: 1000 } });
});
afterEach(() => ddb.restore());

async function post(options: Parameters<typeof apiEvent>[0] = {}, env: Record<string, string> = {}) {
  const handler = createPostImagesHandler(testDependencies(env));
  const result = await handler(
    apiEvent({ method: 'POST', headers: authorized, body, ...options }),
    lambdaContext(),
  );
  return { ...result, json: result.body ? JSON.parse(result.body) : undefined };
}

const skuUpdates = () => ddb.commandCalls(UpdateCommand, { Key: keys.sku(SKU) });
const writes = () => [...skuUpdates(), ...ddb.commandCalls(TransactWriteCommand)];

describe('POST with mocked DynamoDB', () => {
  it('creates a SKU with one read, one counter lease and one transaction', async () => {
    ddb.on(GetCommand, { Key: keys.sku(SKU) }).resolves({});
    ddb.on(TransactWriteCommand).resolves({});
    const response = await post();
    expect(response.statusCode).toBe(201);
    expect(response.headers?.ETag).toMatch(/^"[\w-]+"$/);
    expect(response.json).toMatchObject({
      product_sku: SKU,
      images: [
        {
          id: 1,
          url: 'https://url/image1.png',
          order: 0,
          image_type: 'swatch',
          status: 'pending',
          cdn_url: null,
        },
        { id: 2, url: 'https://url/image2.png', order: 1, image_type: 'default', status: 'pending' },
      ],
    });
    const [transaction] = ddb.commandCalls(TransactWriteCommand);
    const items = transaction?.args[0].input.TransactItems ?? [];
    expect(items[0]?.Put?.ConditionExpression).toBe('attribute_not_exists(pk)');
    expect(items[0]?.Put?.Item).toMatchObject({ listPk: productPartition(productShard(SKU)), listSk: SKU });
    expect(items[1]?.Update?.Key).toEqual(keys.productCounter(productShard(SKU)));
  });

  it("spreads creations over the shard counters: each touches its own SKU's shard, no fixed item", async () => {
    ddb.on(TransactWriteCommand).resolves({});
    const skus = Array.from({ length: 40 }, (_, i) => `new-${i}`);
    for (const sku of skus) await post({ body: { product_sku: sku, images: [{ url: 'https://e/a' }] } });
    const counters = ddb
      .commandCalls(TransactWriteCommand)
      .map((call) => call.args[0].input.TransactItems ?? [])
      .map((items) => {
        expect(items).toHaveLength(2);
        return items[1]?.Update?.Key?.pk;
      });
    expect(counters).toEqual(skus.map((sku) => keys.productCounter(productShard(sku)).pk));
    expect(new Set(counters).size).toBeGreaterThan(10);
    expect(counters).not.toContain(keys.productCounter(null).pk);
  });

  it('replaces an existing set with one conditional update on its revision, leaving its list keys', async () => {
    ddb.on(GetCommand, { Key: keys.sku(SKU) }).resolves({
      Item: storedItem(SKU, 'v1', [
        { id: 7, url: 'https://url/image1.png' },
        { id: 8, url: 'https://url/old.png' },
      ]),
    });
    ddb.on(UpdateCommand, { Key: keys.sku(SKU) }).resolves({});
    const response = await post();
    expect(response.statusCode).toBe(200);
    expect(response.json.images.map((image: { id: number }) => image.id)).toEqual([7, 1]);
    const [update] = skuUpdates();
    expect(update?.args[0].input).toMatchObject({
      ConditionExpression: '#revision = :expected',
      ExpressionAttributeValues: { ':expected': 1, ':revision': 2, ':writer': 'api' },
    });
    expect(update?.args[0].input.UpdateExpression).not.toMatch(/list/i);
    expect(ddb.commandCalls(TransactWriteCommand)).toHaveLength(0);
  });

  it('writes nothing when the request restates the stored set, keeping the ETag', async () => {
    ddb.on(GetCommand, { Key: keys.sku(SKU) }).resolves({
      Item: storedItem(SKU, 'v1', [
        { id: 7, url: 'https://url/image1.png', order: 0 },
        { id: 8, url: 'https://url/image2.png', order: 1 },
      ]),
    });
    ddb.on(GetCommand, { Key: keys.sku(SKU) }).resolves({
      Item: {
        ...storedItem(SKU, 'v1', [
          { id: 7, url: 'https://url/image1.png', order: 0 },
          { id: 8, url: 'https://url/image2.png', order: 1 },
        ]),
        images: [
          { id: 7, url: 'https://url/image1.png', order: 0, image_type: 'swatch', status: 'pending' },
          { id: 8, url: 'https://url/image2.png', order: 1, image_type: 'default', status: 'pending' },
        ],
      },
    });
    const response = await post();
    expect(response.statusCode).toBe(200);
    expect(response.headers?.ETag).toBe('"v1"');
    expect(writes()).toHaveLength(0);
  });

  it('deletes the item and lowers the count in one transaction for images: []', async () => {
    ddb
      .on(GetCommand, { Key: keys.sku(SKU) })
      .resolves({ Item: storedItem(SKU, 'v1', [{ id: 7, url: 'https://u/a' }]) });
    ddb.on(TransactWriteCommand).resolves({});
    const response = await post({ body: { product_sku: SKU, images: [] } });
    expect(response.statusCode).toBe(200);
    expect(response.json).toEqual({ product_sku: SKU, images: [] });
    const items = ddb.commandCalls(TransactWriteCommand)[0]?.args[0].input.TransactItems ?? [];
    expect(items[0]?.Delete?.ExpressionAttributeValues).toEqual({
      ':expected': 1,
      ':partition': productPartition(productShard(SKU)),
    });
    expect(items[1]?.Update).toMatchObject({
      Key: keys.productCounter(productShard(SKU)),
      ExpressionAttributeValues: { ':delta': -1 },
    });
  });

  it('deletes an item a migration has not moved yet against the unsharded counter', async () => {
    ddb
      .on(GetCommand, { Key: keys.sku(SKU) })
      .resolves({ Item: { ...storedItem(SKU, 'v1', [{ id: 7, url: 'https://u/a' }]), listPk: 'PRODUCTS' } });
    ddb.on(TransactWriteCommand).rejectsOnce(dynamoErrors.transactionConditionFailed()).resolves({});
    const response = await post({ body: { product_sku: SKU, images: [] } });
    expect(response.statusCode).toBe(200);
    const [sharded, legacy] = ddb
      .commandCalls(TransactWriteCommand)
      .map((call) => call.args[0].input.TransactItems ?? []);
    expect(sharded?.[1]?.Update?.Key).toEqual(keys.productCounter(productShard(SKU)));
    expect(legacy?.[0]?.Delete?.ExpressionAttributeValues?.[':partition']).toBe('PRODUCTS');
    expect(legacy?.[1]?.Update?.Key).toEqual(keys.productCounter(null));
  });

  it('recomputes on fresh state after a conditional-check failure', async () => {
    ddb
      .on(GetCommand, { Key: keys.sku(SKU) })
      .resolvesOnce({ Item: storedItem(SKU, 'v1', [{ id: 7, url: 'https://url/image1.png' }]) })
      .resolves({ Item: storedItem(SKU, 'v1', [{ id: 9, url: 'https://url/image2.png' }], 2) });
    ddb
      .on(UpdateCommand, { Key: keys.sku(SKU) })
      .rejectsOnce(dynamoErrors.conditionFailed())
      .resolves({});
    const response = await post();
    expect(response.statusCode).toBe(200);
    const updates = skuUpdates();
    expect(updates).toHaveLength(2);
    expect(updates[1]?.args[0].input.ExpressionAttributeValues).toMatchObject({ ':expected': 2 });
    expect(
      response.json.images.find((image: { url: string }) => image.url === 'https://url/image2.png').id,
    ).toBe(9);
  });

  it('retries a create that lost the race as a replace', async () => {
    ddb
      .on(GetCommand, { Key: keys.sku(SKU) })
      .resolvesOnce({})
      .resolves({ Item: storedItem(SKU, 'v2', [{ id: 9, url: 'https://url/image2.png' }]) });
    ddb.on(TransactWriteCommand).rejects(dynamoErrors.transactionConditionFailed());
    ddb.on(UpdateCommand, { Key: keys.sku(SKU) }).resolves({});
    const response = await post();
    expect(response.statusCode).toBe(200);
    expect(skuUpdates()).toHaveLength(1);
  });

  it('answers 409 when every attempt loses, having written nothing', async () => {
    ddb.on(GetCommand, { Key: keys.sku(SKU) }).resolves({ Item: storedItem(SKU, 'v1', []) });
    ddb.on(UpdateCommand, { Key: keys.sku(SKU) }).rejects(dynamoErrors.conditionFailed());
    const response = await post({}, { MAX_WRITE_ATTEMPTS: '3' });
    expect(response.statusCode).toBe(409);
    expect(response.json.detail).toMatch(/concurrent/);
    expect(skuUpdates()).toHaveLength(3);
  });

  it.each([
    ['throttling', dynamoErrors.throttled],
    ['a DynamoDB 5xx', dynamoErrors.serverError],
  ])('answers a clean 503 on %s during the write', async (_name, error) => {
    ddb.on(GetCommand, { Key: keys.sku(SKU) }).resolves({});
    ddb.on(TransactWriteCommand).rejects(error());
    const response = await post();
    expect(response.statusCode).toBe(503);
    expect(response.headers?.['Retry-After']).toBe('1');
    expect(response.json).toEqual({ detail: 'Service temporarily unavailable, try again later.' });
    expect(ddb.commandCalls(TransactWriteCommand)).toHaveLength(1);
    expect(skuUpdates()).toHaveLength(0);
  });

  it('answers a clean 503 when the read is throttled, writing nothing', async () => {
    ddb.on(GetCommand, { Key: keys.sku(SKU) }).rejects(dynamoErrors.throttled());
    const response = await post();
    expect(response.statusCode).toBe(503);
    expect(writes()).toHaveLength(0);
  });

  it('answers a bare 500 for an unexpected failure, without its message or stack', async () => {
    ddb
      .on(GetCommand, { Key: keys.sku(SKU) })
      .rejects(new Error('secret internal detail at /var/task/index.js:1'));
    const response = await post();
    expect(response.statusCode).toBe(500);
    expect(response.body).toBe('{"detail":"A server error occurred."}');
  });

  it('answers 412 for a stale If-Match without writing', async () => {
    ddb.on(GetCommand, { Key: keys.sku(SKU) }).resolves({ Item: storedItem(SKU, 'v2', []) });
    const response = await post({ headers: { ...authorized, 'If-Match': '"v1"' } });
    expect(response.statusCode).toBe(412);
    expect(writes()).toHaveLength(0);
  });

  it.each([
    ['no header', {}, 'Authentication credentials were not provided.'],
    ['a wrong key', { Authorization: `Token ${'0'.repeat(40)}` }, 'Invalid token.'],
  ])('answers 401 with %s, reading no image data', async (_name, headers, detail) => {
    const response = await post({ headers: { 'Content-Type': 'application/json', ...headers } });
    expect(response.statusCode).toBe(401);
    expect(response.headers?.['WWW-Authenticate']).toBe('Token');
    expect(response.json).toEqual({ detail });
    const reads = ddb.commandCalls(GetCommand).map((call) => String(call.args[0].input.Key?.pk));
    expect(reads.every((pk) => pk.startsWith('APIKEY#'))).toBe(true);
  });

  it.each([
    [
      'a non-JSON content type',
      { headers: { ...authorized, 'Content-Type': 'text/plain' } },
      415,
      { detail: 'Unsupported media type "text/plain" in request.' },
    ],
    ['malformed JSON', { body: '{"product_sku": ' }, 400, undefined],
    ['a body over 1 MiB', { body: JSON.stringify({ product_sku: 'x'.repeat(1024 * 1024) }) }, 413, undefined],
    [
      'an invalid field',
      { body: { product_sku: 'A', images: [{ url: 'nope' }] } },
      400,
      { images: [{ url: ['Enter a valid URL.'] }] },
    ],
  ])('answers %s before touching image data', async (_name, options, status, json) => {
    const response = await post(options);
    expect(response.statusCode).toBe(status);
    if (json) expect(response.json).toEqual(json);
    if (status === 400 && !json) expect(response.json.detail).toMatch(/^JSON parse error - /);
    expect(
      ddb.commandCalls(GetCommand).filter((call) => String(call.args[0].input.Key?.pk).startsWith('SKU#')),
    ).toHaveLength(0);
  });

  it('never writes the key into its logs', async () => {
    const lines: string[] = [];
    const spy = vi.spyOn(process.stdout, 'write').mockImplementation((chunk) => {
      lines.push(String(chunk));
      return true;
    });
    try {
      ddb.on(GetCommand, { Key: keys.sku(SKU) }).rejects(new Error('boom'));
      await post({}, { LOG_LEVEL: 'debug' });
      await post(
        { headers: { Authorization: `Token ${API_KEY.replace(/.$/, '0')}` } },
        { LOG_LEVEL: 'debug' },
      );
    } finally {
      spy.mockRestore();
    }
    expect(lines.length).toBeGreaterThan(0);
    expect(lines.join('')).not.toContain(API_KEY);
    expect(lines.join('')).not.toContain(API_KEY.slice(0, 20));
    expect(JSON.parse(lines[0] ?? '{}')).toMatchObject({
      requestId: 'lambda-request-id',
      apiRequestId: 'api-request-id',
    });
  });
});
