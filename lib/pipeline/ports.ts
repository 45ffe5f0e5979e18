import type { Readable } from 'node:stream';
import type { ImageCopy, ImageSet } from '../domain/image';
import type { OpenedImage } from './image-fetcher';

/** The CDN origin: one object per image. */
export interface ImageObjectStore {
  /** Streams `body` to `key`; fails when the body fails (too large, not an image, timed out). */
  put(key: string, body: Readable, contentType: string): Promise<void>;
  /** Deleting a missing object succeeds. */
  delete(key: string): Promise<void>;
}

/** What the pipeline records on one image of a SKU item. */
export type ImageProgress = ImageCopy;

export interface ImageStatusStore {
  find(sku: string): Promise<ImageSet | null>;
  /**
   * Records progress on the image with that id, wherever it now sits in the set, without touching the
   * set's version (its ETag). Answers false, changing nothing, when the image is no longer in the set.
   * `lastRead` is a recent read of the set, which saves a read when the image has not moved since.
   */
  record(sku: string, imageId: number, progress: ImageProgress, lastRead?: ImageSet | null): Promise<boolean>;
}

/** Where the details of images that failed for good after every retry are kept for a person to look at. */
export interface DeadLetterSink {
  send(entry: DeadLetter): Promise<void>;
}

export interface DeadLetter {
  sku: string;
  imageId: number;
  url: string;
  reason: string;
  attempts: number;
  sequenceNumber: string;
  failedAt: string;
}

export type ImageOpener = (url: string) => Promise<OpenedImage>;
