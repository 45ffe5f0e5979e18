import type { ImageSet, StoredImage } from './image';
import type { KeysetPosition } from './page-cursor';

/** A write lost a race: the stored revision was not the one the change was computed from. */
export class VersionConflictError extends Error {
  constructor() {
    super('stored revision changed');
    this.name = 'VersionConflictError';
  }
}

/** Replace, create or delete one SKU's set, conditional on the revision it was computed from. */
export interface ImageSetChange {
  sku: string;
  /** null: the SKU had no item. */
  expectedRevision: number | null;
  /** null: delete the item (the SKU has no images left). */
  next: { version: string; images: StoredImage[] } | null;
}

/** The storage of image sets: one item per SKU, listed in SKU order with an exact count. */
export interface ImageSetRepository {
  find(sku: string): Promise<ImageSet | null>;
  /** Writes the change atomically; throws VersionConflictError when `expectedRevision` is no longer current. */
  save(change: ImageSetChange): Promise<void>;
  /**
   * The exact number of products with images, and up to `limit` of them in SKU order: after skipping
   * `offset` of them, or just after or just before one SKU (a keyset read, whose cost does not grow with
   * depth). `more` tells whether products follow the page (before it, for `before`).
   */
  listProducts(position: ListPosition, limit: number): Promise<ProductListing>;
}

export type ListPosition = { offset: number } | KeysetPosition;

export interface ProductListing {
  count: number;
  /** In SKU order. */
  products: ImageSet[];
  more: boolean;
}

/** Hands out image ids: unique across the deployment, never reused. */
export interface IdAllocator {
  take(count: number): Promise<number[]>;
}
