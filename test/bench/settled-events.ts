import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createProcessStreamHandler } from '../../functions/process-stream';
import { LOCAL_REGION, startDynamoDbLocal } from '../../infra/local/dynamodb-local';
import { prepareTable } from '../../infra/local/service';
import { startStreamPoller } from '../../infra/local/stream-poller';
import { createDocumentClient } from '../../lib/adapters/dynamodb/client';
import { DynamoImageSetRepository } from '../../lib/adapters/dynamodb/image-set-repository';
import { DynamoImageStatusStore } from '../../lib/adapters/dynamodb/image-status-store';
import { FileSettledSink } from '../../lib/adapters/file/settled-events-file';
import { createLogger } from '../../lib/logger';
import { announceSettled } from '../../lib/pipeline/process-changes';
import { memoryPipeline } from '../helpers/memory-pipeline';

const median = (values: number[]) =>
  [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)] ?? Number.NaN;

/**
 * Local mode's path from the status write that settles a set's last image to its `ProductImagesSettled`
 * event being written (`.local/events.jsonl`): the conditional mark, then the mark's stream record
 * through the local stream poller (every 100 ms, as local mode runs it) to the stream consumer, which
 * puts the event. Deployed, the stream's own delay (typically well under a second) takes the poller's
 * place.
 */
export async function measureSettledEvents(): Promise<string[]> {
  const dynamo = await startDynamoDbLocal();
  const tableName = 'bench-settled';
  await prepareTable(dynamo.endpoint, tableName);
  const client = createDocumentClient({ region: LOCAL_REGION, endpoint: dynamo.endpoint });
  const sets = new DynamoImageSetRepository(client, tableName);
  const statuses = new DynamoImageStatusStore(client, tableName);
  const eventsFile = join(mkdtempSync(join(tmpdir(), 'bench-events-')), 'events.jsonl');
  const deps = {
    ...memoryPipeline(async () => {
      throw new Error('no downloads in this benchmark');
    }).deps,
    statuses,
    events: new FileSettledSink(eventsFile),
    cdnBaseUrl: 'https://cdn.example',
  };
  const logger = createLogger({ level: 'silent' });
  const poller = await startStreamPoller({
    dynamodbEndpoint: dynamo.endpoint,
    tableName,
    handler: createProcessStreamHandler(deps),
    logger,
    pollIntervalMs: 100,
    onFailure: async () => undefined,
  });
  const delivered = (id: string) => {
    try {
      return readFileSync(eventsFile, 'utf8').includes(`"id":"${id}"`);
    } catch {
      return false;
    }
  };
  try {
    const samples: number[] = [];
    const runs = 30;
    for (let i = 0; i < runs; i++) {
      const sku = `settle-${i}`;
      const images = [1, 2, 3].map((n) => ({
        id: i * 10 + n,
        url: `https://e/${n}`,
        order: n,
        image_type: 'default' as const,
        status: 'pending' as const,
      }));
      await sets.save({ sku, expectedRevision: null, next: { version: `v${i}`, images } });
      for (const image of images.slice(0, 2))
        await statuses.record(sku, image.id, { status: 'ready', object_key: `k/${image.id}` });
      await statuses.record(sku, images[2]?.id ?? 0, { status: 'failed', error: 'not an image' });
      const lastWrite = performance.now();
      // What the renderer does after the write that settled the last image.
      await announceSettled(sku, deps);
      while (!delivered(`${sku}/v${i}`)) await new Promise((resolve) => setTimeout(resolve, 5));
      samples.push(performance.now() - lastWrite);
    }
    const events = readFileSync(eventsFile, 'utf8').trim().split('\n').length;
    return [
      `last status write → event written, local (DynamoDB Local, its stream polled every 100 ms, file bus): median ${median(samples).toFixed(0)} ms, max ${Math.max(...samples).toFixed(0)} ms over ${runs} sets; ${events} events for ${runs} sets`,
    ];
  } finally {
    await poller.stop();
    await dynamo.stop();
  }
}
