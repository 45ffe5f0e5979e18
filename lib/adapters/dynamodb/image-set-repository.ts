import {
  BatchGetCommand,
  type DynamoDBDocumentClient,
  PutCommand,
  QueryCommand,
  TransactWriteCommand,
} from '@aws-sdk/lib-dynamodb';
import type { ImageSet, StoredImage } from '../../domain/image';
import { type ImageSetChange, type ImageSetRepository, VersionConflictError } from '../../domain/ports';
import { readItem, withStorageErrors } from './client';
import { keys, LIST_PARTITION, TABLE_SCHEMA, WRITERS } from './table-schema';

interface SkuItem {
  pk: string;
  sku: string;
  version: string;
  revision: number;
  /** Who wrote last: the API (the set changed) or the pipeline (a status changed). */
  writer: typeof WRITERS.api;
  images: StoredImage[];
  updatedAt: string;
  listPk: string;
  listSk: string;
}

const MAX_BATCH_GET_ATTEMPTS = 5;

function toImageSet(item: Record<string, unknown>): ImageSet {
  const sku = item as unknown as SkuItem;
  return {
    sku: sku.sku,
    version: sku.version,
    revision: Number(sku.revision ?? 0),
    images: sku.images ?? [],
  };
}

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
 * or deleting a SKU also moves the product counter, in the same transaction, which keeps `count` exact.
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

  private async write({ sku, expectedRevision, next }: ImageSetChange): Promise<void> {
    const TableName = this.tableName;
    const Key = keys.sku(sku);
    if (next === null && expectedRevision === null) return;
    const unchangedSince = {
      ConditionExpression: '#revision = :expected',
      ExpressionAttributeNames: { '#revision': 'revision' },
      ExpressionAttributeValues: { ':expected': expectedRevision },
    };
    if (next !== null && expectedRevision !== null) {
      await this.client.send(
        new PutCommand({ TableName, Item: this.item(sku, next, expectedRevision + 1), ...unchangedSince }),
      );
      return;
    }
    const countDelta = next === null ? -1 : 1;
    const itemWrite =
      next === null
        ? { Delete: { TableName, Key, ...unchangedSince } }
        : {
            Put: {
              TableName,
              Item: this.item(sku, next, 1),
              ConditionExpression: 'attribute_not_exists(pk)',
            },
          };
    await this.client.send(
      new TransactWriteCommand({
        TransactItems: [
          itemWrite,
          {
            Update: {
              TableName,
              Key: keys.productCounter,
              UpdateExpression: 'ADD #value :delta',
              ExpressionAttributeNames: { '#value': 'value' },
              ExpressionAttributeValues: { ':delta': countDelta },
            },
          },
        ],
      }),
    );
  }

  private item(sku: string, next: { version: string; images: StoredImage[] }, revision: number): SkuItem {
    return {
      ...keys.sku(sku),
      sku,
      version: next.version,
      revision,
      writer: WRITERS.api,
      images: next.images,
      updatedAt: new Date().toISOString(),
      listPk: LIST_PARTITION.products,
      listSk: sku,
    };
  }

  listProducts(offset: number, limit: number): Promise<{ count: number; products: ImageSet[] }> {
    return withStorageErrors(async () => {
      const [count, skus] = await Promise.all([this.countProducts(), this.skusInOrder(offset, limit)]);
      return { count, products: await this.readSkus(skus) };
    });
  }

  private async countProducts(): Promise<number> {
    const item = await readItem(this.client, this.tableName, keys.productCounter);
    return Math.max(0, Number(item?.value ?? 0));
  }

  /** Walks the keys-only index: a deep page reads the keys it skips, never the items. */
  private async skusInOrder(offset: number, limit: number): Promise<string[]> {
    const wanted = offset + limit;
    const skus: string[] = [];
    let startKey: Record<string, unknown> | undefined;
    do {
      const page = await this.client.send(
        new QueryCommand({
          TableName: this.tableName,
          IndexName: TABLE_SCHEMA.listIndex.name,
          KeyConditionExpression: '#listPk = :products',
          ExpressionAttributeNames: { '#listPk': TABLE_SCHEMA.listIndex.partitionKey },
          ExpressionAttributeValues: { ':products': LIST_PARTITION.products },
          Limit: wanted - skus.length,
          ExclusiveStartKey: startKey,
        }),
      );
      for (const item of page.Items ?? []) skus.push(String(item[TABLE_SCHEMA.listIndex.sortKey]));
      startKey = page.LastEvaluatedKey;
    } while (startKey && skus.length < wanted);
    return skus.slice(offset, wanted);
  }

  private async readSkus(skus: readonly string[]): Promise<ImageSet[]> {
    if (skus.length === 0) return [];
    const found = new Map<string, ImageSet>();
    let pending: Record<string, unknown>[] = skus.map((sku) => keys.sku(sku));
    for (let attempt = 0; pending.length > 0; attempt++) {
      if (attempt >= MAX_BATCH_GET_ATTEMPTS) {
        throw Object.assign(new Error('BatchGetItem left keys unprocessed'), { name: 'ThrottlingException' });
      }
      if (attempt > 0) await new Promise((resolve) => setTimeout(resolve, Math.random() * 20 * 2 ** attempt));
      const result = await this.client.send(
        new BatchGetCommand({
          RequestItems: { [this.tableName]: { Keys: pending, ConsistentRead: true } },
        }),
      );
      for (const item of result.Responses?.[this.tableName] ?? []) {
        const set = toImageSet(item);
        found.set(set.sku, set);
      }
      pending = result.UnprocessedKeys?.[this.tableName]?.Keys ?? [];
    }
    // A SKU deleted between the index read and this one is simply absent from the page.
    return skus.flatMap((sku) => found.get(sku) ?? []);
  }
}
