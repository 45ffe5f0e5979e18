import type { Readable } from 'node:stream';
import type { ImageCopy, ImageSet, TileSetFacts } from '../domain/image';
import type { RenditionKind, Variant } from '../domain/variant-ladder';
import type { Rendition } from '../rendering/rendition';
import type { NotModified, OpenedImage, Validators } from './image-fetcher';
import type { SettledDetail } from './settlement';

/** The CDN origin: originals and renditions keyed by content, and older copies keyed by image. */
export interface ImageObjectStore {
  /** Writes `body` to `key`; a stream fails the write when it fails (too large, not an image, timed out). */
  put(key: string, body: Readable | Buffer, contentType: string): Promise<void>;
  /** Deleting a missing object succeeds. */
  delete(key: string): Promise<void>;
  /** Deletes every object whose key starts with `prefix`. */
  deletePrefix(prefix: string): Promise<void>;
  /** The object's bytes; null when there is no such object. */
  get(key: string): Promise<Buffer | null>;
}

/** What rendering one content made: copied onto every image with those bytes. */
export interface ContentFacts {
  width: number;
  height: number;
  kind: RenditionKind;
  /**
   * The original's key, naming every rung rendered (`contentKeys.original`). Absent on contents
   * rendered before rungs were in the key: theirs is `contentKeys.legacyOriginal`.
   */
  original_key?: string;
  variants: Variant[];
  /** Grid tile sets (absent on contents rendered before tiles existed, and on animations). */
  tiles?: TileSetFacts[];
  /** Square swatch rungs, ascending (absent as for tiles). */
  swatches?: number[];
  /** The settings the tiles and swatches were rendered with (`slotSignature`). */
  slots?: string;
  /** Absent when no placeholder could be made (an original the renderer cannot decode). */
  thumbhash?: string;
  dominant_color?: string;
  bytes: number;
  content_type: string;
}

/** One content (distinct original bytes) as the table records it. */
export interface ContentRecord {
  sha256: string;
  /** Image ids that use it. */
  references: number[];
  facts: ContentFacts | null;
  /** Why rendering it failed for good; the same bytes always fail the same way. */
  renderError: string | null;
  /** Until when (epoch ms) one worker holds the right to render it. */
  leaseUntil: number | null;
  /** When (epoch ms) its last reference went: no reference may be added until its objects are gone. */
  deletingSince: number | null;
}

/**
 * Reference counts of contents, by the set of image ids using each. Adding or removing an id twice
 * changes nothing, so retried records cannot skew a count.
 */
export interface ContentStore {
  /** Adds the reference; null (adding nothing) while the content is being deleted. */
  acquire(sha256: string, imageId: number): Promise<ContentRecord | null>;
  find(sha256: string): Promise<ContentRecord | null>;
  /**
   * Takes the render lease if nobody rendered it and no live lease is held, or the live lease is
   * `holder`'s own (an image's retry after its worker crashed mid-render takes its lease back).
   */
  claimRender(sha256: string, now: number, leaseMs: number, holder?: string): Promise<boolean>;
  completeRender(sha256: string, facts: ContentFacts): Promise<void>;
  failRender(sha256: string, reason: string): Promise<void>;
  /**
   * Replaces the facts of a rendered content with `facts` (more rungs, a new original key), only while
   * its original key is still `previousKey` (null: the legacy key) and it is referenced and not being
   * deleted. False, writing nothing, otherwise.
   */
  extendRender(sha256: string, previousKey: string | null, facts: ContentFacts): Promise<boolean>;
  dropLease(sha256: string): Promise<void>;
  /**
   * Removes the reference; the last one's removal marks the content for deletion in the same write, so
   * no content is ever left with no reference and no mark. Answers how many remain (0 also when the
   * content is unknown).
   */
  release(sha256: string, imageId: number): Promise<number>;
  /** Contents whose deletion began before `before` (epoch ms): left by a worker that stopped. */
  deletionsBefore(before: number): AsyncIterable<string>;
  /** Marks an unreferenced content for deletion; false when a reference exists or it is gone. */
  beginDeletion(sha256: string, now: number): Promise<boolean>;
  /** Forgets a content marked for deletion, once its objects are gone. */
  finishDeletion(sha256: string): Promise<void>;
}

