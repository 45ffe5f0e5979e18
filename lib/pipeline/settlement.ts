import { type ImageSet, toImageView } from '../domain/image';

/** EventBridge takes entries up to 256 KB; the detail is kept under that with room for the envelope. */
const MAX_DETAIL_BYTES = 240 * 1024;

export const SETTLED_EVENT = { source: 'product-images', detailType: 'ProductImagesSettled' } as const;

/** One image in a `ProductImagesSettled` event: what a storefront needs to show it without a GET. */
export interface SettledImage {
  id: number;
  /** The merchant's source URL; left out of a detail over the size limit after the variants. */
  url?: string;
  status: 'ready' | 'failed';
  cdn_url: string | null;
  error: string | null;
  width: number | null;
  height: number | null;
  thumbhash: string | null;
  dominant_color: string | null;
  /** The renditions, as the API shows them; left out first of a detail over the size limit. */
  variants?: Array<{ width: number; height: number; format: string; url: string }>;
  /** The grid tiles, as the API shows them; left out with the variants. */
  tiles?: Array<{ aspect: string; width: number; height: number; format: string; url: string }>;
}

/** The detail of a `ProductImagesSettled` event: one SKU's set version, every image `ready` or `failed`. */
export interface SettledDetail {
  /** `<sku>/<version>`: the same on every delivery of this version's event, to drop duplicates by. */
  id: string;
  sku: string;
  /** The set's version: its ETag without the quotes. */
  version: string;
  images: SettledImage[];
  /** Set when the variants were left out to keep the event within EventBridge's entry limit. */
  variantsOmitted?: true;
  /** Set when the source URLs were left out as well. */
  urlsOmitted?: true;
}

/** A set is settled when it has images and none of them is still `pending`. */
export function isSettled(set: ImageSet | null): set is ImageSet {
  return set !== null && set.images.length > 0 && set.images.every((image) => image.status !== 'pending');
}

/** The event's id: a settled version is announced once, and every delivery of it carries this. */
export function settledEventId(sku: string, version: string): string {
  return `${sku}/${version}`;
}

/**
 * The detail of a settled set. Over `MAX_DETAIL_BYTES`, the variants go first (a storefront can still
 * ask the CDN for any width with `cdn_url?width=N`), then the source URLs.
 */
export function settledDetail(set: ImageSet, cdnBaseUrl: string): SettledDetail {
  // As the API would show each image, so an event and a GET agree on every URL.
  const images: SettledImage[] = set.images.map((stored) => {
    const view = toImageView(stored, { cdnBaseUrl });
    return {
      id: view.id,
      url: view.url,
      status: view.status === 'ready' ? 'ready' : 'failed',
      cdn_url: view.cdn_url,
      error: view.error,
      width: view.width,
      height: view.height,
      thumbhash: view.thumbhash,
      dominant_color: view.dominant_color,
      variants: view.variants.map(({ width, height, format, url }) => ({ width, height, format, url })),
      tiles: view.tiles,
    };
  });
  const detail: SettledDetail = {
    id: settledEventId(set.sku, set.version),
    sku: set.sku,
    version: set.version,
    images,
  };
  if (fits(detail)) return detail;
  const lighter: SettledDetail = {
    ...detail,
    images: images.map(({ variants: _variants, tiles: _tiles, ...rest }) => rest),
    variantsOmitted: true,
  };
  if (fits(lighter)) return lighter;
  return { ...lighter, images: lighter.images.map(({ url: _url, ...rest }) => rest), urlsOmitted: true };
}

function fits(detail: SettledDetail): boolean {
  return Buffer.byteLength(JSON.stringify(detail)) <= MAX_DETAIL_BYTES;
}

/** The pipeline's side of announcing a settled version, exactly once. */
export interface SettlementPorts {
  /** The SKU's current set, read consistently. */
  find(sku: string): Promise<ImageSet | null>;
  /**
   * Marks `version` as announced, only if it is still the SKU's version and was not announced before:
   * true for exactly one caller per version, however many check at once or again.
   */
  markAnnounced(sku: string, version: string): Promise<boolean>;
}

/**
 * Marks the SKU's current set announced if every image has settled; answers the set it marked. The
 * event goes out from the mark's own stream record (the outbox), never from here: a function that stops
 * right after the mark loses nothing. A record processed twice, out of order or by two workers at once
 * marks nothing more; a version superseded by a POST before it settled is never current when settled,
 * so never marked.
 */
export async function markIfSettled(sku: string, ports: SettlementPorts): Promise<ImageSet | null> {
  const set = await ports.find(sku);
  if (!isSettled(set)) return null;
  return (await ports.markAnnounced(sku, set.version)) ? set : null;
}
