import { compareImages, type RequestedImage, type StoredImage } from './image';

export interface MergedImageSet {
  /** The new set, sorted for answers. */
  images: StoredImage[];
  /** Stored images whose URL the request no longer names. */
  removed: StoredImage[];
  /** Whether anything a client can see in the set (ids, urls, order, type) differs from what was stored. */
  changed: boolean;
}

/** URLs of the request that the stored set does not hold yet: each of them needs a new id. */
export function urlsNeedingIds(
  stored: readonly StoredImage[],
  requested: readonly RequestedImage[],
): string[] {
  const known = new Set(stored.map((image) => image.url));
  return requested.filter((image) => !known.has(image.url)).map((image) => image.url);
}

/**
 * The upsert: an image's identity within a SKU is its exact URL. A known URL keeps its id and what the
 * pipeline learned about it, taking `order` and `image_type` from the request; an unknown URL takes the
 * next of `newIds` and starts `pending` (stamped `requestedAt`, so the time to `ready` can be told); a
 * stored URL missing from the request is removed.
 */
export function mergeImageSet(
  stored: readonly StoredImage[],
  requested: readonly RequestedImage[],
  newIds: readonly number[],
  requestedAt?: string,
): MergedImageSet {
  const storedByUrl = new Map(stored.map((image) => [image.url, image]));
  const requestedUrls = new Set(requested.map((image) => image.url));
  let nextNewId = 0;
  let changed = false;

  const images = requested.map((wanted): StoredImage => {
    const existing = storedByUrl.get(wanted.url);
    if (existing) {
      if (existing.order !== wanted.order || existing.image_type !== wanted.image_type) changed = true;
      return { ...existing, order: wanted.order, image_type: wanted.image_type };
    }
    const id = newIds[nextNewId++];
    if (id === undefined) throw new Error('mergeImageSet: fewer new ids than new URLs');
    changed = true;
    const added: StoredImage = {
      id,
      url: wanted.url,
      order: wanted.order,
      image_type: wanted.image_type,
      status: 'pending',
    };
    return requestedAt === undefined ? added : { ...added, requested_at: requestedAt };
  });
  const removed = stored.filter((image) => !requestedUrls.has(image.url));
  if (removed.length > 0) changed = true;

  return { images: images.sort(compareImages), removed, changed };
}
