export const IMAGE_TYPES = ['default', 'swatch'] as const;
export type ImageType = (typeof IMAGE_TYPES)[number];

import { type TileAspect, tileHeight } from './storefront-slots';
import { contentKeys, SWATCH_VIEW, type Variant, type VariantFormat } from './variant-ladder';

/**
 * One tile set of an image as stored: a few bytes whatever its rungs and formats (the formats are the
 * variants'), since every per-image field counts against the SKU item's 400 KB.
 */
export interface TileSetFacts {
  /** `1:1` */
  aspect: string;
  /** Its name in keys: aspect and fill (`1x1f90`). */
  set: string;
  /** Ascending. */
  widths: number[];
}

export type ImageStatus = 'pending' | 'ready' | 'failed';

/** One image as the client asked for it, after validation and defaults. */
export interface RequestedImage {
  url: string;
  order: number;
  image_type: ImageType;
}

/** Facts the image pipeline recorded about our copy of an image. */
export interface ImageCopy {
  status: ImageStatus;
  /** Where the copy lives in the CDN origin; its public URL is built at read time (`publicUrl`). */
  object_key?: string;
  /** Items written before keys were stored hold the whole URL; its path is the key. */
  cdn_url?: string;
  error?: string;
  width?: number;
  height?: number;
  bytes?: number;
  content_type?: string;
  /** SHA-256 of the original's bytes; the key of its stored objects. */
  content_sha256?: string;
  /**
   * A hash the image recorded before (its URL served other bytes at an earlier attempt) and has yet to
   * let go of; internal, never shown in answers.
   */
  previous_sha256?: string;
  /** ThumbHash (base64) and dominant colour (`#rrggbb`) of the image, for placeholders. */
  thumbhash?: string;
  dominant_color?: string;
  /** The renditions, largest first; their URLs are built at read time. */
  variants?: Variant[];
  /** Grid tiles; listed for images that are not swatches. */
  tiles?: TileSetFacts[];
  /** Square swatch rungs; a swatch image's `variants` and `?width=N` are these. */
  swatches?: number[];
  /** Transient copy failures so far; internal, never shown in answers. */
  attempts?: number;
}

/** One image as it is stored inside its SKU's item. */
export interface StoredImage extends RequestedImage, ImageCopy {
  id: number;
  /** When the POST that added this URL was handled (ISO 8601); internal, never shown in answers. */
  requested_at?: string;
}

/**
 * The whole image set of one SKU. `version` is the opaque token behind its ETag: it changes only when a
 * POST changes the set. `revision` counts every write to the item, the pipeline's status writes too, so
 * a POST computed from an older read never overwrites what the pipeline recorded since.
 */
export interface ImageSet {
  sku: string;
  version: string;
  revision: number;
  images: StoredImage[];
}

/** One image as an API answer shows it. */
export interface ImageView {
  id: number;
  url: string;
  order: number;
  image_type: ImageType;
  status: ImageStatus;
  cdn_url: string | null;
  error: string | null;
  width: number | null;
  height: number | null;
  bytes: number | null;
  content_type: string | null;
  content_sha256: string | null;
  thumbhash: string | null;
  dominant_color: string | null;
  variants: VariantView[];
  tiles: TileView[];
}

/** One grid tile as answers show it: what `cdn_url?width=N&height=M` serves. */
export interface TileView {
  aspect: string;
  width: number;
  height: number;
  format: VariantFormat;
  url: string;
}

export interface VariantView {
  width: number;
  height: number;
  format: VariantFormat;
  url: string;
}

export interface ProductView {
  product_sku: string;
  images: ImageView[];
}

/** The public address of a copy: the CDN base URL as configured now, and the object's key. */
export function publicUrl(cdnBaseUrl: string, key: string): string {
  return `${cdnBaseUrl.replace(/\/+$/, '')}/${key}`;
}

/**
 * The copy's key: stored as such, or read back from a whole URL stored by an earlier version. Building
 * the URL at read time means a CDN domain set after launch applies to every image at once.
 */
