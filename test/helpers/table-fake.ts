import { BatchGetCommand, QueryCommand } from '@aws-sdk/lib-dynamodb';
import type { AwsStub } from 'aws-sdk-client-mock';
import { keys, productPartition, productShard, TABLE_SCHEMA } from '../../lib/adapters/dynamodb/table-schema';
import { compareSkus } from '../../lib/domain/image';
import { storedItem } from './dynamo-mock';

type Item = Record<string, unknown>;
// biome-ignore lint/suspicious/noExplicitAny: aws-sdk-client-mock's stub types are generic over the client's own.
type DocumentStub = AwsStub<any, any, any>;

/**
 * The product items of a table, kept in memory and served through the document client mock as DynamoDB
 * would: `Query` on the list index (partition, `>`/`<` bound, direction, `Limit`, `ExclusiveStartKey`),
 * `BatchGetItem` of SKU and counter items. Writes go through its own methods,
 * laid out as the repository lays them out (the sharded layout, or the unsharded one with `legacy`).
 */
export class ProductTableFake {
  readonly items = new Map<string, Item>();
  readonly reads = { queries: 0, keysRead: 0 };

  constructor(
    ddb: DocumentStub,
    private readonly tableName = 'unit-test-table',
  ) {
    ddb.on(QueryCommand).callsFake((input) => this.query(input));
    ddb.on(BatchGetCommand).callsFake((input) => this.batchGet(input));
  }

  create(sku: string, options: { legacy?: boolean } = {}): void {
    if (this.items.has(keys.sku(sku).pk)) return;
    const shard = options.legacy ? null : productShard(sku);
    this.items.set(keys.sku(sku).pk, {
      ...storedItem(sku, 'v1', [{ id: 1, url: `https://e/${encodeURIComponent(sku)}` }]),
      listPk: productPartition(shard),
    });
    this.count(shard, 1);
  }

  remove(sku: string): void {
    const item = this.items.get(keys.sku(sku).pk);
    if (!item) return;
    this.items.delete(keys.sku(sku).pk);
    this.count(item.listPk === productPartition(null) ? null : productShard(sku), -1);
  }

  skus(): string[] {
    return [...this.items.values()]
      .filter((item) => 'listPk' in item)
      .map((item) => String(item.sku))
      .sort(compareSkus);
  }

  private count(shard: number | null, delta: number): void {
    const key = keys.productCounter(shard).pk;
    const value = Number(this.items.get(key)?.value ?? 0) + delta;
    this.items.set(key, { pk: key, value });
  }

  private query(input: {
    IndexName?: string;
    ExpressionAttributeValues: Record<string, string>;
    KeyConditionExpression: string;
    ScanIndexForward?: boolean;
    Limit?: number;
    ExclusiveStartKey?: Item;
  }) {
    this.reads.queries++;
    const partition = input.ExpressionAttributeValues[':partition'];
    const bound = input.ExpressionAttributeValues[':bound'];
    const comparison = /#sku ([<>]) :bound/.exec(input.KeyConditionExpression)?.[1];
    let entries = [...this.items.values()]
      .filter((item) => item.listPk === partition)
      .map((item) => String(item.listSk))
      .filter(
        (sku) =>
          bound === undefined ||
          (comparison === '>' ? compareSkus(sku, bound) > 0 : compareSkus(sku, bound) < 0),
      )
      .sort(compareSkus);
    if (input.ScanIndexForward === false) entries.reverse();
    const start = input.ExclusiveStartKey?.[TABLE_SCHEMA.listIndex.sortKey];
    if (start !== undefined) entries = entries.slice(entries.indexOf(String(start)) + 1);
    const page = entries.slice(0, input.Limit ?? entries.length);
    this.reads.keysRead += page.length;
    const last = page[page.length - 1];
    return {
      Items: page.map((sku) => ({ pk: keys.sku(sku).pk, listPk: partition, listSk: sku })),
      LastEvaluatedKey:
        page.length < entries.length && last !== undefined
          ? { pk: keys.sku(last).pk, listPk: partition, listSk: last }
          : undefined,
    };
  }

  private batchGet(input: { RequestItems: Record<string, { Keys: Array<{ pk: string }> }> }) {
    const request = input.RequestItems[this.tableName];
    const found = (request?.Keys ?? []).flatMap(({ pk }) => this.items.get(pk) ?? []);
    return { Responses: { [this.tableName]: found.reverse() } };
  }
}
