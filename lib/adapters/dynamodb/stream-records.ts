import type { AttributeValue } from '@aws-sdk/client-dynamodb';
import { unmarshall } from '@aws-sdk/util-dynamodb';
import type { DynamoDBRecord } from 'aws-lambda';
import type { StoredImage } from '../../domain/image';
import type { ImageSetChangeRecord } from '../../pipeline/changes';
import { skuOfKey } from './table-schema';

type Image = Record<string, AttributeValue> | undefined;

function imagesOf(image: Image): StoredImage[] {
  if (!image) return [];
  const item = unmarshall(image) as { images?: StoredImage[] };
  return item.images ?? [];
}

/** A stream record of a SKU item as a change record; null for the table's other items (keys, counters). */
export function toChangeRecord(record: DynamoDBRecord): ImageSetChangeRecord | null {
  const sku = skuOfKey(record.dynamodb?.Keys?.pk?.S ?? '');
  const sequenceNumber = record.dynamodb?.SequenceNumber;
  if (sku === null || !sequenceNumber) return null;
  return {
    sequenceNumber,
    sku,
    before: imagesOf(record.dynamodb?.OldImage as Image),
    after: record.eventName === 'REMOVE' ? [] : imagesOf(record.dynamodb?.NewImage as Image),
  };
}
