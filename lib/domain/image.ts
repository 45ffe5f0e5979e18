export const IMAGE_TYPES = ['default', 'swatch'] as const;
export type ImageType = (typeof IMAGE_TYPES)[number];

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
  cdn_url?: string;
  error?: string;
  width?: number;
  height?: number;
  bytes?: number;
  content_type?: string;
  /** Transient copy failures so far; internal, never shown in answers. */
  attempts?: number;
}

/** One image as it is stored inside its SKU's item. */
export interface StoredImage extends RequestedImage, ImageCopy {
  id: number;
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
}

export interface ProductView {
  product_sku: string;
  images: ImageView[];
}

export function toImageView(image: StoredImage): ImageView {
  return {
    id: image.id,
    url: image.url,
    order: image.order,
    image_type: image.image_type,
    status: image.status,
    cdn_url: image.cdn_url ?? null,
    error: image.error ?? null,
    width: image.width ?? null,
    height: image.height ?? null,
    bytes: image.bytes ?? null,
    content_type: image.content_type ?? null,
  };
}

export function toProductView(sku: string, images: readonly StoredImage[]): ProductView {
  return { product_sku: sku, images: images.map(toImageView) };
}

/** The answer order: by `order`, then by `id`. */
export function compareImages(a: StoredImage, b: StoredImage): number {
  return a.order - b.order || a.id - b.id;
}

/** DynamoDB orders string keys by their UTF-8 bytes; listings and models must agree with it. */
export function compareSkus(a: string, b: string): number {
  return Buffer.compare(Buffer.from(a, 'utf8'), Buffer.from(b, 'utf8'));
}
