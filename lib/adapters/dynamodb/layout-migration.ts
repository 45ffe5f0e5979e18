import { type DynamoDBDocumentClient, QueryCommand, TransactWriteCommand } from '@aws-sdk/lib-dynamodb';
import { mapWithConcurrency } from '../../pipeline/concurrency';
import { readItem } from './client';
import { keys, productPartition, productShard, TABLE_SCHEMA, WRITERS } from './table-schema';

export interface MigrationReport {
  /** Products moved from the unsharded layout to their shard. */
  moved: number;
  /** Entries found that a concurrent write had already moved or deleted. */
  skipped: number;
  /** What the unsharded counter still counts: 0 once the table is fully migrated. */
  leftInLegacyLayout: number;
}

const LEGACY = productPartition(null);

function cancelledByCondition(error: unknown): boolean {
  const reasons = (error as { CancellationReasons?: Array<{ Code?: string }> }).CancellationReasons ?? [];
  return (
    (error as Error).name === 'TransactionCanceledException' &&
    reasons.some((reason) => reason.Code === 'ConditionalCheckFailed')
  );
}

/**
 * Moves one product from the unsharded layout to its shard, atomically: its list-index partition and
 * both counters change in one transaction, so `count` stays exact at every moment. False when the item
 * is no longer in the unsharded layout (moved already, or deleted).
 */
async function moveProduct(client: DynamoDBDocumentClient, tableName: string, sku: string): Promise<boolean> {
  const shard = productShard(sku);
  try {
    await client.send(
      new TransactWriteCommand({
        TransactItems: [
          {
            Update: {
              TableName: tableName,
              Key: keys.sku(sku),
              // `revision` counts every write, so a POST computed before this one recomputes; the writer
              // keeps the image pipeline's event filter from starting on a write that changes no image.
              UpdateExpression: 'SET #partition = :shard, #revision = #revision + :one, #writer = :writer',
              ConditionExpression: 'attribute_exists(pk) AND #partition = :legacy',
              ExpressionAttributeNames: {
                '#partition': TABLE_SCHEMA.listIndex.partitionKey,
                '#revision': 'revision',
                '#writer': 'writer',
              },
              ExpressionAttributeValues: {
                ':shard': productPartition(shard),
                ':legacy': LEGACY,
                ':one': 1,
                ':writer': WRITERS.migration,
              },
            },
          },
          counterUpdate(tableName, null, -1),
          counterUpdate(tableName, shard, 1),
        ],
      }),
    );
    return true;
  } catch (error) {
    if (cancelledByCondition(error)) return false;
    throw error;
  }
}

function counterUpdate(tableName: string, shard: number | null, delta: number) {
  return {
    Update: {
      TableName: tableName,
      Key: keys.productCounter(shard),
      UpdateExpression: 'ADD #value :delta',
      ExpressionAttributeNames: { '#value': 'value' },
      ExpressionAttributeValues: { ':delta': delta },
    },
  };
}

/**
 * Moves every product of a table written before shards existed (list partition `PRODUCTS`, counter
 * `COUNTER#products`) to the sharded layout, while the API keeps serving: reads merge both layouts and
 * writes keep each item in the layout its counter counts it in. Idempotent and resumable: it works
 * through what is left in the unsharded partition, pass after pass, until a pass moves nothing.
 */
export async function migrateToShardedLayout(
  client: DynamoDBDocumentClient,
  tableName: string,
  options: { pageSize?: number; concurrency?: number; onProgress?: (report: MigrationReport) => void } = {},
): Promise<MigrationReport> {
  const report: MigrationReport = { moved: 0, skipped: 0, leftInLegacyLayout: 0 };
  for (;;) {
    let movedThisPass = 0;
    let startKey: Record<string, unknown> | undefined;
    do {
      const page = await client.send(
        new QueryCommand({
          TableName: tableName,
          IndexName: TABLE_SCHEMA.listIndex.name,
          KeyConditionExpression: '#partition = :legacy',
          ExpressionAttributeNames: { '#partition': TABLE_SCHEMA.listIndex.partitionKey },
          ExpressionAttributeValues: { ':legacy': LEGACY },
          Limit: options.pageSize ?? 100,
          ExclusiveStartKey: startKey,
        }),
      );
      const skus = (page.Items ?? []).map((item) => String(item[TABLE_SCHEMA.listIndex.sortKey]));
      const outcomes = await mapWithConcurrency(skus, options.concurrency ?? 8, (sku) =>
        moveProduct(client, tableName, sku),
      );
      for (const moved of outcomes) {
        if (moved) movedThisPass++;
        else report.skipped++;
      }
      report.moved += outcomes.filter(Boolean).length;
      options.onProgress?.(report);
      startKey = page.LastEvaluatedKey;
    } while (startKey);
    if (movedThisPass === 0) break;
  }
  const legacyCounter = await readItem(client, tableName, keys.productCounter(null));
  report.leftInLegacyLayout = Number(legacyCounter?.value ?? 0);
  return report;
}
