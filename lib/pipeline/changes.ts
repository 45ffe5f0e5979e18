import type { ImageSet, StoredImage } from '../domain/image';

/** One stream record of a SKU item, reduced to what the pipeline needs. */
export interface ImageSetChangeRecord {
  /** The stream's sequence number: the record's identity in a partial batch failure. */
  sequenceNumber: string;
  sku: string;
  /** The images before the write; empty when the item is new. */
  before: readonly StoredImage[];
  /** The images after the write; empty when the item was removed. */
  after: readonly StoredImage[];
  /**
   * Set when the write marked a settled version announced: the set as marked (every image settled),
   * whose `ProductImagesSettled` event this record delivers.
   */
  announced?: ImageSet;
}

export interface RecordWork {
  /** Images whose ids the write introduced: their URLs are to be copied. */
  copy: StoredImage[];
  /** Images whose ids the write removed: their copies are to be deleted. */
  remove: StoredImage[];
}

/**
 * The work a change asks for, from ids alone: a pipeline status write keeps the same ids and so asks for
 * nothing, which keeps the pipeline from feeding on its own writes.
 */
export function workFor(record: ImageSetChangeRecord): RecordWork {
  const beforeIds = new Set(record.before.map((image) => image.id));
  const afterIds = new Set(record.after.map((image) => image.id));
  return {
    copy: record.after.filter((image) => !beforeIds.has(image.id)),
    remove: record.before.filter((image) => !afterIds.has(image.id)),
  };
}

/** Records grouped by SKU, each group in stream order, groups in order of their first record. */
export function groupBySku(records: readonly ImageSetChangeRecord[]): ImageSetChangeRecord[][] {
  const groups = new Map<string, ImageSetChangeRecord[]>();
  for (const record of records) {
    const group = groups.get(record.sku);
    if (group) group.push(record);
    else groups.set(record.sku, [record]);
  }
  return [...groups.values()];
}
