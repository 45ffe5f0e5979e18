/**
 * The responsive ladder: which widths and formats an image is rendered to at ingest, and where each
 * rendition lives. The CDN's viewer-request function (`infra/cdn/viewer-request.js`) makes the same
 * choice from the URL alone; a property test holds the two to each other.
 */

/**
 * Shopify's `image_tag` srcset widths, and 160 below them for cart and thumbnail slots (about 80 px
 * wide, 160 at 2x); a deployment may set others with `VARIANT_WIDTHS`.
 */
export const DEFAULT_VARIANT_WIDTHS: readonly number[] = [160, 352, 832, 1200, 1920];

/**
 * At the quality in use, over real photos, effort 1 still meets the equal-quality target for 3 % more
 * bytes than 3 and 0.42× its encoding CPU; it halves a 3 MP photo's whole ladder, which is what a
 * million-image import pays for (docs/storefront.md, docs/design.md: Imports at scale).
 */
export const DEFAULT_AVIF_EFFORT = 1;

/**
 * What the fallback rendition of an image is, and so which formats it has: `jpeg` for opaque stills,
 * `png` for stills with transparency, `animated` for animations (WebP rungs only; the fallback for a
 * browser without WebP is the original file), `original` for an intact image the renderer cannot decode
 * (an animated AVIF): no rungs at all, every width is served the original.
 */
export const RENDITION_KINDS = ['jpeg', 'png', 'animated', 'original'] as const;
export type RenditionKind = (typeof RENDITION_KINDS)[number];

export const VARIANT_FORMATS = ['avif', 'webp', 'jpeg', 'png'] as const;
export type VariantFormat = (typeof VARIANT_FORMATS)[number];

export const VARIANT_CONTENT_TYPES: Record<VariantFormat, string> = {
  avif: 'image/avif',
  webp: 'image/webp',
  jpeg: 'image/jpeg',
  png: 'image/png',
};

/** One rendition as stored on the image and shown in answers (with its `url`). */
export interface Variant {
  width: number;
  height: number;
  format: VariantFormat;
}

/**
 * An original's own width is no rung of its own when the widest covered rung is this close to it: a
 * slot that wide gets at least 90 % of the pixels it asked for.
 */
export const OWN_WIDTH_TOLERANCE = 0.1;

/**
 * At most this many widths in `VARIANT_WIDTHS`: every rung lists in the original's key and on every
 * image of the SKU's item, whose 400 KB must hold the largest settings (test/unit/item-size.test.ts).
 */
export const MAX_LADDER_WIDTHS = 10;

/**
 * The widths an original of `originalWidth` pixels is rendered to, largest first: the ladder's widths
 * it covers (never upscaled), and its own width when it lies between two rungs and is more than 10 %
 * wider than the widest covered one (so a 2x slot of an 800 px photo gets 800 px, not 352). An original
 * narrower than every rung gets one rung at its own width.
 */
export function ladderFor(originalWidth: number, widths: readonly number[]): number[] {
  const ascending = [...new Set(widths)].sort((a, b) => a - b);
  const covered = ascending.filter((width) => width <= originalWidth);
  const widestCovered = covered[covered.length - 1];
  const largest = ascending[ascending.length - 1] ?? 0;
  if (widestCovered === undefined) return [originalWidth];
  const ownRung = originalWidth < largest && widestCovered < originalWidth * (1 - OWN_WIDTH_TOLERANCE);
  return (ownRung ? [...covered, originalWidth] : covered).reverse();
}

/** The formats every rung of a kind is rendered in, best first. */
export function formatsFor(kind: RenditionKind): VariantFormat[] {
  if (kind === 'original') return [];
  if (kind === 'animated') return ['webp'];
  return ['avif', 'webp', kind];
}

