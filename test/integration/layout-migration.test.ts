import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { QueryCommand } from '@aws-sdk/lib-dynamodb';
import { describe, expect, it } from 'vitest';
import { readItem } from '../../lib/adapters/dynamodb/client';
import {
  keys,
  PRODUCT_PARTITIONS,
  productPartition,
  TABLE_SCHEMA,
} from '../../lib/adapters/dynamodb/table-schema';
import { compareSkus } from '../../lib/domain/image';
import { seed, walk } from '../helpers/catalogue';
import { documentClientFor, useTestApi } from '../helpers/local-api';
import { ROOT } from '../helpers/local-mode';

const run = promisify(execFile);

describe('migrating a table written before shards existed', () => {
  const t = useTestApi();

  it('keeps serving while `npm run migrate` moves it, then runs again changing nothing', async () => {
    const legacy = Array.from({ length: 400 }, (_, i) => `old-${String(i).padStart(4, '0')}`);
    await seed(t.api, legacy, 'legacy');
    // The API works on the old layout as it is.
    const before = await walk(t, `${t.api.url}?limit=100`);
    expect(before.seen).toEqual(legacy);
    expect((await t.http.get()).json.count).toBe(400);

    const expected = new Set(legacy);
    const writes = (async () => {
      for (let i = 0; i < 40; i++) {
        const created = `new-${i}`;
        await t.http.post({ product_sku: created, images: [{ url: 'https://u/n.png' }] });
        expected.add(created);
        const deleted = `old-${String(i * 7).padStart(4, '0')}`;
        await t.http.post({ product_sku: deleted, images: [] });
        expected.delete(deleted);
        const replaced = `old-${String(i * 7 + 3).padStart(4, '0')}`;
        expect(
          (await t.http.post({ product_sku: replaced, images: [{ url: `https://u/${i}.png` }] })).status,
        ).toBe(200);
      }
    })();
    const migrate = () =>
      run(
        process.execPath,
        [join(ROOT, 'node_modules/tsx/dist/cli.mjs'), join(ROOT, 'infra/migrate-cli.ts')],
        {
          env: {
            ...process.env,
            TABLE_NAME: t.api.tableName,
            DYNAMODB_ENDPOINT: t.api.dynamodbEndpoint,
            AWS_REGION: 'local',
          },
        },
      );
    const [first] = await Promise.all([migrate(), writes]);
    expect(first.stdout).toMatch(/moved \d+ product/);
    const again = await migrate();
    expect(again.stdout).toMatch(/^\s*moved 0 product/);
    expect(again.stdout).toContain('fully in the sharded layout');

    const client = documentClientFor(t.api);
    const leftBehind = await client.send(
      new QueryCommand({
        TableName: t.api.tableName,
        IndexName: TABLE_SCHEMA.listIndex.name,
        KeyConditionExpression: '#p = :legacy',
        ExpressionAttributeNames: { '#p': TABLE_SCHEMA.listIndex.partitionKey },
        ExpressionAttributeValues: { ':legacy': productPartition(null) },
      }),
    );
    expect(leftBehind.Items ?? []).toEqual([]);
    expect(Number((await readItem(client, t.api.tableName, keys.productCounter(null)))?.value ?? 0)).toBe(0);
    const counters = await Promise.all(
      PRODUCT_PARTITIONS.map((shard) => readItem(client, t.api.tableName, keys.productCounter(shard))),
    );
    expect(counters.reduce((sum, counter) => sum + Number(counter?.value ?? 0), 0)).toBe(expected.size);

    const after = await walk(t, `${t.api.url}?limit=100`);
    expect(after.seen).toEqual([...expected].sort(compareSkus));
    expect((await t.http.get()).json.count).toBe(expected.size);
  });
});
