import { type DynamoDBDocumentClient, TransactWriteCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import type { ImageSet, StoredImage } from '../../domain/image';
import {
  type ImageSetChange,
  type ImageSetRepository,
  type ListPosition,
  type ProductListing,
  VersionConflictError,
} from '../../domain/ports';
import { readItem, withStorageErrors } from './client';
import { listProducts, toImageSet } from './product-listing';
import {
  keys,
  pendingPartition,
  productPartition,
  productShard,
  TABLE_SCHEMA,
  WRITERS,
} from './table-schema';

const LEGACY = null;
const PENDING = TABLE_SCHEMA.pendingIndex;

function isConditionFailure(error: unknown): boolean {
  if (!(error instanceof Error)) return false;
  if (error.name === 'ConditionalCheckFailedException') return true;
  if (error.name !== 'TransactionCanceledException') return false;
  const reasons =
    (error as Error & { CancellationReasons?: Array<{ Code?: string }> }).CancellationReasons ?? [];
  return reasons.some(
    (reason) => reason.Code === 'ConditionalCheckFailed' || reason.Code === 'TransactionConflict',
  );
}

/**
 * One item per SKU holds its whole image set, so a replacement is a single conditional write. Creating
 * or deleting a SKU also moves the product counter of its shard, in the same transaction, which keeps
 * `count` exact; the shard comes from the SKU, so creations spread over `PRODUCT_SHARDS` counters and
 * list-index partitions and none of them is hot.
 */
export class DynamoImageSetRepository implements ImageSetRepository {
  constructor(
    private readonly client: DynamoDBDocumentClient,
    private readonly tableName: string,
  ) {}

  async find(sku: string): Promise<ImageSet | null> {
    const item = await readItem(this.client, this.tableName, keys.sku(sku));
    return item ? toImageSet(item) : null;
  }

  save(change: ImageSetChange): Promise<void> {
    return withStorageErrors(async () => {
      try {
        await this.write(change);
      } catch (error) {
        if (isConditionFailure(error)) throw new VersionConflictError();
        throw error;
      }
    });
  }

  listProducts(position: ListPosition, limit: number): Promise<ProductListing> {
    return withStorageErrors(() => listProducts(this.client, this.tableName, position, limit));
  }

  private async write({ sku, expectedRevision, next }: ImageSetChange): Promise<void> {
    if (next === null && expectedRevision === null) return;
    if (next !== null && expectedRevision !== null) return this.replace(sku, next, expectedRevision);
    if (next !== null) return this.create(sku, next);
    return this.remove(sku, expectedRevision ?? 0);
  }

  /**
   * The list-index keys are left as they are: an item keeps the partition its counter counts it in.
   * The pending-index keys are set by every write (the sweeper's clock starts again with each POST, as
   * its new images' jobs are enqueued now) and removed by the mark that announces the settled version:
   * a set whose stream record the pipeline gave up on, with nothing pending, is still found and
   * announced by the sweeper.
   */
  private async replace(sku: string, next: NextSet, expectedRevision: number): Promise<void> {
    const names: Record<string, string> = {
      '#version': 'version',
      '#revision': 'revision',
      '#writer': 'writer',
      '#images': 'images',
      '#updatedAt': 'updatedAt',
      '#pendingPk': PENDING.partitionKey,
      '#pendingSince': PENDING.sortKey,
      '#sweeps': 'sweeps',
    };
    const values: Record<string, unknown> = {
      ':version': next.version,
      ':revision': expectedRevision + 1,
      ':writer': WRITERS.api,
      ':images': next.images,
      ':now': new Date().toISOString(),
      ':expected': expectedRevision,
      ':pendingPk': pendingPartition(productShard(sku)),
      ':zero': 0,
    };
    const update =
      'SET #version = :version, #revision = :revision, #writer = :writer, #images = :images, #updatedAt = :now, #pendingPk = :pendingPk, #pendingSince = :now, #sweeps = :zero';
    await this.client.send(
      new UpdateCommand({
        TableName: this.tableName,
        Key: keys.sku(sku),
        UpdateExpression: update,
        ConditionExpression: '#revision = :expected',
        ExpressionAttributeNames: names,
        ExpressionAttributeValues: values,
      }),
    );
  }

  private async create(sku: string, next: NextSet): Promise<void> {
    const shard = productShard(sku);
    const now = new Date().toISOString();
    const item = {
      ...keys.sku(sku),
      sku,
      version: next.version,
      revision: 1,
      writer: WRITERS.api,
      images: next.images,
      updatedAt: now,
      [TABLE_SCHEMA.listIndex.partitionKey]: productPartition(shard),
      [TABLE_SCHEMA.listIndex.sortKey]: sku,
      // Listed until its version is announced, pending images or not (see `replace`).
      [PENDING.partitionKey]: pendingPartition(shard),
      [PENDING.sortKey]: now,
      sweeps: 0,
    };
    await this.client.send(
      new TransactWriteCommand({
        TransactItems: [
          { Put: { TableName: this.tableName, Item: item, ConditionExpression: 'attribute_not_exists(pk)' } },
          this.countUpdate(shard, 1),
        ],
      }),
    );
  }

  /**
   * Deletes the item and lowers the counter it is counted in: its shard's, or, for an item a migration
   * has not moved yet, the unsharded one. The partition is part of the condition, so the wrong guess
   * changes nothing and the other is tried.
   */
  private async remove(sku: string, expectedRevision: number): Promise<void> {
    for (const shard of [productShard(sku), LEGACY]) {
      try {
        await this.client.send(
          new TransactWriteCommand({
            TransactItems: [
              {
                Delete: {
                  TableName: this.tableName,
                  Key: keys.sku(sku),
                  ConditionExpression: '#revision = :expected AND #partition = :partition',
                  ExpressionAttributeNames: {
                    '#revision': 'revision',
                    '#partition': TABLE_SCHEMA.listIndex.partitionKey,
                  },
                  ExpressionAttributeValues: {
                    ':expected': expectedRevision,
                    ':partition': productPartition(shard),
                  },
                },
              },
              this.countUpdate(shard, -1),
            ],
          }),
        );
        return;
      } catch (error) {
        if (shard === LEGACY || !isConditionFailure(error)) throw error;
      }
    }
  }

  private countUpdate(shard: number | null, delta: number) {
    return {
      Update: {
        TableName: this.tableName,
        Key: keys.productCounter(shard),
        UpdateExpression: 'ADD #value :delta',
        ExpressionAttributeNames: { '#value': 'value' },
        ExpressionAttributeValues: { ':delta': delta },
      },
    };
  }
}

type NextSet = { version: string; images: StoredImage[] };
