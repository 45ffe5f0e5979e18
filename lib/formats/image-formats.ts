/**
 * The image formats the service accepts and the facts every layer shares about them. The lowest module
 * of the format code: the sniffer, the AVIF readers, the renderer and the API document import it, and
 * it imports nothing.
 */

/** Image formats told apart by their first bytes, whatever the origin's Content-Type claims. */
export type ImageFormat = 'jpeg' | 'png' | 'gif' | 'webp' | 'avif';

export const CONTENT_TYPES: Record<ImageFormat, string> = {
  jpeg: 'image/jpeg',
  png: 'image/png',
  gif: 'image/gif',
  webp: 'image/webp',
  avif: 'image/avif',
};

export interface Dimensions {
  width: number;
  height: number;
}
