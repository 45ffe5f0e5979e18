import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  DynamoDBStreamsClient,
  GetRecordsCommand,
  GetShardIteratorCommand,
} from '@aws-sdk/client-dynamodb-streams';
import {
  ChangeMessageVisibilityCommand,
  DeleteMessageCommand,
  ReceiveMessageCommand,
  SQSClient,
} from '@aws-sdk/client-sqs';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, describe, expect, it } from 'vitest';
import { fileBatches, queueBatches } from '../../infra/replay/failed-records';
import { replayBatches } from '../../infra/replay/replay';
import { memoryPipeline } from '../helpers/memory-pipeline';
import { photoJpeg } from '../helpers/photos';
import { image, openedFrom, streamRecord } from '../helpers/stream-events';

const sqs = mockClient(SQSClient);
const streams = mockClient(DynamoDBStreamsClient);
afterEach(() => {
  sqs.reset();
  streams.reset();
});

const STREAM = 'arn:aws:dynamodb:eu-west-1:123456789012:table/images/stream/2026-12-07T00:00:00.000';
const QUEUE = 'https://sqs.eu-west-1.amazonaws.com/123456789012/dead-letters';

describe('npm run replay: stream records the consumer gave up on', () => {
  it('reads each failed batch again from its shard (deployed), leaves the other letters, deletes a replayed one', async () => {
    const info = {
      shardId: 'shardId-1',
      startSequenceNumber: '100',
      endSequenceNumber: '200',
      streamArn: STREAM,
      batchSize: 2,
    };
    sqs
      .on(ReceiveMessageCommand)
      .resolvesOnce({
        Messages: [
          { ReceiptHandle: 'batch', Body: JSON.stringify({ DDBStreamBatchInfo: info }) },
          { ReceiptHandle: 'image', Body: JSON.stringify({ kind: 'image-copy-failed', sku: 's' }) },
        ],
      })
      .resolves({ Messages: [] });
    sqs.on(ChangeMessageVisibilityCommand).resolves({});
    sqs.on(DeleteMessageCommand).resolves({});
    streams.on(GetShardIteratorCommand).resolves({ ShardIterator: 'first' });
    const record = (sequence: string) => ({
      eventID: sequence,
      eventName: 'MODIFY' as const,
      dynamodb: { SequenceNumber: sequence, Keys: { pk: { S: 'SKU#s' } } },
    });
    streams
      .on(GetRecordsCommand, { ShardIterator: 'first' })
      .resolves({ Records: [record('100')], NextShardIterator: 'second' })
      .on(GetRecordsCommand, { ShardIterator: 'second' })
      .resolves({ Records: [record('200'), record('300')], NextShardIterator: 'third' });

    const batches = await queueBatches(
      new SQSClient({ region: 'eu-west-1' }),
      QUEUE,
      new DynamoDBStreamsClient({ region: 'eu-west-1' }),
    );
    expect(batches.map((batch) => batch.describe)).toEqual(['shardId-1 100…200']);
    // The image's dead letter goes back to the queue at once, for its own runbook.
    expect(sqs.commandCalls(ChangeMessageVisibilityCommand).map((call) => call.args[0].input)).toEqual([
      { QueueUrl: QUEUE, ReceiptHandle: 'image', VisibilityTimeout: 0 },
    ]);
    const records = await batches[0]?.records();
    expect(records?.map((each) => each.dynamodb?.SequenceNumber)).toEqual(['100', '200']);
    expect(records?.[0]).toMatchObject({
      eventSource: 'aws:dynamodb',
      awsRegion: 'eu-west-1',
      eventSourceARN: STREAM,
    });
    expect(streams.commandCalls(GetShardIteratorCommand)[0]?.args[0].input).toMatchObject({
      ShardIteratorType: 'AT_SEQUENCE_NUMBER',
      SequenceNumber: '100',
    });
    await batches[0]?.done();
    expect(sqs.commandCalls(DeleteMessageCommand)[0]?.args[0].input).toEqual({
      QueueUrl: QUEUE,
      ReceiptHandle: 'batch',
    });
  });

  it('replays an exhausted removal from the dead-letter file (local): its content is released and deleted, the line goes', async () => {
    const photo = await photoJpeg(80, 60);
    const pipeline = memoryPipeline(async () => openedFrom(photo));
    await pipeline.run([pipeline.statuses.write('shirt', [image(1)], 1)]);
    const ready = pipeline.statuses.sets.get('shirt')?.images[0];
    expect(ready?.status).toBe('ready');
    // The POST that removes the image; its stream record is exhausted, so nothing released the content.
    pipeline.statuses.write('shirt', [], 2);
    const file = join(mkdtempSync(join(tmpdir(), 'replay-')), 'dead-letters.jsonl');
    const other = JSON.stringify({ kind: 'image-copy-failed', sku: 'socks', imageId: 4 });
    writeFileSync(
      file,
      `${other}\n${JSON.stringify({ kind: 'stream-record-failed', record: streamRecord('shirt', [ready ?? image(1)], []) })}\n`,
    );
    expect(pipeline.contents.entries.size).toBe(1);

    const outcome = await replayBatches(await fileBatches(file), pipeline.deps);
    expect(outcome).toEqual({ replayed: 1, failed: 0, records: 1 });
    expect(pipeline.contents.entries.size).toBe(0);
    expect(pipeline.objects.keys('v/')).toEqual([]);
    expect(readFileSync(file, 'utf8')).toBe(`${other}\n`);
    // Nothing is left to replay; a missing file is nothing to replay either.
    expect(await fileBatches(file)).toEqual([]);
    expect(await fileBatches(join(tmpdir(), 'no-such-dead-letters.jsonl'))).toEqual([]);
  });
});
