import { createHash } from 'node:crypto';
import type { ImageCopy, StoredImage } from '../domain/image';
import { DEFAULT_SLOT_SIGNATURE } from '../domain/storefront-slots';
import { ladderFor, rungsOf } from '../domain/variant-ladder';
import { readyProgress } from '../pipeline/content-publisher';
import { legacyCopyKey } from '../pipeline/object-key';
import type { ContentFacts } from '../pipeline/ports';

/**
 * What `npm run rerender` does for one image, decided from the image and its content alone:
 * - `move`: a copy made before renditions existed (`products/<sku>/<id>`): hash it, store and render it
 *   by content, point the image at it, delete the old object.
 * - `extend`: its content was rendered with an older ladder or rule: render the rungs it lacks, then
 *   point the image at the original's new key.
 * - `refresh`: its content is current but the image still shows older facts.
 */
export type RerenderAction = 'move' | 'extend' | 'refresh';

export interface RerenderTask {
  action: RerenderAction;
  sku: string;
  imageId: number;
  /** The hash the image holds now (null: none yet); writes happen only while it still holds it. */
  sha256: string | null;
}

/** The rungs the ladder `widths` gives an original of these facts that it was not rendered to. */
export function missingRungs(facts: ContentFacts, widths: readonly number[]): number[] {
  if (facts.kind === 'original') return [];
  const rendered = new Set(rungsOf(facts.variants));
  return ladderFor(facts.width, widths).filter((width) => !rendered.has(width));
}

/**
 * Whether a still's tiles and swatches are missing or were rendered with other settings than `slots`
 * (`slotSignature` of the settings in force). Animations and unrendered originals have none.
 */
export function slotsStale(facts: ContentFacts, slots: string): boolean {
  return (facts.kind === 'jpeg' || facts.kind === 'png') && facts.slots !== slots;
}

/**
 * A content is current when it has every rung of the ladder, its tiles and swatches are of the settings
 * in force, and its original's key names them.
 */
export function contentIsCurrent(
  facts: ContentFacts,
  widths: readonly number[],
  slots: string = DEFAULT_SLOT_SIGNATURE,
): boolean {
  return (
    missingRungs(facts, widths).length === 0 &&
    !slotsStale(facts, slots) &&
    (facts.kind === 'original' || Boolean(facts.original_key))
  );
}

/** What planning keeps of one content: a few dozen bytes, so a catalogue of millions fits in memory. */
export interface ContentSummary {
  current: boolean;
  /** The digest of what an image `ready` on it records (see `readySignature`). */
  signature: string;
}

/** A digest of the fields a `ready` image copies from its content: equal when the image is up to date. */
export function readySignature(copy: ImageCopy): string {
  const shown = [
    copy.object_key,
    copy.width,
    copy.height,
    copy.variants ?? [],
    copy.tiles ?? [],
    copy.swatches ?? [],
    copy.thumbhash,
    copy.dominant_color,
  ];
  return createHash('sha256').update(JSON.stringify(shown)).digest('base64url').slice(0, 22);
}

export function summarizeContent(
  sha256: string,
  facts: ContentFacts,
  widths: readonly number[],
  slots: string = DEFAULT_SLOT_SIGNATURE,
): ContentSummary {
  return {
    current: contentIsCurrent(facts, widths, slots),
    signature: readySignature(readyProgress(sha256, facts)),
  };
}

/** What planning keeps of one ready image until the walk has read every content: about 150 bytes. */
export interface ImageSummary {
  sku: string;
  imageId: number;
  sha256: string | null;
  /** Its copy still lives under `products/<sku>/<id>`. */
  legacy: boolean;
  signature: string;
}

/** The summary of a `ready` image; null for any other (pending and failed ones are the pipeline's). */
export function summarizeImage(sku: string, image: StoredImage): ImageSummary | null {
  if (image.status !== 'ready') return null;
  return {
    sku,
    imageId: image.id,
    sha256: image.content_sha256 ?? null,
    legacy: legacyCopyKey(image) !== null,
    signature: readySignature(image),
  };
}

/**
 * What to do for one ready image; null when nothing (already current). `content` summarizes its
 * content (null when the image has none, or its content has no facts yet: the pipeline's business).
 */
export function planImage(image: ImageSummary, content: ContentSummary | null): RerenderAction | null {
  // A move interrupted after the hash was recorded goes on where it stopped.
  if (image.legacy) return 'move';
  if (!image.sha256 || !content) return null;
  if (!content.current) return 'extend';
  return image.signature === content.signature ? null : 'refresh';
}
