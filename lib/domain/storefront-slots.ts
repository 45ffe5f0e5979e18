/**
 * The storefront's fixed slots besides the width ladder: grid tiles of an exact aspect and square
 * swatches. What is rendered for them is named in the original's key (see `contentKeys` in
 * variant-ladder.ts), so the CDN function routes `?width=N&height=M` from the URL alone.
 */

/** A tile aspect, `width:height` in small integers (`1:1`, `4:5`). */
export interface TileAspect {
  width: number;
  height: number;
}

/** What tiles are rendered: `TILE_ASPECTS`, `TILE_WIDTHS`, `TILE_FILL`. */
export interface TileSettings {
  aspects: readonly TileAspect[];
  /** Tile rungs, ascending. */
  widths: readonly number[];
  /** The share of the tile's constraining side a packshot's product fills, in hundredths (90 = 0.9). */
  fillPercent: number;
}

/**
 * Grid slots from a 2-column phone (about 180 px at 1x, 360 at 2x) to a 4-column desktop (about 300 px
 * at 1x, 600 at 2x; 720 for a 1,440 px screen at 2x): Dawn's card srcset covers the same range.
 */
export const DEFAULT_TILE_WIDTHS: readonly number[] = [180, 360, 540, 720];
export const DEFAULT_TILE_ASPECTS: readonly TileAspect[] = [{ width: 1, height: 1 }];
export const DEFAULT_TILE_FILL_PERCENT = 90;
/** A swatch drawn 64 px wide at 1x, 2x and 3x. */
export const DEFAULT_SWATCH_WIDTHS: readonly number[] = [64, 128, 192];

export const DEFAULT_TILE_SETTINGS: TileSettings = {
  aspects: DEFAULT_TILE_ASPECTS,
  widths: DEFAULT_TILE_WIDTHS,
  fillPercent: DEFAULT_TILE_FILL_PERCENT,
};

/** Limits that keep the largest settings' item within DynamoDB's 400 KB (test/unit/item-size.test.ts). */
export const MAX_SLOT_WIDTHS = 6;
export const MAX_TILE_ASPECTS = 2;

function widthList(
  name: string,
  text: string | undefined,
  fallback: readonly number[],
  max: number,
): number[] {
  if (text === undefined || text.trim() === '') return [...fallback];
  const widths = text.split(',').map((part) => Number(part.trim()));
  if (widths.length > max || widths.some((width) => !Number.isInteger(width) || width < 16 || width > 4096)) {
    throw new Error(
      `${name} must be a comma-separated list of 1 to ${max} widths from 16 to 4096, not "${text}"`,
    );
  }
  return [...new Set(widths)].sort((a, b) => a - b);
}

/** Parses `TILE_ASPECTS` (`"1:1,4:5"`): 1 or 2 aspects, each side 1 to 32, between 1:4 and 4:1. */
export function parseTileAspects(text: string | undefined): TileAspect[] {
  if (text === undefined || text.trim() === '') return [...DEFAULT_TILE_ASPECTS];
  const aspects = text.split(',').map((part) => {
    const match = /^\s*([1-9][0-9]?):([1-9][0-9]?)\s*$/.exec(part);
    const width = Number(match?.[1]);
    const height = Number(match?.[2]);
    if (!match || width > 32 || height > 32 || width / height > 4 || height / width > 4) return null;
    return { width, height };
  });
  const distinct = new Map(
    aspects
      .filter((aspect): aspect is TileAspect => aspect !== null)
      .map((aspect) => [aspectName(aspect), aspect]),
  );
  if (distinct.size > MAX_TILE_ASPECTS || aspects.some((aspect) => aspect === null)) {
    throw new Error(
      `TILE_ASPECTS must be 1 to ${MAX_TILE_ASPECTS} aspects like 1:1 or 4:5 (sides 1 to 32, at most 4:1), not "${text}"`,
    );
  }
  return [...distinct.values()];
}

export const parseTileWidths = (text: string | undefined) =>
  widthList('TILE_WIDTHS', text, DEFAULT_TILE_WIDTHS, MAX_SLOT_WIDTHS);
export const parseSwatchWidths = (text: string | undefined) =>
  widthList('SWATCH_WIDTHS', text, DEFAULT_SWATCH_WIDTHS, MAX_SLOT_WIDTHS);

/** Parses `TILE_FILL` (`0.9`): a share from 0.5 to 1, kept to hundredths. */
export function parseTileFill(text: string | undefined): number {
  if (text === undefined || text.trim() === '') return DEFAULT_TILE_FILL_PERCENT;
  const value = Number(text);
  if (!Number.isFinite(value) || value < 0.5 || value > 1) {
    throw new Error(`TILE_FILL must be a number from 0.5 to 1, not "${text}"`);
  }
  return Math.round(value * 100);
}

/**
 * What a content's tiles and swatches were rendered with, in one string (`1x1f90:180-360-540-720;s:64-128-192`):
 * `npm run rerender` renders them again when the settings in force say otherwise.
 */
export function slotSignature(tiles: TileSettings, swatchWidths: readonly number[]): string {
  const sets = tiles.aspects.map(
    (aspect) => `${tileSetName(aspect, tiles.fillPercent)}:${tiles.widths.join('-')}`,
  );
  return `${sets.join(',')};s:${[...swatchWidths].join('-')}`;
}

export const DEFAULT_SLOT_SIGNATURE = slotSignature(DEFAULT_TILE_SETTINGS, DEFAULT_SWATCH_WIDTHS);

/** `1:1` */
export function aspectName(aspect: TileAspect): string {
  return `${aspect.width}:${aspect.height}`;
}

/**
 * The tile set's name in keys: aspect and fill (`1x1f90`). A changed `TILE_FILL` renders tiles under a
 * new name beside the old ones, so a cached tile is never overwritten by a different picture.
 */
export function tileSetName(aspect: TileAspect, fillPercent: number): string {
  return `${aspect.width}x${aspect.height}f${fillPercent}`;
}

/** A tile's height at a rung width. */
export function tileHeight(aspect: TileAspect, width: number): number {
  return Math.max(1, Math.round((width * aspect.height) / aspect.width));
}
