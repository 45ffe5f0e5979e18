import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import {
  BatchGetCommand,
  DynamoDBDocumentClient,
  GetCommand,
  QueryCommand,
  UpdateCommand,
} from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { createGetImagesHandler } from '../../functions/get-images';
import { createPostImagesHandler } from '../../functions/post-images';
import {
  keys,
  PRODUCT_PARTITIONS,
  productPartition,
  productShard,
} from '../../lib/adapters/dynamodb/table-schema';
import { generateApiKey, hashApiKey } from '../../lib/auth/keys';
import { loadConfig } from '../../lib/config';
import { createApiDependencies } from '../../lib/service';
import { apiEvent, lambdaContext } from '../helpers/events';

const TABLE = 'bench-table';

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? Number.NaN;
}

interface Timing {
  median: number;
  p99: number;
}

async function sample(runs: number, once: () => Promise<unknown>): Promise<Timing> {
  for (let i = 0; i < 100; i++) await once();
  const samples: number[] = [];
  for (let i = 0; i < runs; i++) {
    const start = performance.now();
    await once();
    samples.push(performance.now() - start);
  }
  samples.sort((a, b) => a - b);
  return { median: percentile(samples, 50), p99: percentile(samples, 99) };
}

/** The handler's time, beside the time of the mocked SDK calls it makes alone (the mock is not our code). */
function report(label: string, handler: Timing, sdkOnly: Timing): string {
  const ms = (value: number) => `${value.toFixed(3)} ms`;
  return (
    `${label}: median ${ms(handler.median)}, p99 ${ms(handler.p99)} over 1000 calls ` +
    `(its mocked SDK calls alone: median ${ms(sdkOnly.median)})`
  );
}

/** Handler cost in process, DynamoDB answered instantly by mocks: what our own code adds per request. */
export async function measureHandlerOverhead(): Promise<string[]> {
  const apiKey = generateApiKey();
  const ddb = mockClient(DynamoDBDocumentClient);
  ddb.on(GetCommand, { Key: keys.apiKey(hashApiKey(apiKey)) }).resolves({
    Item: { name: 'bench', keyHash: hashApiKey(apiKey), lastFour: apiKey.slice(-4), createdAt: 'x' },
  });
  const stored = Array.from({ length: 100 }, (_, i) => ({
    id: i + 1,
    url: `https://cdn.example.com/products/1182701025/${i}.png`,
    order: i,
    image_type: 'default',
    status: 'ready',
    cdn_url: `https://d111111abcdef8.cloudfront.net/1182701025/${i + 1}.png`,
    width: 1200,
    height: 1200,
    bytes: 204800,
    content_type: 'image/png',
  }));
  ddb.on(GetCommand, { Key: keys.sku('1182701025') }).resolves({
    Item: { ...keys.sku('1182701025'), sku: '1182701025', version: 'v1', images: stored },
  });
  ddb.on(UpdateCommand).resolves({});
  // Twenty products over the shards, each partition answering its own keys, in order.
  const catalogue = Array.from({ length: 20 }, (_, i) => `SKU-${String(i).padStart(2, '0')}`);
  const byPartition = new Map<string, string[]>();
  for (const sku of catalogue) {
    const partition = productPartition(productShard(sku));
    byPartition.set(partition, [...(byPartition.get(partition) ?? []), sku]);
  }
  ddb.on(QueryCommand).callsFake((input: { ExpressionAttributeValues: Record<string, string> }) => ({
    Items: (byPartition.get(input.ExpressionAttributeValues[':partition'] ?? '') ?? []).map((sku) => ({
      ...keys.sku(sku),
      listPk: input.ExpressionAttributeValues[':partition'],
      listSk: sku,
    })),
  }));
  ddb
    .on(BatchGetCommand)
    .callsFake((input: { RequestItems: Record<string, { Keys: Array<{ pk: string }> }> }) => ({
      Responses: {
        [TABLE]: (input.RequestItems[TABLE]?.Keys ?? []).map(({ pk }) =>
          pk.startsWith('COUNTER#')
            ? { pk, value: 1 }
            : { pk, sku: pk.slice(4), version: 'v', images: stored.slice(0, 5) },
        ),
      },
    }));
  const page = catalogue.slice(10);

  const deps = createApiDependencies(
    loadConfig({
      TABLE_NAME: TABLE,
      AWS_REGION: 'eu-west-1',
      LOG_LEVEL: 'silent',
      CDN_BASE_URL: 'https://cdn.example',
      PAGE_CURSOR_KEY: 'bench-cursor-key-0123456789',
    }),
  );
  const get = createGetImagesHandler(deps);
  const post = createPostImagesHandler(deps);
  const headers = { Authorization: `Token ${apiKey}`, 'Content-Type': 'application/json' };
  let flip = 0;
  const postBody = () =>
    JSON.stringify({
      product_sku: '1182701025',
      images: stored.map((image) => ({
        url: image.url,
        order: image.order + (flip++ % 2),
        image_type: 'default',
      })),
    });

  const client = DynamoDBDocumentClient.from(new DynamoDBClient({ region: 'eu-west-1' }));
  const item = { ...keys.sku('1182701025'), sku: '1182701025', version: 'v2', images: stored };
  const lines = [
    report(
      'POST of 100 images (replace)',
      await sample(1000, async () => {
        const result = await post(apiEvent({ method: 'POST', headers, body: postBody() }), lambdaContext());
        if (result.statusCode !== 200) throw new Error(result.body);
      }),
      await sample(1000, async () => {
        await client.send(
          new GetCommand({ TableName: TABLE, Key: keys.sku('1182701025'), ConsistentRead: true }),
        );
        await client.send(
          new UpdateCommand({
            TableName: TABLE,
            Key: keys.sku('1182701025'),
            UpdateExpression: 'SET images = :i',
            ExpressionAttributeValues: { ':i': item.images },
          }),
        );
      }),
    ),
    report(
      'GET list page of 10 products',
      await sample(1000, async () => {
        const result = await get(apiEvent({ headers, query: { page: '2' } }), lambdaContext());
        if (result.statusCode !== 200) throw new Error(result.body);
      }),
      await sample(1000, async () => {
        await Promise.all([
          client.send(
            new BatchGetCommand({
              RequestItems: { [TABLE]: { Keys: PRODUCT_PARTITIONS.map(keys.productCounter) } },
            }),
          ),
          ...PRODUCT_PARTITIONS.map((shard) =>
            client.send(
              new QueryCommand({
                TableName: TABLE,
                IndexName: 'list',
                KeyConditionExpression: '#p = :partition',
                ExpressionAttributeValues: { ':partition': productPartition(shard) },
              }),
            ),
          ),
        ]);
        await client.send(
          new BatchGetCommand({ RequestItems: { [TABLE]: { Keys: page.map((sku) => keys.sku(sku)) } } }),
        );
      }),
    ),
  ];
  ddb.restore();
  return lines;
}
