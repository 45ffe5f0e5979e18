import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { TableEntry, TableWalk } from '../../rerender/rerender';
import { scanEvery } from './client';
import { type ContentItem, toRecord } from './content-store';
import { toImageSet } from './product-listing';
import { contentOfKey, ITEM_PREFIXES, skuOfKey } from './table-schema';

/**
 * Every SKU and content item of the table, one Scan page at a time (other items are skipped by the
 * filter). For operators' batch jobs only: the API and the pipeline never scan.
 */
export class DynamoTableWalk implements TableWalk {
  constructor(
    private readonly client: DynamoDBDocumentClient,
    private readonly tableName: string,
  ) {}

  async *entries(): AsyncIterable<TableEntry> {
    const items = scanEvery(this.client, {
      TableName: this.tableName,
      FilterExpression: 'begins_with(pk, :sku) OR begins_with(pk, :content)',
      ExpressionAttributeValues: { ':sku': ITEM_PREFIXES.sku, ':content': ITEM_PREFIXES.content },
    });
    for await (const item of items) {
      const pk = String(item.pk);
      const sha256 = contentOfKey(pk);
      if (sha256) yield { kind: 'content', record: toRecord(sha256, item as ContentItem) };
      else if (skuOfKey(pk) !== null) {
        const announced = item.announcedVersion;
        yield {
          kind: 'set',
          set: toImageSet(item),
          announcedVersion: typeof announced === 'string' ? announced : null,
        };
      }
    }
  }
}
