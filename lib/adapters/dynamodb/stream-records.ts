import type { AttributeValue } from '@aws-sdk/client-dynamodb';
import { unmarshall } from '@aws-sdk/util-dynamodb';
import type { DynamoDBRecord } from 'aws-lambda';
import type { StoredImage } from '../../domain/image';
import type { ImageSetChangeRecord } from '../../pipeline/changes';
import { toImageSet } from './product-listing';
import { skuOfKey, WRITERS } from './table-schema';

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
  const newImage = record.eventName === 'REMOVE' ? undefined : (record.dynamodb?.NewImage as Image);
  const change: ImageSetChangeRecord = {
    sequenceNumber,
    sku,
    before: imagesOf(record.dynamodb?.OldImage as Image),
    after: imagesOf(newImage),
  };
  const announced = announcedSet(newImage, record.dynamodb?.OldImage as Image);
  return announced ? { ...change, announced } : change;
}

/** The set a write marked announced: written by the announcer, with a version not announced before. */
function announcedSet(newImage: Image, oldImage: Image) {
  if (!newImage) return undefined;
  const item = unmarshall(newImage);
  const before = oldImage ? unmarshall(oldImage).announcedVersion : undefined;
  if (item.writer !== WRITERS.announcer || item.announcedVersion !== item.version) return undefined;
  if (before === item.announcedVersion) return undefined;
  return toImageSet(item);
}
