import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LOCAL_REGION, startDynamoDbLocal } from '../../infra/local/dynamodb-local';
import { prepareTable } from '../../infra/local/service';
import { createDocumentClient } from '../../lib/adapters/dynamodb/client';
import { DynamoImageSetRepository } from '../../lib/adapters/dynamodb/image-set-repository';
import { DynamoImageStatusStore } from '../../lib/adapters/dynamodb/image-status-store';
import { FileSettledSink } from '../../lib/adapters/file/settled-events-file';
import { announceIfSettled } from '../../lib/pipeline/settlement';

const median = (values: number[]) =>
  [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)] ?? Number.NaN;

/**
 * Local mode's path from the status write that settles a set's last image to its `ProductImagesSettled`
 * event being written (`.local/events.jsonl`): the pipeline's read of the item, the conditional mark and
 * the put, on DynamoDB Local, as `processChanges` runs them after a SKU's records.
 */
export async function measureSettledEvents(): Promise<string[]> {
  const dynamo = await startDynamoDbLocal();
  try {
    const tableName = 'bench-settled';
    await prepareTable(dynamo.endpoint, tableName);
    const client = createDocumentClient({ region: LOCAL_REGION, endpoint: dynamo.endpoint });
    const sets = new DynamoImageSetRepository(client, tableName);
    const statuses = new DynamoImageStatusStore(client, tableName);
    const eventsFile = join(mkdtempSync(join(tmpdir(), 'bench-events-')), 'events.jsonl');
    const sink = new FileSettledSink(eventsFile);
    const samples: number[] = [];
    const runs = 50;
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
      const ports = {
        find: (s: string) => statuses.find(s),
        markAnnounced: (s: string, v: string) => statuses.markAnnounced(s, v),
        publish: (d: Parameters<FileSettledSink['publish']>[0]) => sink.publish(d),
      };
      await announceIfSettled(sku, ports, 'https://cdn.example');
      samples.push(performance.now() - lastWrite);
    }
    const events = readFileSync(eventsFile, 'utf8').trim().split('\n').length;
    return [
      `last status write → event written, local (DynamoDB Local, file bus): median ${median(samples).toFixed(1)} ms, max ${Math.max(...samples).toFixed(1)} ms over ${runs} sets; ${events} events for ${runs} sets`,
    ];
  } finally {
    await dynamo.stop();
  }
}
