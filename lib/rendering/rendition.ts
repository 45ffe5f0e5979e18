import type { RenditionKind, Variant } from '../domain/variant-ladder';

/*
 * What a render produces and how it fails, apart from the renderer (render-image.ts), which loads
 * sharp: the pipeline's other functions handle renditions and render errors without loading it.
 */

export const DEFAULT_MAX_PIXELS = 100_000_000;

export interface RenderedVariant extends Variant {
  contentType: string;
  body: Buffer;
}

/** A grid tile: a rendition of an exact aspect, in its tile set (`1x1f90`: aspect and fill). */
export interface RenderedTile extends RenderedVariant {
  /** `1:1` */
  aspect: string;
  /** The tile set's name in keys (`tileSetName`). */
  set: string;
}

/** Everything made from one original: its displayed size, every rung in every format, its placeholder. */
export interface Rendition {
  /** The original as published: its bytes with camera and editor metadata removed (see strip-metadata.ts). */
  original: { body: Buffer; contentType: string };
  /** The size a viewer sees: after EXIF orientation, one frame of an animation. */
  width: number;
  height: number;
  kind: RenditionKind;
  /** Largest rung first, each rung's formats best first. */
  variants: RenderedVariant[];
  /** Grid tiles of every configured aspect, each set smallest first; none for animations. */
  tiles: RenderedTile[];
  /** Square swatches, smallest first; none for animations. */
  swatches: RenderedVariant[];
  /** The tile and swatch settings rendered (`slotSignature`); absent when none were. */
  slots?: string;
  /** ThumbHash of a rendition at most 100 px on a side, base64; absent when nothing could be decoded. */
  thumbhash?: string;
  /** `#rrggbb`; absent when nothing could be decoded. */
  dominantColor?: string;
}

/** A valid header over data that cannot be rendered: the image fails for good, with this reason. */
export class RenderError extends Error {
  constructor(readonly reason: string) {
    super(reason);
    this.name = 'RenderError';
  }
}