export function copyKey(image: ImageCopy): string | null {
  if (image.object_key) return image.object_key;
  if (!image.cdn_url) return null;
  try {
    return new URL(image.cdn_url).pathname.replace(/^\/+/, '');
  } catch {
    return null;
  }
}

/** How answers show images: `cdn_url` is built on the CDN base URL the API runs with. */
export interface ViewOptions {
  cdnBaseUrl: string;
}

function aspectOf(name: string): TileAspect {
  const [width = 1, height = 1] = name.split(':').map(Number);
  return { width, height };
}

/** The formats of an image's renditions, best first: its tiles and swatches have the same. */
function formatsOf(variants: readonly Variant[]): VariantFormat[] {
  return [...new Set(variants.map((variant) => variant.format))];
}

/**
 * What an image shows: a swatch (with swatch renditions) its swatch rungs as `variants` and a `cdn_url`
 * whose `?width=N` picks them; any other image its ladder and its tiles. Both are rendered for every
 * content, so a re-POST that changes `image_type` changes the answer at once, and every URL given
 * before keeps working.
 */
function renditionsOf(image: StoredImage, key: string, sha256: string, options: ViewOptions) {
  const variants = image.variants ?? [];
  const formats = formatsOf(variants);
  const url = (objectKey: string) => publicUrl(options.cdnBaseUrl, objectKey);
  if (image.image_type === 'swatch' && image.swatches && image.swatches.length > 0) {
    return {
      cdnUrl: url(`${key}/${SWATCH_VIEW}`),
      variants: [...image.swatches]
        .sort((a, b) => b - a)
        .flatMap((width) =>
          formats.map((format) => ({
            width,
            height: width,
            format,
            url: url(contentKeys.swatch(sha256, width, format)),
          })),
        ),
      tiles: [],
    };
  }
  return {
    cdnUrl: url(key),
    variants: variants.map((variant) => ({
      ...variant,
      url: url(contentKeys.variant(sha256, variant.width, variant.format)),
    })),
    tiles: (image.tiles ?? []).flatMap((tileSet) =>
      tileSet.widths.flatMap((width) =>
        formats.map((format) => ({
          aspect: tileSet.aspect,
          width,
          height: tileHeight(aspectOf(tileSet.aspect), width),
          format,
          url: url(contentKeys.tile(sha256, tileSet.set, width, format)),
        })),
      ),
    ),
  };
}

export function toImageView(image: StoredImage, options: ViewOptions): ImageView {
  const key = image.status === 'ready' ? copyKey(image) : null;
  const shown =
    key !== null && image.content_sha256 ? renditionsOf(image, key, image.content_sha256, options) : null;
  return {
    id: image.id,
    url: image.url,
    order: image.order,
    image_type: image.image_type,
    status: image.status,
    cdn_url: key === null ? null : (shown?.cdnUrl ?? publicUrl(options.cdnBaseUrl, key)),
    error: image.error ?? null,
    width: image.width ?? null,
    height: image.height ?? null,
    bytes: image.bytes ?? null,
    content_type: image.content_type ?? null,
    content_sha256: image.content_sha256 ?? null,
    thumbhash: image.thumbhash ?? null,
    dominant_color: image.dominant_color ?? null,
    variants: shown?.variants ?? [],
    tiles: shown?.tiles ?? [],
  };
}

export function toProductView(
  sku: string,
  images: readonly StoredImage[],
  options: ViewOptions,
): ProductView {
  return { product_sku: sku, images: images.map((image) => toImageView(image, options)) };
}

/** The answer order: by `order`, then by `id`. */
export function compareImages(a: StoredImage, b: StoredImage): number {
  return a.order - b.order || a.id - b.id;
}

/** DynamoDB orders string keys by their UTF-8 bytes; listings and models must agree with it. */
export function compareSkus(a: string, b: string): number {
  return Buffer.compare(Buffer.from(a, 'utf8'), Buffer.from(b, 'utf8'));
}
