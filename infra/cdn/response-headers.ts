import { IMMUTABLE_CACHE_CONTROL } from '../../lib/adapters/s3/image-object-store';

/**
 * Headers every CDN answer carries beyond CORS and the security headers: the stack's response headers
 * policy sets them, and local mode's CDN proxy sends the same.
 */
export const CDN_CUSTOM_HEADERS: Readonly<Record<string, string>> = {
  'Cross-Origin-Resource-Policy': 'cross-origin',
  // One `cdn_url?width=N` answers with AVIF, WebP or the fallback depending on `Accept`.
  Vary: 'Accept',
  'Cache-Control': IMMUTABLE_CACHE_CONTROL,
};
