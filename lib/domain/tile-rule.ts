import { type TileAspect, tileHeight } from './storefront-slots';

/** `[r, g, b, a]`, 0 to 255. */
export type Rgba = readonly [number, number, number, number];

export interface Box {
  left: number;
  top: number;
  width: number;
  height: number;
}

/**
 * What an original's border says about it (see lib/rendering/border-analysis.ts): a **packshot** has a
 * border of one colour (a product on white, grey or transparency) and a content box inside it, a shadow
 * included; a **photo** has not, and its edges' mean colour is what padding around it takes.
 */
export type BorderAnalysis =
  | { kind: 'packshot'; background: Rgba; content: Box }
  | { kind: 'photo'; edgeColour: Rgba };

/**
 * One tile as the renderer makes it, in the original's pixels: `region` of the original, resized to
 * `placed`, set at `offset` inside a `tile` painted `background` (unless the region fills it).
 */
export interface TileGeometry {
  tile: { width: number; height: number };
  region: Box;
  placed: { width: number; height: number };
  offset: { left: number; top: number };
  background: Rgba;
  /** `cover` crops the photo to the tile; `pad` shows all of it (or all of the product). */
  mode: 'cover' | 'pad';
}

/** A photo this close to the tile's aspect (either way) is cropped to it rather than padded. */
export const COVER_ASPECT_TOLERANCE = 1.25;

/** Pixels of rounding a tile may enlarge its region by: a 720 px tile of a 719.6 px crop is no upscale. */
const ROUNDING = 1;

function centred(tile: { width: number; height: number }, placed: { width: number; height: number }) {
  return {
    left: Math.floor((tile.width - placed.width) / 2),
    top: Math.floor((tile.height - placed.height) / 2),
  };
}

/** The largest region of the tile's aspect inside the image, centred. */
function coverRegion(width: number, height: number, aspect: TileAspect): Box {
  const target = aspect.width / aspect.height;
  if (width / height > target) {
    const regionWidth = Math.min(width, Math.max(1, Math.round(height * target)));
    return { left: Math.floor((width - regionWidth) / 2), top: 0, width: regionWidth, height };
  }
  const regionHeight = Math.min(height, Math.max(1, Math.round(width / target)));
  return { left: 0, top: Math.floor((height - regionHeight) / 2), width, height: regionHeight };
}

/** How a region scaled by `scale` sits in a tile `tileWidth` wide; null when that would enlarge it. */
type Placement = (tileWidth: number) => TileGeometry | null;

function placement(
  size: { width: number; height: number },
  border: BorderAnalysis,
  aspect: TileAspect,
  fill: number,
): { place: Placement; ownWidth: number } {
  const tileOf = (width: number) => ({ width, height: tileHeight(aspect, width) });
  if (border.kind === 'packshot') {
    const box = border.content.width > 0 && border.content.height > 0 ? border.content : wholeImage(size);
    const scaleFor = (tile: { width: number; height: number }) =>
      Math.min((tile.width * fill) / box.width, (tile.height * fill) / box.height);
    const place = (width: number): TileGeometry | null => {
      const tile = tileOf(width);
      return padded(box, scaleFor(tile), tile, border.background);
    };
    // The tile in which the product fills its share at its own pixels.
    const ownWidth = Math.max(
      1,
      Math.floor(Math.max(box.width / fill, ((box.height / fill) * aspect.width) / aspect.height)),
    );
    return { place, ownWidth };
  }
  const ratio = size.width / size.height / (aspect.width / aspect.height);
  if (Math.max(ratio, 1 / ratio) <= COVER_ASPECT_TOLERANCE) {
    const region = coverRegion(size.width, size.height, aspect);
    const place = (width: number): TileGeometry | null => {
      const tile = tileOf(width);
      if (tile.width > region.width + ROUNDING || tile.height > region.height + ROUNDING) return null;
      return {
        tile,
        region,
        placed: tile,
        offset: { left: 0, top: 0 },
        background: border.edgeColour,
        mode: 'cover',
      };
    };
    return { place, ownWidth: region.width };
  }
  const whole = wholeImage(size);
  const place = (width: number): TileGeometry | null => {
    const tile = tileOf(width);
    return padded(
      whole,
      Math.min(tile.width / size.width, tile.height / size.height),
      tile,
      border.edgeColour,
    );
  };
  // The narrowest tile that holds the whole photo at its own pixels.
  return { place, ownWidth: Math.max(size.width, Math.round((size.height * aspect.width) / aspect.height)) };
}

/**
 * `region` scaled by `scale`, centred on a `tile` painted `background`; null when that would enlarge it
 * (beyond a pixel of rounding).
 */
function padded(
  region: Box,
  scale: number,
  tile: { width: number; height: number },
  background: Rgba,
): TileGeometry | null {
  if (scale > 1 + ROUNDING / Math.max(region.width, region.height)) return null;
  const placed = {
    width: Math.min(tile.width, Math.max(1, Math.round(region.width * scale))),
    height: Math.min(tile.height, Math.max(1, Math.round(region.height * scale))),
  };
  return { tile, region, placed, offset: centred(tile, placed), background, mode: 'pad' };
}

function wholeImage(size: { width: number; height: number }): Box {
  return { left: 0, top: 0, width: size.width, height: size.height };
}

/**
 * The tiles of one aspect for an original `size` pixels large, smallest first: every rung of `widths`
 * it can fill without enlarging the product, or, when it can fill none, one tile at the width that
 * shows it at its own pixels. A packshot is trimmed to its content box, centred and padded on its own
 * border colour so the product fills `fillPercent` of the tile's constraining side; a photo within 25 %
 * of the tile's aspect is cropped to it (centred), any other photo is shown whole, padded on its
 * edges' colour.
 */
export function tilePlan(
  size: { width: number; height: number },
  border: BorderAnalysis,
  aspect: TileAspect,
  fillPercent: number,
  widths: readonly number[],
): TileGeometry[] {
  const { place, ownWidth } = placement(size, border, aspect, fillPercent / 100);
  const fitting = [...widths]
    .sort((a, b) => a - b)
    .map((width) => place(width))
    .filter((tile): tile is TileGeometry => tile !== null);
  if (fitting.length > 0) return fitting;
  // Too small for every rung: one tile at its own size, as a narrow original gets one rung of its own.
  for (let width = Math.max(1, ownWidth); width >= 1; width = Math.floor(width * 0.98)) {
    const tile = place(width);
    if (tile) return [tile];
    if (width === 1) break;
  }
  return [];
}
