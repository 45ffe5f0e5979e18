import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { createGetImagesHandler } from '../../functions/get-images';
import { createPostImagesHandler } from '../../functions/post-images';
import { LOCAL_REGION, startDynamoDbLocal } from '../../infra/local/dynamodb-local';
import { prepareTable, registerApiKey } from '../../infra/local/service';
import { createDocumentClient } from '../../lib/adapters/dynamodb/client';
import { DynamoImageSetRepository } from '../../lib/adapters/dynamodb/image-set-repository';
import { loadConfig } from '../../lib/config';
import { createApiDependencies } from '../../lib/service';
import { apiEvent, lambdaContext } from '../helpers/events';

interface Tally {
  calls: Record<string, number>;
  readUnits: number;
  writeUnits: number;
}

/** Counts every command the client sends and sums the capacity DynamoDB reports for it. */
export const BENCH_CURSOR_KEY = 'bench-cursor-key-0123456789';

/** The API functions' configuration for a table in the bench's DynamoDB Local. */
export function benchApiConfig(tableName: string, endpoint: string) {
  return loadConfig({
    TABLE_NAME: tableName,
    LOG_LEVEL: 'silent',
    DYNAMODB_ENDPOINT: endpoint,
    CDN_BASE_URL: 'https://cdn.example',
    PAGE_CURSOR_KEY: BENCH_CURSOR_KEY,
  });
}

export function instrument(client: DynamoDBDocumentClient): { tally: Tally; reset(): void } {
  const state = { tally: { calls: {}, readUnits: 0, writeUnits: 0 } as Tally };
  client.middlewareStack.add(
    (next, context) => async (args) => {
      const input = args.input as Record<string, unknown>;
      input.ReturnConsumedCapacity = 'TOTAL';
      const name = String(context.commandName).replace(/Command$/, '');
      state.tally.calls[name] = (state.tally.calls[name] ?? 0) + 1;
      const result = await next(args);
      const output = result.output as { ConsumedCapacity?: unknown };
      const capacities = [output.ConsumedCapacity ?? []].flat() as Array<{
        ReadCapacityUnits?: number;
        WriteCapacityUnits?: number;
        CapacityUnits?: number;
      }>;
      for (const capacity of capacities) {
        state.tally.readUnits +=
          capacity.ReadCapacityUnits ?? (name.match(/Get|Query|Scan/) ? (capacity.CapacityUnits ?? 0) : 0);
        state.tally.writeUnits +=
          capacity.WriteCapacityUnits ??
          (name.match(/Put|Update|Delete|Transact/) ? (capacity.CapacityUnits ?? 0) : 0);
      }
      return result;
    },
    { step: 'initialize', name: 'benchTally' },
  );
  return {
    get tally() {
      return state.tally;
    },
    reset: () => {
      state.tally = { calls: {}, readUnits: 0, writeUnits: 0 };
    },
  };
}

const format = (tally: Tally, per = 1) =>
  `${
    Object.entries(tally.calls)
      .map(([name, count]) => `${name}×${+(count / per).toFixed(3)}`)
      .join(' + ') || '(none)'
  }; RCU ${+(tally.readUnits / per).toFixed(2)}, WCU ${+(tally.writeUnits / per).toFixed(2)}`;

async function seed(repository: DynamoImageSetRepository, count: number): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < count) {
      const i = next++;
      await repository.save({
        sku: `SKU-${String(i).padStart(6, '0')}`,
        expectedRevision: null,
        next: {
          version: 'v1',
          images: [
            {
              id: i + 1_000_000,
              url: `https://cdn.example.com/${i}.png`,
              order: 0,
              image_type: 'default',
              status: 'pending',
            },
          ],
        },
      });
    }
  };
  await Promise.all(Array.from({ length: 16 }, worker));
}

export async function measureDynamoCalls(): Promise<string[]> {
  const dynamo = await startDynamoDbLocal();
  const lines: string[] = [];
  try {
    const setup = async (tableName: string) => {
      await prepareTable(dynamo.endpoint, tableName);
      const apiKey = await registerApiKey(dynamo.endpoint, tableName, 'bench');
      const client = createDocumentClient({ region: LOCAL_REGION, endpoint: dynamo.endpoint });
      const meter = instrument(client);
      const deps = createApiDependencies(benchApiConfig(tableName, dynamo.endpoint), client);
      const get = createGetImagesHandler(deps);
      const post = createPostImagesHandler(deps);
      const headers = { Authorization: `Token ${apiKey}`, 'Content-Type': 'application/json' };
      const call = async (handler: typeof get, options: Parameters<typeof apiEvent>[0]) => {
        const result = await handler(apiEvent({ headers, ...options }), lambdaContext());
        if (result.statusCode >= 300)
          throw new Error(`bench call answered ${result.statusCode}: ${result.body}`);
      };
      return { client, meter, get, post, call, repository: new DynamoImageSetRepository(client, tableName) };
    };

    const small = await setup('bench-10');
    await seed(small.repository, 10);
    // Warm the key cache, as a warm Lambda has it.
    await small.call(small.get, { query: { product_sku: 'SKU-000000' } });

    small.meter.reset();
    await small.call(small.get, { query: { product_sku: 'SKU-000001' } });
    lines.push(`GET one SKU:                         ${format(small.meter.tally)}`);

    small.meter.reset();
    await small.call(small.post, {
      method: 'POST',
      body: { product_sku: 'SKU-000002', images: [{ url: 'https://cdn.example.com/2.png', order: 4 }] },
    });
    lines.push(`POST, no new images:                 ${format(small.meter.tally)}`);

    small.meter.reset();
    // With the default block of 1,000 ids, 2,000 new ids take two counter updates.
    const posts = 2000;
    for (let i = 0; i < posts; i++) {
      await small.call(small.post, {
        method: 'POST',
        body: { product_sku: 'SKU-000003', images: [{ url: `https://cdn.example.com/new-${i}.png` }] },
      });
    }
    lines.push(`POST with a new image (mean of ${posts}): ${format(small.meter.tally, posts)}`);

    await small.call(small.get, { query: { product_sku: 'SKU-000000' } });
    small.meter.reset();
    await small.call(small.get, {});
    lines.push(`List page 1 (limit 10), 10 products:     ${format(small.meter.tally)}`);
  } finally {
    await dynamo.stop();
  }
  return lines;
}
