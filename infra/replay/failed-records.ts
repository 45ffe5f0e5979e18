import { readFile, writeFile } from 'node:fs/promises';
import {
  DynamoDBStreamsClient,
  GetRecordsCommand,
  GetShardIteratorCommand,
} from '@aws-sdk/client-dynamodb-streams';
import {
  ChangeMessageVisibilityCommand,
  DeleteMessageCommand,
  ReceiveMessageCommand,
  type SQSClient,
} from '@aws-sdk/client-sqs';
import type { DynamoDBRecord } from 'aws-lambda';
import { toLambdaRecord } from '../local/stream-poller';

/**
 * Stream records the stream consumer gave up on (5 retries, or a day), as an operator replays them:
 * each batch once its records are replayed is taken out of where it waits.
 */
export interface FailedBatch {
  /** Where it comes from, for the operator's output. */
  describe: string;
  records(): Promise<DynamoDBRecord[]>;
  /** Taken out once replayed. */
  done(): Promise<void>;
  /** Left where it was (not replayed, or its replay failed). */
  leave(): Promise<void>;
}

/** What Lambda sends to the stream mapping's on-failure queue: the batch's place in the stream. */
export interface StreamBatchInfo {
  shardId: string;
  startSequenceNumber: string;
  endSequenceNumber: string;
  streamArn: string;
  batchSize?: number;
}

/**
 * Local mode: the stream poller appends the whole record to the dead-letter file
 * (`stream-record-failed`). Replayed lines are taken out of the file; every other line stays.
 */
export async function fileBatches(file: string): Promise<FailedBatch[]> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw error;
  }
  const lines = text.split('\n').filter((line) => line.trim());
  const replayed = new Set<number>();
  const rewrite = () =>
    writeFile(
      file,
      lines
        .filter((_, index) => !replayed.has(index))
        .map((line) => `${line}\n`)
        .join(''),
    );
  return lines.flatMap((line, index): FailedBatch[] => {
    const entry = JSON.parse(line) as { kind?: string; record?: DynamoDBRecord };
    if (entry.kind !== 'stream-record-failed' || !entry.record) return [];
    const record = entry.record;
    return [
      {
        describe: `${file}:${index + 1} (record ${record.dynamodb?.SequenceNumber})`,
        records: async () => [record],
        done: async () => {
          replayed.add(index);
          await rewrite();
        },
        leave: async () => undefined,
      },
    ];
  });
}

/**
 * Deployed: the stream mapping's on-failure queue holds each batch's shard and sequence numbers (the
 * dead-letter queue, beside the pipeline's own letters, which are left alone). The records are read
 * again from the stream, which keeps them 24 hours; past that, the sweeper still announces the sets
 * and `npm run audit -- --fix` releases what they would have released.
 */
export async function queueBatches(
  sqs: SQSClient,
  queueUrl: string,
  streams: DynamoDBStreamsClient,
  limit = 100,
): Promise<FailedBatch[]> {
  const batches: FailedBatch[] = [];
  for (let received = 0; received < limit; ) {
    const { Messages = [] } = await sqs.send(
      new ReceiveMessageCommand({ QueueUrl: queueUrl, MaxNumberOfMessages: 10, VisibilityTimeout: 300 }),
    );
    if (Messages.length === 0) break;
    received += Messages.length;
    for (const message of Messages) {
      const receipt = message.ReceiptHandle ?? '';
      const info = (JSON.parse(message.Body ?? '{}') as { DDBStreamBatchInfo?: StreamBatchInfo })
        .DDBStreamBatchInfo;
      const leave = () =>
        sqs
          .send(
            new ChangeMessageVisibilityCommand({
              QueueUrl: queueUrl,
              ReceiptHandle: receipt,
              VisibilityTimeout: 0,
            }),
          )
          .then(() => undefined);
      // The pipeline's own dead letters (images, events) share the queue: they stay for their runbook.
      if (!info) {
        await leave();
        continue;
      }
      batches.push({
        describe: `${info.shardId} ${info.startSequenceNumber}…${info.endSequenceNumber}`,
        records: () => readBatch(streams, info),
        done: () =>
          sqs
            .send(new DeleteMessageCommand({ QueueUrl: queueUrl, ReceiptHandle: receipt }))
            .then(() => undefined),
        leave,
      });
    }
  }
  return batches;
}

/** The batch's records, read again from its shard: from its first sequence number to its last. */
export async function readBatch(
  streams: DynamoDBStreamsClient,
  info: StreamBatchInfo,
): Promise<DynamoDBRecord[]> {
  const region = info.streamArn.split(':')[3] ?? '';
  let { ShardIterator: iterator } = await streams.send(
    new GetShardIteratorCommand({
      StreamArn: info.streamArn,
      ShardId: info.shardId,
      ShardIteratorType: 'AT_SEQUENCE_NUMBER',
      SequenceNumber: info.startSequenceNumber,
    }),
  );
  const records: DynamoDBRecord[] = [];
  const end = BigInt(info.endSequenceNumber);
  // An empty page does not mean the end of a shard that is still open: a few are read past.
  for (let emptyPages = 0; iterator && emptyPages < 5; ) {
    const page = await streams.send(new GetRecordsCommand({ ShardIterator: iterator, Limit: 1000 }));
    const found = page.Records ?? [];
    if (found.length === 0) emptyPages++;
    for (const record of found) {
      if (BigInt(record.dynamodb?.SequenceNumber ?? '0') > end) return records;
      records.push(toLambdaRecord(record, info.streamArn, region));
    }
    if (records.length > 0 && BigInt(records.at(-1)?.dynamodb?.SequenceNumber ?? '0') >= end) return records;
    iterator = page.NextShardIterator;
  }
  return records;
}

export function streamsClient(region: string, endpoint?: string): DynamoDBStreamsClient {
  return new DynamoDBStreamsClient({
    region,
    ...(endpoint ? { endpoint, credentials: { accessKeyId: 'local', secretAccessKey: 'local' } } : {}),
  });
}
