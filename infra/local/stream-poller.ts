import { readFile, rename, writeFile } from 'node:fs/promises';
import { DescribeTableCommand, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import {
  DescribeStreamCommand,
  DynamoDBStreamsClient,
  GetRecordsCommand,
  GetShardIteratorCommand,
  type _Record as StreamRecord,
} from '@aws-sdk/client-dynamodb-streams';
import type { Context, DynamoDBBatchResponse, DynamoDBRecord, DynamoDBStreamEvent } from 'aws-lambda';
import { PIPELINE_EVENT_PATTERNS } from '../../lib/adapters/dynamodb/table-schema';
import type { Logger } from '../../lib/logger';
import { LOCAL_REGION } from './dynamodb-local';
import { localLambdaContext } from './lambda-context';

export type StreamHandler = (event: DynamoDBStreamEvent, context: Context) => Promise<DynamoDBBatchResponse>;

export interface StreamPollerOptions {
  dynamodbEndpoint: string;
  tableName: string;
  handler: StreamHandler;
  logger: Logger;
  /** As the event source mapping's BatchSize. */
  batchSize?: number;
  /** As its MaximumRetryAttempts: deliveries of a failing record after the first. */
  maxRetries?: number;
  /** Called with a record given up on after the last retry, as the on-failure destination would be. */
  onFailure: (record: DynamoDBRecord) => Promise<void>;
  pollIntervalMs?: number;
  /** Sees every record read, the pipeline's own status writes too (which the filter keeps from it). */
  observe?: (records: readonly DynamoDBRecord[]) => void;
  /**
   * Where the poller keeps how far it has delivered each shard (local mode with `LOCAL_DATA_DIR`): a
   * restart goes on after it instead of from the stream's start. Without it, or for another stream,
   * every shard is read from its start, as a new event source mapping reads it (TRIM_HORIZON).
   */
  checkpointFile?: string;
}

/** The last sequence number delivered of each shard of one stream. */
interface StreamCheckpoint {
  streamArn: string;
  shards: Record<string, string>;
}

async function readCheckpoint(file: string | undefined, streamArn: string): Promise<Record<string, string>> {
  if (!file) return {};
  try {
    const saved = JSON.parse(await readFile(file, 'utf8')) as Partial<StreamCheckpoint>;
    return saved.streamArn === streamArn && typeof saved.shards === 'object' && saved.shards !== null
      ? saved.shards
      : {};
  } catch {
    return {};
  }
}

/** Written whole and renamed into place: a stop in the middle leaves the previous checkpoint. */
async function writeCheckpoint(file: string, checkpoint: StreamCheckpoint): Promise<void> {
  const draft = `${file}.${process.pid}.tmp`;
  await writeFile(draft, JSON.stringify(checkpoint));
  await rename(draft, file);
}

/** A Lambda event-filter pattern: every key must match; a leaf array lists the accepted values. */
export function matchesPattern(pattern: unknown, value: unknown): boolean {
  if (Array.isArray(pattern)) {
    // Event filtering's value list: exact values, or `{ prefix }` for a string's start.
    return pattern.some((allowed) =>
      typeof allowed === 'object' && allowed !== null && 'prefix' in allowed
        ? typeof value === 'string' && value.startsWith(String((allowed as { prefix: unknown }).prefix))
        : allowed === value,
    );
  }
  if (typeof pattern !== 'object' || pattern === null) return false;
  if (typeof value !== 'object' || value === null) return false;
  return Object.entries(pattern).every(([key, inner]) =>
    matchesPattern(inner, (value as Record<string, unknown>)[key]),
  );
}

const wantedByPipeline = (record: DynamoDBRecord) =>
  PIPELINE_EVENT_PATTERNS.some((pattern) => matchesPattern(pattern, record));

/** A record as the Streams API answers it, in the shape Lambda delivers it to the stream consumer. */
export function toLambdaRecord(
  record: StreamRecord,
  streamArn: string,
  region = LOCAL_REGION,
): DynamoDBRecord {
  const created = record.dynamodb?.ApproximateCreationDateTime;
  return {
    eventID: record.eventID,
    eventName: record.eventName,
    eventVersion: record.eventVersion,
    eventSource: 'aws:dynamodb',
    awsRegion: region,
    eventSourceARN: streamArn,
    dynamodb: {
      ...(record.dynamodb as DynamoDBRecord['dynamodb']),
      ApproximateCreationDateTime: created ? Math.floor(new Date(created).getTime() / 1000) : undefined,
    },
  };
}

export interface RunningStreamPoller {
  stop(): Promise<void>;
}

/**
 * Local mode's event source mapping: reads DynamoDB Local's stream shard by shard, applies the same
 * event filter, calls the pipeline handler in batches, and on partial batch failure delivers again from
 * the lowest failed record (with what follows it), up to `maxRetries` times, then hands that record to
 * `onFailure` and goes on. With a checkpoint file, each shard's position is saved after its page is
 * delivered (at least once: a stop before the save delivers that page again).
 */
export async function startStreamPoller(options: StreamPollerOptions): Promise<RunningStreamPoller> {
  const credentials = { accessKeyId: 'local', secretAccessKey: 'local' };
  const dynamo = new DynamoDBClient({
    endpoint: options.dynamodbEndpoint,
    region: LOCAL_REGION,
    credentials,
  });
  const streams = new DynamoDBStreamsClient({
    endpoint: options.dynamodbEndpoint,
    region: LOCAL_REGION,
    credentials,
  });
  const { Table } = await dynamo.send(new DescribeTableCommand({ TableName: options.tableName }));
  const streamArn = Table?.LatestStreamArn;
  if (!streamArn) throw new Error(`table ${options.tableName} has no stream`);

  const batchSize = options.batchSize ?? 100;
  const maxRetries = options.maxRetries ?? 3;
  const pollIntervalMs = options.pollIntervalMs ?? 100;
  const iterators = new Map<string, string | null>();
  const delivered = await readCheckpoint(options.checkpointFile, streamArn);
  let stopping = false;

  /** True when every record was handled or given up on; false when the poller stopped first. */
  const deliver = async (records: DynamoDBRecord[]): Promise<boolean> => {
    let pending = records;
    let deliveries = 0;
    while (pending.length > 0 && !stopping) {
      let failedIds: string[];
      try {
        const response = await options.handler(
          { Records: pending },
          localLambdaContext('process-stream', 300_000),
        );
        failedIds = (response?.batchItemFailures ?? []).map((failure) => failure.itemIdentifier);
      } catch (error) {
        options.logger.error('stream handler failed', { error });
        failedIds = [pending[0]?.dynamodb?.SequenceNumber ?? ''];
      }
      const firstFailed = pending.findIndex((record) =>
        failedIds.includes(record.dynamodb?.SequenceNumber ?? ''),
      );
      if (firstFailed < 0) return true;
      pending = pending.slice(firstFailed);
      deliveries++;
      if (deliveries > maxRetries) {
        const [givenUp, ...rest] = pending;
        if (givenUp) await options.onFailure(givenUp);
        pending = rest;
        deliveries = 0;
        continue;
      }
      await new Promise((resolve) => setTimeout(resolve, 200 * deliveries));
    }
    return pending.length === 0;
  };

  const pollShard = async (shardId: string) => {
    const iterator = iterators.get(shardId);
    if (!iterator) return;
    const page = await streams.send(new GetRecordsCommand({ ShardIterator: iterator, Limit: batchSize }));
    const read = (page.Records ?? []).map((record) => toLambdaRecord(record, streamArn));
    const records = read.filter(wantedByPipeline);
    if (records.length > 0 && !(await deliver(records))) return;
    if (read.length > 0) options.observe?.(read);
    iterators.set(shardId, page.NextShardIterator ?? null);
    const last = read.at(-1)?.dynamodb?.SequenceNumber;
    if (last && options.checkpointFile) {
      delivered[shardId] = last;
      await writeCheckpoint(options.checkpointFile, { streamArn, shards: delivered });
    }
  };

  /** After the checkpoint's position, or from the shard's start (also when that position is gone). */
  const firstIterator = async (shardId: string): Promise<string | undefined> => {
    const after = delivered[shardId];
    if (after) {
      try {
        const { ShardIterator } = await streams.send(
          new GetShardIteratorCommand({
            StreamArn: streamArn,
            ShardId: shardId,
            ShardIteratorType: 'AFTER_SEQUENCE_NUMBER',
            SequenceNumber: after,
          }),
        );
        return ShardIterator;
      } catch (error) {
        options.logger.warn('stream checkpoint not usable, reading the shard from its start', {
          shardId,
          error,
        });
      }
    }
    const { ShardIterator } = await streams.send(
      new GetShardIteratorCommand({
        StreamArn: streamArn,
        ShardId: shardId,
        ShardIteratorType: 'TRIM_HORIZON',
      }),
    );
    return ShardIterator;
  };

  const discoverShards = async () => {
    const { StreamDescription } = await streams.send(new DescribeStreamCommand({ StreamArn: streamArn }));
    const shards = (StreamDescription?.Shards ?? []).flatMap((shard) =>
      shard.ShardId ? [shard.ShardId] : [],
    );
    // Shards the stream no longer lists (trimmed after 24 hours) leave the checkpoint.
    for (const shardId of Object.keys(delivered)) if (!shards.includes(shardId)) delete delivered[shardId];
    for (const shardId of shards) {
      if (iterators.has(shardId)) continue;
      iterators.set(shardId, (await firstIterator(shardId)) ?? null);
    }
  };

  const loop = (async () => {
    let sinceDiscovery = Number.POSITIVE_INFINITY;
    while (!stopping) {
      try {
        if (sinceDiscovery++ >= 10) {
          await discoverShards();
          sinceDiscovery = 0;
        }
        for (const shardId of [...iterators.keys()]) await pollShard(shardId);
      } catch (error) {
        if (!stopping) options.logger.warn('stream poll failed', { error });
      }
      await new Promise((resolve) => setTimeout(resolve, pollIntervalMs));
    }
  })();

  return {
    stop: async () => {
      stopping = true;
      await loop;
      dynamo.destroy();
      streams.destroy();
    },
  };
}