/** The rung that serves a slot `requested` pixels wide: the smallest rung at least that wide, else the largest. */
export function rungFor(ladder: readonly number[], requested: number): number {
  const ascending = [...ladder].sort((a, b) => a - b);
  return ascending.find((width) => width >= requested) ?? (ascending[ascending.length - 1] as number);
}

/** Parses `VARIANT_WIDTHS` (`"352,832,1200,1920"`): 1 to 10 positive integers up to 8,192. */
export function parseVariantWidths(text: string | undefined): number[] {
  if (text === undefined || text.trim() === '') return [...DEFAULT_VARIANT_WIDTHS];
  const widths = text.split(',').map((part) => Number(part.trim()));
  if (
    widths.length > MAX_LADDER_WIDTHS ||
    widths.some((width) => !Number.isInteger(width) || width < 1 || width > 8192)
  ) {
    throw new Error(
      `VARIANT_WIDTHS must be a comma-separated list of 1 to ${MAX_LADDER_WIDTHS} widths from 1 to 8192, not "${text}"`,
    );
  }
  return [...new Set(widths)].sort((a, b) => a - b);
}

/** The distinct rung widths of a set of renditions, ascending. */
export function rungsOf(variants: readonly Pick<Variant, 'width'>[]): number[] {
  return [...new Set(variants.map((variant) => variant.width))].sort((a, b) => a - b);
}

/**
 * Object keys. The original's key names every rung rendered for it (`o/<sha256>/<kind>/352-800`), so
 * the CDN function picks a rung from the URL alone, and a URL only ever names rungs that exist: a
 * ladder changed later cannot make it point at a rendition nobody rendered. Rungs added later give the
 * original a new key beside the old one, which keeps working. Everything under a hash is derived from
 * the bytes alone, so equal bytes from any URL or SKU land on the same keys.
 */
/** The slots named in an original's key besides the ladder: tile sets and swatch rungs. */
export interface SlotKeyParts {
  /** Each tile set's name (`1x1f90`) and rungs. */
  tiles?: ReadonlyArray<{ set: string; widths: readonly number[] }>;
  swatches?: readonly number[];
}

const joinWidths = (widths: readonly number[]) => [...widths].sort((a, b) => a - b).join('-');

/** The path segment after which a `cdn_url` shows an image as a swatch: `?width=N` picks swatch rungs. */
export const SWATCH_VIEW = 'swatch';

export const contentKeys = {
  /**
   * `o/<sha>/<kind>/<rungs>[/<tile set>-<rungs>]…[/s<rungs>]`: every rendition the CDN function may
   * pick is named in the key.
   */
  original: (sha256: string, kind: RenditionKind, rungs: readonly number[], slots: SlotKeyParts = {}) => {
    if (kind === 'original' || rungs.length === 0) return `o/${sha256}/original`;
    const tiles = (slots.tiles ?? [])
      .filter((tileSet) => tileSet.widths.length > 0)
      .map((tileSet) => `/${tileSet.set}-${joinWidths(tileSet.widths)}`)
      .join('');
    const swatches = slots.swatches && slots.swatches.length > 0 ? `/s${joinWidths(slots.swatches)}` : '';
    return `o/${sha256}/${kind}/${joinWidths(rungs)}${tiles}${swatches}`;
  },
  /** The key contents rendered before rungs were in the key used: width and kind only. */
  legacyOriginal: (sha256: string, width: number, kind: RenditionKind) => `o/${sha256}/${width}/${kind}`,
  variant: (sha256: string, width: number, format: VariantFormat) => `v/${sha256}/${width}.${format}`,
  tile: (sha256: string, set: string, width: number, format: VariantFormat) =>
    `v/${sha256}/${set}/${width}.${format}`,
  swatch: (sha256: string, width: number, format: VariantFormat) => `v/${sha256}/s/${width}.${format}`,
  /** Every object of one content, for its deletion. */
  prefixes: (sha256: string) => [`o/${sha256}/`, `v/${sha256}/`],
} as const;
