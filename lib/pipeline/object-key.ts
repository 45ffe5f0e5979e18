import { createHash } from 'node:crypto';
import { copyKey, type ImageCopy } from '../domain/image';

/** SKUs made only of these characters appear in keys and URLs as they are; others by their hash. */
const PLAIN_SKU = /^[A-Za-z0-9._-]{1,200}$/;

/**
 * The object key of one image's copy, from SKU and id alone, so it can be found again to delete it. Keys
 * need no escaping in a URL.
 */
export function objectKey(sku: string, imageId: number): string {
  const folder =
    PLAIN_SKU.test(sku) && sku !== '.' && sku !== '..'
      ? sku
      : `sha256-${createHash('sha256').update(sku).digest('hex')}`;
  return `products/${folder}/${imageId}`;
}

/**
 * The key of a copy made before content addressing (`products/<sku>/<id>`), from what the image
 * recorded. Null for a content-addressed copy.
 */
export function legacyCopyKey(image: ImageCopy): string | null {
  const key = copyKey(image);
  return key?.startsWith('products/') ? key : null;
}
