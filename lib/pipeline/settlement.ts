import { type ImageSet, publicUrl } from '../domain/image';

/** EventBridge takes entries up to 256 KB; the detail is kept under that with room for the envelope. */
const MAX_DETAIL_BYTES = 240 * 1024;

export const SETTLED_EVENT = { source: 'product-images', detailType: 'ProductImagesSettled' } as const;

/** The detail of a `ProductImagesSettled` event: one SKU's set version, every image `ready` or `failed`. */
export interface SettledDetail {
  sku: string;
  /** The set's version: its ETag without the quotes. */
  version: string;
  images: Array<{
    id: number;
    url?: string;
    status: 'ready' | 'failed';
    cdn_url: string | null;
    error: string | null;
    width: number | null;
    height: number | null;
  }>;
  /** Set when the URLs were left out to keep the event within EventBridge's entry limit. */
  urlsOmitted?: true;
}

/** A set is settled when it has images and none of them is still `pending`. */
export function isSettled(set: ImageSet | null): set is ImageSet {
  return set !== null && set.images.length > 0 && set.images.every((image) => image.status !== 'pending');
}

export function settledDetail(set: ImageSet, cdnBaseUrl: string): SettledDetail {
  const images = set.images.map((image) => ({
    id: image.id,
    url: image.url,
    status: image.status === 'ready' ? ('ready' as const) : ('failed' as const),
    cdn_url: image.status === 'ready' && image.object_key ? publicUrl(cdnBaseUrl, image.object_key) : null,
    error: image.error ?? null,
    width: image.width ?? null,
    height: image.height ?? null,
  }));
  const detail: SettledDetail = { sku: set.sku, version: set.version, images };
  if (Buffer.byteLength(JSON.stringify(detail)) <= MAX_DETAIL_BYTES) return detail;
  return { ...detail, images: images.map(({ url: _url, ...rest }) => rest), urlsOmitted: true };
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
  publish(detail: SettledDetail): Promise<void>;
}

/**
 * Announces the SKU's current set if every image has settled: reads it, wins the conditional mark, then
 * publishes. A record processed twice, out of order or by two workers at once announces nothing more;
 * a version superseded by a POST before it settled is never current when settled, so never announced.
 */
export async function announceIfSettled(
  sku: string,
  ports: SettlementPorts,
  cdnBaseUrl: string,
): Promise<SettledDetail | null> {
  const set = await ports.find(sku);
  if (!isSettled(set)) return null;
  if (!(await ports.markAnnounced(sku, set.version))) return null;
  const detail = settledDetail(set, cdnBaseUrl);
  await ports.publish(detail);
  return detail;
}
