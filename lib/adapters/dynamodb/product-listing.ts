import { BatchGetCommand, type DynamoDBDocumentClient, QueryCommand } from '@aws-sdk/lib-dynamodb';
import { compareSkus, type ImageSet, type StoredImage } from '../../domain/image';
import type { ListPosition, ProductListing } from '../../domain/ports';
import { keys, PRODUCT_PARTITIONS, productPartition, TABLE_SCHEMA } from './table-schema';

const MAX_BATCH_GET_ATTEMPTS = 5;
/** Keys one Query asks for while skipping by offset; a page of keys is a few hundred bytes. */
const OFFSET_CHUNK = 1000;

type Item = Record<string, unknown>;

export function toImageSet(item: Item): ImageSet {
  return {
    sku: String(item.sku),
    version: String(item.version),
    revision: Number(item.revision ?? 0),
    images: (item.images as StoredImage[] | undefined) ?? [],
  };
}

/** Every item of `keys`, read consistently; unprocessed keys are asked for again with jittered backoff. */
export async function batchGetAll(
  client: DynamoDBDocumentClient,
  tableName: string,
  itemKeys: readonly Item[],
): Promise<Item[]> {
  const found: Item[] = [];
  let pending = [...itemKeys];
  for (let attempt = 0; pending.length > 0; attempt++) {
    if (attempt >= MAX_BATCH_GET_ATTEMPTS) {
      throw Object.assign(new Error('BatchGetItem left keys unprocessed'), { name: 'ThrottlingException' });
    }
    if (attempt > 0) await new Promise((resolve) => setTimeout(resolve, Math.random() * 20 * 2 ** attempt));
    const result = await client.send(
      new BatchGetCommand({ RequestItems: { [tableName]: { Keys: pending, ConsistentRead: true } } }),
    );
    found.push(...(result.Responses?.[tableName] ?? []));
    pending = (result.UnprocessedKeys?.[tableName]?.Keys as Item[] | undefined) ?? [];
  }
  return found;
}

/** The SKUs of one list-index partition, in order from a bound, read a Query page at a time. */
class PartitionKeys {
  private buffer: string[] = [];
  private startKey: Item | undefined;
  private exhausted = false;

  constructor(
    private readonly client: DynamoDBDocumentClient,
    private readonly tableName: string,
    private readonly partition: string,
    private readonly bound: { comparison: '>' | '<'; sku: string } | null,
    private readonly descending: boolean,
  ) {}

  get head(): string | undefined {
    return this.buffer[0];
  }

  get drained(): boolean {
    return this.buffer.length === 0 && this.exhausted;
  }

  get needsFetch(): boolean {
    return this.buffer.length === 0 && !this.exhausted;
  }

  take(): string | undefined {
    return this.buffer.shift();
  }

  async fetch(limit: number): Promise<void> {
    const names: Record<string, string> = { '#partition': TABLE_SCHEMA.listIndex.partitionKey };
    const values: Item = { ':partition': this.partition };
    let condition = '#partition = :partition';
    if (this.bound) {
      names['#sku'] = TABLE_SCHEMA.listIndex.sortKey;
      values[':bound'] = this.bound.sku;
      condition += ` AND #sku ${this.bound.comparison} :bound`;
    }
    const page = await this.client.send(
      new QueryCommand({
        TableName: this.tableName,
        IndexName: TABLE_SCHEMA.listIndex.name,
        KeyConditionExpression: condition,
        ExpressionAttributeNames: names,
        ExpressionAttributeValues: values,
        ScanIndexForward: !this.descending,
        Limit: limit,
        ExclusiveStartKey: this.startKey,
      }),
    );
    for (const item of page.Items ?? []) this.buffer.push(String(item[TABLE_SCHEMA.listIndex.sortKey]));
    this.startKey = page.LastEvaluatedKey;
    this.exhausted = this.startKey === undefined;
  }
}

/**
 * The first `wanted` SKUs of the partitions merged in SKU order (or reverse order): a k-way merge that
 * asks a partition for more only when its buffered keys have run out.
 */
async function mergeKeys(streams: PartitionKeys[], wanted: number, chunk: number, descending: boolean) {
  const merged: string[] = [];
  while (merged.length < wanted) {
    const empty = streams.filter((stream) => stream.needsFetch);
    if (empty.length > 0) await Promise.all(empty.map((stream) => stream.fetch(chunk)));
    let best: PartitionKeys | undefined;
    for (const stream of streams) {
      const head = stream.head;
      if (head === undefined) continue;
      const order = best?.head === undefined ? -1 : compareSkus(head, best.head);
      if (!best || (descending ? order > 0 : order < 0)) best = stream;
    }
    const sku = best?.take();
    if (sku === undefined) break;
    merged.push(sku);
  }
  return merged;
}

/**
 * Product listing over the sharded list index. The count is the sum of the shard counters (and the
 * unsharded one), read in one consistent BatchGetItem. A keyset page (`after`/`before` a SKU) queries
 * each partition for at most `limit + 1` keys from that SKU and merges them: its cost does not depend on
 * its depth. An offset page merges the partitions from the start and skips `offset` keys.
 */
export async function listProducts(
  client: DynamoDBDocumentClient,
  tableName: string,
  position: ListPosition,
  limit: number,
): Promise<ProductListing> {
  const descending = 'before' in position;
  const bound =
    'after' in position
      ? { comparison: '>' as const, sku: position.after }
      : 'before' in position
        ? { comparison: '<' as const, sku: position.before }
        : null;
  const offset = 'offset' in position ? position.offset : 0;
  const wanted = offset + limit + 1;
  const streams = PRODUCT_PARTITIONS.map(
    (shard) => new PartitionKeys(client, tableName, productPartition(shard), bound, descending),
  );
  // Keyset: no partition can contribute more than `wanted` keys. Offset: about a fair share each, then more.
  const chunk = bound ? wanted : Math.min(OFFSET_CHUNK, Math.ceil(wanted / streams.length) + 16);
  const [count, merged] = await Promise.all([
    countProducts(client, tableName),
    mergeKeys(streams, wanted, chunk, descending),
  ]);
  const onPage = merged.slice(offset, offset + limit);
  const skus = descending ? onPage.reverse() : onPage;
  return { count, products: await readSets(client, tableName, skus), more: merged.length > offset + limit };
}

async function countProducts(client: DynamoDBDocumentClient, tableName: string): Promise<number> {
  const counters = await batchGetAll(client, tableName, PRODUCT_PARTITIONS.map(keys.productCounter));
  return Math.max(
    0,
    counters.reduce((sum, counter) => sum + Number(counter.value ?? 0), 0),
  );
}

async function readSets(client: DynamoDBDocumentClient, tableName: string, skus: readonly string[]) {
  if (skus.length === 0) return [];
  const found = new Map(
    (await batchGetAll(client, tableName, skus.map(keys.sku))).map((item) => [
      String(item.sku),
      toImageSet(item),
    ]),
  );
  // A SKU deleted between the index read and this one is simply absent from the page.
  return skus.flatMap((sku) => found.get(sku) ?? []);
}
