import { type DynamoDBDocumentClient, QueryCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import type { PendingIndex, PendingSet } from '../../pipeline/pending-sweep';
import { everyItem, type Item, isConditionFailure, withStorageErrors } from './client';
import { keys, PENDING_PARTITIONS, skuOfKey, TABLE_SCHEMA, WRITERS } from './table-schema';

const INDEX = TABLE_SCHEMA.pendingIndex;

/**
 * The entries of one partition of the sparse `pending` index older than `before`, oldest first: the
 * sets pending in a shard (`PENDING#<shard>`), or the contents being deleted (`DELETING#<hex>`).
 */
export function pendingEntriesBefore(
  client: DynamoDBDocumentClient,
  tableName: string,
  partition: string,
  before: string,
): AsyncIterable<Item> {
  return everyItem((start) =>
    client.send(
      new QueryCommand({
        TableName: tableName,
        IndexName: INDEX.name,
        KeyConditionExpression: '#pk = :partition AND #since < :before',
        ExpressionAttributeNames: { '#pk': INDEX.partitionKey, '#since': INDEX.sortKey },
        ExpressionAttributeValues: { ':partition': partition, ':before': before },
        ExclusiveStartKey: start,
      }),
    ),
  );
}

/**
 * The sparse `pending` index: only SKU items with a pending image carry its keys (see table-schema.ts),
 * so a sweep reads those items' index entries and nothing else, shard after shard, oldest first.
 */
export class DynamoPendingIndex implements PendingIndex {
  constructor(
    private readonly client: DynamoDBDocumentClient,
    private readonly tableName: string,
  ) {}

  async *since(before: string): AsyncIterable<PendingSet> {
    for (const partition of PENDING_PARTITIONS) {
      const items = pendingEntriesBefore(this.client, this.tableName, partition, before);
      for await (const item of items) {
        const sku = skuOfKey(String(item[TABLE_SCHEMA.partitionKey]));
        if (sku === null) continue;
        yield {
          sku,
          version: String(item.version),
          pendingSince: String(item[INDEX.sortKey]),
          sweeps: Number(item.sweeps ?? 0),
        };
      }
    }
  }

  /** Written as the pipeline, so the stream starts no work for it; `revision` rises as for any write. */
  async touch(entry: PendingSet, now: string): Promise<boolean> {
    return this.conditionally(
      new UpdateCommand({
        TableName: this.tableName,
        Key: keys.sku(entry.sku),
        UpdateExpression:
          'SET #since = :now, #sweeps = :sweeps, #revision = #revision + :one, #writer = :pipeline',
        ConditionExpression: '#version = :version AND attribute_exists(#pk)',
        ExpressionAttributeNames: {
          '#since': INDEX.sortKey,
          '#pk': INDEX.partitionKey,
          '#sweeps': 'sweeps',
          '#version': 'version',
          '#revision': 'revision',
          '#writer': 'writer',
        },
        ExpressionAttributeValues: {
          ':now': now,
          ':sweeps': entry.sweeps + 1,
          ':version': entry.version,
          ':one': 1,
          ':pipeline': WRITERS.pipeline,
        },
      }),
    );
  }

  async clear(sku: string, revision: number): Promise<boolean> {
    return this.conditionally(
      new UpdateCommand({
        TableName: this.tableName,
        Key: keys.sku(sku),
        UpdateExpression: 'REMOVE #pk, #since, #sweeps',
        ConditionExpression: '#revision = :revision',
        ExpressionAttributeNames: {
          '#pk': INDEX.partitionKey,
          '#since': INDEX.sortKey,
          '#sweeps': 'sweeps',
          '#revision': 'revision',
        },
        ExpressionAttributeValues: { ':revision': revision },
      }),
    );
  }

  private async conditionally(command: UpdateCommand): Promise<boolean> {
    try {
      await withStorageErrors(() => this.client.send(command));
      return true;
    } catch (error) {
      if (isConditionFailure(error)) return false;
      throw error;
    }
  }
}
