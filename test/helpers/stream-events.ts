import { Readable } from 'node:stream';
import { marshall } from '@aws-sdk/util-dynamodb';
import type { DynamoDBRecord, DynamoDBStreamEvent, AttributeValue as LambdaAttributeValue } from 'aws-lambda';
import type { StoredImage } from '../../lib/domain/image';
import { CONTENT_TYPES } from '../../lib/formats/image-formats';
import { permanent, transient } from '../../lib/pipeline/fetch-errors';
import type { OpenedImage } from '../../lib/pipeline/image-fetcher';
import { ImageSniffer } from '../../lib/pipeline/image-format';

let sequence = 100;

export function image(id: number, extra: Partial<StoredImage> = {}): StoredImage {
  return {
    id,
    url: `https://img.example/${id}.png`,
    order: 0,
    image_type: 'default',
    status: 'pending',
    ...extra,
  };
}

/** Lambda's AttributeValue type and the SDK's describe the same JSON under different names. */
function itemImage(
  sku: string,
  images: StoredImage[],
  writer = 'api',
  extra: Record<string, unknown> = {},
): Record<string, LambdaAttributeValue> {
  const item = marshall(
    { pk: `SKU#${sku}`, sku, version: 'v', revision: 1, writer, images, ...extra },
    { removeUndefinedValues: true },
  );
  return item as unknown as Record<string, LambdaAttributeValue>;
}

/** A stream record as Lambda delivers it, for a SKU item going from `before` to `after` (null: removed). */
export function streamRecord(
  sku: string,
  before: StoredImage[] | null,
  after: StoredImage[] | null,
  writer = 'api',
): DynamoDBRecord {
  sequence++;
  return {
    eventID: `event-${sequence}`,
    eventName: after === null ? 'REMOVE' : before === null ? 'INSERT' : 'MODIFY',
    eventSource: 'aws:dynamodb',
    awsRegion: 'eu-west-1',
    dynamodb: {
      Keys: { pk: { S: `SKU#${sku}` } },
      SequenceNumber: String(sequence).padStart(21, '0'),
      ...(before ? { OldImage: itemImage(sku, before) } : {}),
      ...(after ? { NewImage: itemImage(sku, after, writer) } : {}),
      StreamViewType: 'NEW_AND_OLD_IMAGES',
    },
  };
}

/** The stream record of the write that marks a settled set's version `v` announced: the event's outbox. */
export function announcementRecord(sku: string, images: StoredImage[]): DynamoDBRecord {
  sequence++;
  return {
    eventID: `event-${sequence}`,
    eventName: 'MODIFY',
    eventSource: 'aws:dynamodb',
    awsRegion: 'eu-west-1',
    dynamodb: {
      Keys: { pk: { S: `SKU#${sku}` } },
      SequenceNumber: String(sequence).padStart(21, '0'),
      OldImage: itemImage(sku, images, 'pipeline'),
      NewImage: itemImage(sku, images, 'announcer', { announcedVersion: 'v' }),
      StreamViewType: 'NEW_AND_OLD_IMAGES',
    },
  };
}

export const streamEvent = (...records: DynamoDBRecord[]): DynamoDBStreamEvent => ({ Records: records });

/** An opened image from bytes in memory, as the fetcher would hand it over. */
export function openedFrom(bytes: Buffer): OpenedImage {
  // The fetcher's own sniffer, so sizes are read as they are in production.
  const sniffer = new ImageSniffer();
  sniffer.push(bytes);
  const format = sniffer.end();
  if (!format) throw permanent('not an image');
  const body = Readable.from([bytes]);
  return {
    format,
    contentType: CONTENT_TYPES[format],
    body,
    summary: () => ({ bytes: bytes.length, dimensions: sniffer.dimensions }),
    abort: () => body.destroy(),
  };
}

export const failingOpen = {
  permanent: (reason: string) => async () => {
    throw permanent(reason);
  },
  transient: (reason: string) => async () => {
    throw transient(reason);
  },
};
