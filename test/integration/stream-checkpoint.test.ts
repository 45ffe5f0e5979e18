import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { DynamoDBRecord } from 'aws-lambda';
import { describe, expect, it } from 'vitest';
import { type RunningStreamPoller, startStreamPoller } from '../../infra/local/stream-poller';
import { createLogger } from '../../lib/logger';
import { useTestApi } from '../helpers/local-api';

/** Local mode's stream poller kept its place across a restart, on the real engine (DynamoDB Local). */
const t = useTestApi();

const skuOf = (record: DynamoDBRecord) => record.dynamodb?.NewImage?.sku?.S ?? '';

/** A poller that writes down the SKU of every record delivered to it. */
async function poller(checkpointFile?: string) {
  const delivered: string[] = [];
  const running: RunningStreamPoller = await startStreamPoller({
    dynamodbEndpoint: t.api.dynamodbEndpoint,
    tableName: t.api.tableName,
    handler: async (event) => {
      delivered.push(...event.Records.map(skuOf));
      return { batchItemFailures: [] };
    },
    logger: createLogger({ level: 'silent' }),
    onFailure: async () => undefined,
    pollIntervalMs: 20,
    checkpointFile,
  });
  const until = async (sku: string) => {
    const deadline = Date.now() + 15_000;
    while (!delivered.includes(sku)) {
      if (Date.now() > deadline) throw new Error(`${sku} never delivered: ${delivered.join(', ')}`);
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  };
  return { delivered, until, stop: running.stop };
}

const post = async (sku: string) => {
  const answer = await t.http.post({
    product_sku: sku,
    images: [{ url: `https://img.example.test/${sku}.jpg` }],
  });
  expect(answer.status).toBe(201);
};

describe("local mode's stream poller across a restart", () => {
  it('goes on after what it delivered when it has a checkpoint, and reads from the start without one', async () => {
    const checkpointFile = join(mkdtempSync(join(tmpdir(), 'stream-checkpoint-')), 'stream-checkpoint.json');
    const first = await poller(checkpointFile);
    await post('before-restart');
    await first.until('before-restart');
    await first.stop();
    const saved = JSON.parse(readFileSync(checkpointFile, 'utf8'));
    expect(Object.values(saved.shards).length).toBeGreaterThan(0);

    await post('while-stopped');
    const restarted = await poller(checkpointFile);
    await post('after-restart');
    await restarted.until('after-restart');
    await restarted.stop();
    expect(restarted.delivered).toEqual(['while-stopped', 'after-restart']);

    // A checkpoint of another stream (a table made again) is not this one's: from the start.
    writeFileSync(checkpointFile, JSON.stringify({ ...saved, streamArn: 'arn:of:another:stream' }));
    const elsewhere = await poller(checkpointFile);
    await elsewhere.until('after-restart');
    await elsewhere.stop();
    expect(elsewhere.delivered).toEqual(['before-restart', 'while-stopped', 'after-restart']);

    const without = await poller();
    await without.until('after-restart');
    await without.stop();
    expect(without.delivered).toEqual(['before-restart', 'while-stopped', 'after-restart']);
  });
});
