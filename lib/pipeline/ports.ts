import type { Readable } from 'node:stream';
import type { ImageCopy, ImageSet } from '../domain/image';
import type { OpenedImage } from './image-fetcher';
import type { SettledDetail } from './settlement';

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
  /** Marks `version` announced if it is still current and was not announced before (see settlement.ts). */
  markAnnounced(sku: string, version: string): Promise<boolean>;
}

/** Where what failed for good after every retry is kept for a person to look at. */
export interface DeadLetterSink {
  send(entry: DeadLetter): Promise<void>;
}

export type DeadLetter = ImageDeadLetter | SettledEventDeadLetter;

/** An image whose copy kept failing. */
export interface ImageDeadLetter {
  kind: 'image-copy-failed';
  sku: string;
  imageId: number;
  url: string;
  reason: string;
  attempts: number;
  sequenceNumber: string;
  failedAt: string;
}

/** A `ProductImagesSettled` event that could not be delivered after its retries. */
export interface SettledEventDeadLetter {
  kind: 'settled-event-undelivered';
  detail: SettledDetail;
  reason: string;
  failedAt: string;
}

/** Where `ProductImagesSettled` events go: EventBridge when deployed, a file locally. */
export interface SettledEventSink {
  publish(detail: SettledDetail): Promise<void>;
}

export type ImageOpener = (url: string) => Promise<OpenedImage>;
