import { type DynamoDBDocumentClient, ScanCommand } from '@aws-sdk/lib-dynamodb';
import type { AnnouncedSet, AnnouncedSets } from '../../events/resend';
import { everyItem, readItem } from './client';
import { toImageSet } from './product-listing';
import { ITEM_PREFIXES, keys } from './table-schema';

const PAGE_SIZE = 100;

function announced(item: Record<string, unknown>): AnnouncedSet {
  return {
    set: toImageSet(item),
    announcedVersion: typeof item.announcedVersion === 'string' ? item.announcedVersion : null,
    announcedAt: typeof item.announcedAt === 'string' ? item.announcedAt : null,
  };
}

/** SKU items with their announcement, for an operator's re-send (a Scan only for `since`). */
export class DynamoAnnouncedSets implements AnnouncedSets {
  constructor(
    private readonly client: DynamoDBDocumentClient,
    private readonly tableName: string,
  ) {}

  async find(sku: string): Promise<AnnouncedSet | null> {
    const item = await readItem(this.client, this.tableName, keys.sku(sku));
    return item ? announced(item) : null;
  }

  async *since(isoTime: string): AsyncIterable<AnnouncedSet> {
    const items = everyItem((start) =>
      this.client.send(
        new ScanCommand({
          TableName: this.tableName,
          ExclusiveStartKey: start,
          Limit: PAGE_SIZE,
          FilterExpression: 'begins_with(pk, :sku) AND announcedAt >= :since',
          ExpressionAttributeValues: { ':sku': ITEM_PREFIXES.sku, ':since': isoTime },
        }),
      ),
    );
    for await (const item of items) yield announced(item);
  }
}
