import { IMMUTABLE_CACHE_CONTROL } from '../../lib/adapters/s3/image-object-store';

/**
 * Headers every CDN answer carries besides the security headers: the stack's response headers policy
 * sets them, and local mode's CDN proxy sends the same.
 *
 * CORS is here as fixed headers, not as the policy's CORS settings: with those, CloudFront manages
 * `Vary` itself (`Vary: Origin`, or none on a cross-origin request) and a custom `Vary: Accept` is lost.
 * Any origin may use the images, so the answer never depends on `Origin` and needs no `Vary` for it.
 */
export const CDN_CUSTOM_HEADERS: Readonly<Record<string, string>> = {
  'Access-Control-Allow-Origin': '*',
  'Access-Control-Allow-Methods': 'GET, HEAD',
  'Cross-Origin-Resource-Policy': 'cross-origin',
  // One `cdn_url?width=N` answers with AVIF, WebP or the fallback depending on `Accept`.
  Vary: 'Accept',
  'Cache-Control': IMMUTABLE_CACHE_CONTROL,
};