/** Renders the ladder of one original (sharp in production; see lib/rendering). */
export type ImageRenderer = (bytes: Buffer) => Promise<Rendition>;

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
  /**
   * `record`, only while the image is `ready` with `expectedSha256` as its content hash (null: none
   * recorded yet). `npm run rerender` writes with it, so it never overwrites what a POST or the pipeline
   * wrote since it read the image. False, writing nothing, when the image is gone or has changed.
   */
  recordIfUnchanged(
    sku: string,
    imageId: number,
    expectedSha256: string | null,
    progress: ImageProgress,
  ): Promise<boolean>;
  /**
   * `record`, only while the image is still `pending` exactly as `from` says (its attempts so far and
   * the content hash it recorded): every status write of a job, the sweeper and the dead-job consumer
   * goes through it, so none can turn `ready` or `failed` back, nor act on what another wrote since
   * it read the image. False, writing nothing, when the image is gone or has moved on.
   */
  advance(
    sku: string,
    imageId: number,
    from: PendingState,
    progress: ImageProgress,
    lastRead?: ImageSet | null,
  ): Promise<boolean>;
  /** Marks `version` announced if it is still current and was not announced before (see settlement.ts). */
  markAnnounced(sku: string, version: string): Promise<boolean>;
}

/** What a writer read of a pending image, and expects to replace: its attempts and recorded hash. */
export interface PendingState {
  attempts: number;
  sha256: string | null;
  /** A hash recorded before and not let go of yet (`previous_sha256`); not part of the comparison. */
  previous?: string | null;
}

/** The state a pending image is in now, as `advance` compares it. */
export function pendingStateOf(image: {
  attempts?: number;
  content_sha256?: string;
  previous_sha256?: string;
}): PendingState {
  return {
    attempts: image.attempts ?? 0,
    sha256: image.content_sha256 ?? null,
    previous: image.previous_sha256 ?? null,
  };
}

/** Whether `image` is pending exactly as `from` says. */
export function isPendingAs(
  image: { status: string; attempts?: number; content_sha256?: string } | undefined,
  from: PendingState,
): boolean {
  if (image?.status !== 'pending') return false;
  const now = pendingStateOf(image);
  return now.attempts === from.attempts && now.sha256 === from.sha256;
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
  /** The SQS message id of the image job that gave up. */
  jobId: string;
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

/**
 * Opens an image URL; with the validators of an earlier answer, asks the origin whether the bytes
 * changed since (a conditional GET), and answers `NotModified` when they did not.
 */
export type ImageOpener = (url: string, known?: Validators) => Promise<OpenedImage | NotModified>;

/** What the pipeline knows of an image URL it fetched before (for any SKU). */
export interface KnownUrl {
  url: string;
  /** The content it served last; null while its first download is in progress. */
  sha256: string | null;
  validators: Validators;
}

/**
 * Image URLs fetched before and what they served, so the same URL on many SKUs is downloaded once and
 * revalidated afterwards. The first download of a URL is leased: the other workers wait for it.
 */
export interface KnownUrlStore {
  find(url: string): Promise<KnownUrl | null>;
  /**
   * Takes the first download of a URL nobody knows yet for `holder` (the image); false while another
   * holder's lease runs. The same image's retry takes its own lease over (its worker may have crashed).
   */
  claimFirstFetch(url: string, holder: string, now: number, leaseMs: number): Promise<boolean>;
  /** Records what the URL served (and lets go of the lease). */
  remember(url: string, sha256: string, validators: Validators): Promise<void>;
  /** Lets go of the lease without a content: the download failed, the next worker tries. */
  releaseFirstFetch(url: string): Promise<void>;
}
