import { createHash } from 'node:crypto';

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
