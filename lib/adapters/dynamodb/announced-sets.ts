import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { AnnouncedSet, AnnouncedSets } from '../../events/resend';
import { readItem, scanEvery } from './client';
import { toImageSet } from './product-listing';
import { ITEM_PREFIXES, keys } from './table-schema';

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
    const items = scanEvery(this.client, {
      TableName: this.tableName,
      FilterExpression: 'begins_with(pk, :sku) AND announcedAt >= :since',
      ExpressionAttributeValues: { ':sku': ITEM_PREFIXES.sku, ':since': isoTime },
    });
    for await (const item of items) yield announced(item);
  }
}
