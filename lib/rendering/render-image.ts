import sharp, { type Metadata, type Sharp } from 'sharp';
import {
  aspectName,
  DEFAULT_SWATCH_WIDTHS,
  DEFAULT_TILE_SETTINGS,
  slotSignature,
  type TileSettings,
  tileSetName,
} from '../domain/storefront-slots';
import { type TileGeometry, tilePlan } from '../domain/tile-rule';
import {
  formatsFor,
  ladderFor,
  type RenditionKind,
  VARIANT_CONTENT_TYPES,
  type VariantFormat,
} from '../domain/variant-ladder';
import { avifDimensions } from '../formats/avif-dimensions';
import { publishableAvifSequence } from '../formats/avif-sequence';
import { CONTENT_TYPES, type ImageFormat } from '../formats/image-formats';
import { analyseBorder, type RawPixels } from './border-analysis';
import { placeholderOf } from './placeholder';
import { RenderError, type RenderedTile, type RenderedVariant, type Rendition } from './rendition';
import { stripMetadata } from './strip-metadata';

export interface RenderOptions {
  /** The ladder's widths (`VARIANT_WIDTHS`). */
  widths: readonly number[];
  /** AVIF encoder effort, 0 (fastest) to 9; docs/storefront.md has the measurements behind the default. */
  avifEffort: number;
  /** Images with more pixels than this are refused before they are decoded. */
  maxPixels: number;
  /** Renders only these of the formats the image's kind has (the benchmark times each format alone). */
  formats?: readonly VariantFormat[];
  /**
   * Renders exactly these rungs (those no wider than the image) instead of the ladder of `widths`:
   * `npm run rerender` adds the rungs a newer ladder has to a content rendered before.
   */
  rungs?: readonly number[];
  /** Grid tiles (`TILE_ASPECTS`, `TILE_WIDTHS`, `TILE_FILL`); the defaults when absent. */
  tiles?: TileSettings;
  /** Square swatch rungs (`SWATCH_WIDTHS`); the defaults when absent. */
  swatchWidths?: readonly number[];
  /** Renders tiles and swatches too; by default only when no `rungs` are given. */
  slots?: boolean;
}

const ANIMATABLE = new Set(['gif', 'webp']);

const megapixels = (pixels: number) => Number((pixels / 1_000_000).toFixed(pixels < 10_000_000 ? 1 : 0));
/** EXIF orientations 5 to 8 turn the image a quarter: its width is the stored height. */
const QUARTER_TURNS = new Set([5, 6, 7, 8]);

/** The lossy formats' encoder qualities (see `npm run bench -- quality` and docs/storefront.md). */
export type LossyQualities = Record<'avif' | 'webp' | 'jpeg', number>;

/**
 * Each lossy format's quality, set so that all three look alike: the same median butteraugli distance
 * to a lossless resize, over real photos at the 832 rung (`npm run bench -- quality`). The target is the
 * JPEG fallback's distance at quality 80; sharp's defaults left AVIF, what most browsers get, the worst.
 */
export const RENDITION_QUALITY: LossyQualities = { avif: 60, webp: 81, jpeg: 80 };

/** How each rendition is encoded; the benchmark encodes with the same settings when it calls sharp directly. */
export function encodeVariant(
  pipeline: Sharp,
  format: VariantFormat,
  options: Pick<RenderOptions, 'avifEffort'> & { quality?: LossyQualities },
  animated: boolean,
): Sharp {
  const quality = options.quality ?? RENDITION_QUALITY;
  switch (format) {
    case 'avif':
      return pipeline.avif({ effort: options.avifEffort, quality: quality.avif });
    case 'webp':
      return pipeline.webp(animated ? { effort: 4, quality: quality.webp } : { quality: quality.webp });
    case 'jpeg':
      // libjpeg-turbo, not mozjpeg: the fallback reaches only browsers without WebP (almost none), and
      // mozjpeg's smaller files cost several times the encoding CPU (docs/design.md: Render once, encode many).
      return pipeline.jpeg({ quality: quality.jpeg });
    case 'png':
      return pipeline.png({ compressionLevel: 9 });
  }
}

/** An original re-encoded in its own format, at full size, with no metadata. */
function reencode(image: Sharp, format: ImageFormat, options: RenderOptions): Sharp {
  switch (format) {
    case 'gif':
      return image.gif();
    case 'avif':
      return image.avif({ quality: 80, effort: options.avifEffort });
    case 'png':
      return image.png();
    case 'webp':
      return image.webp({ quality: 90 });
    case 'jpeg':
      return image.jpeg({ quality: 92, mozjpeg: true });
  }
}

/** The sniffer's name for the format sharp read (sharp calls AVIF `heif`). */
function originalFormat(metadata: Metadata): ImageFormat | null {
  const format = metadata.format === 'heif' ? 'avif' : (metadata.format ?? '');
  return format in CONTENT_TYPES ? (format as ImageFormat) : null;
}

/**
 * The original as the CDN serves it: the same bytes with their metadata segments removed where the
 * format can be walked (JPEG, PNG, WebP), else, when it carries any metadata, re-encoded in its own
 * format at full size with none. An original without metadata is served byte for byte.
 */
async function publishedOriginal(
  bytes: Buffer,
  metadata: Metadata,
  options: RenderOptions,
  input: { limitInputPixels: number; failOn: 'error' },
  animated: boolean,
): Promise<{ body: Buffer; contentType: string }> {
  const format = originalFormat(metadata);
  const stripped = format && stripMetadata(bytes, format, metadata.orientation ?? 1);
  if (format && stripped)
    return { body: stripped.equals(bytes) ? bytes : stripped, contentType: CONTENT_TYPES[format] };
  const carriesMetadata = Boolean(
    metadata.exif || metadata.xmp || metadata.iptc || metadata.comments?.length,
  );
  if (format && !carriesMetadata) return { body: bytes, contentType: CONTENT_TYPES[format] };
  const image = animated ? sharp(bytes, { ...input, animated: true }) : sharp(bytes, input).autoOrient();
  const target = format ?? 'jpeg';
  return { body: await reencode(image, target, options).toBuffer(), contentType: CONTENT_TYPES[target] };
}

/** A short reason from what libvips says, without its paths or internals. */
function renderFailure(error: unknown): RenderError {
  const message = error instanceof Error ? error.message : String(error);
  if (/pixel limit/i.test(message)) return new RenderError('image over the pixel limit');
  if (/premature end|truncated|read error|unexpected end/i.test(message)) {
    return new RenderError('image data truncated');
  }
  if (/unsupported/i.test(message)) return new RenderError(ENCODING_NOT_SUPPORTED);
  return new RenderError('image data corrupt');
}

const ENCODING_NOT_SUPPORTED = 'image encoding not supported';

/**
 * An intact image this libvips cannot decode but browsers show (an animated AVIF): published as it is,
 * metadata blanked, with no renditions and no placeholder. Null for anything else.
 */
function unrenderedOriginal(bytes: Buffer, options: RenderOptions): Rendition | null {
  const dimensions = avifDimensions(bytes);
  const sequence = publishableAvifSequence(bytes);
  if (sequence.outcome === 'truncated') throw new RenderError('image data truncated');
  if (!dimensions || sequence.outcome !== 'publishable') return null;
  if (dimensions.width * dimensions.height > options.maxPixels) {
    throw new RenderError(`image over ${megapixels(options.maxPixels)} megapixels`);
  }
  return {
    original: { body: sequence.bytes, contentType: CONTENT_TYPES.avif },
    width: dimensions.width,
    height: dimensions.height,
    kind: 'original',
    variants: [],
    tiles: [],
    swatches: [],
  };
}

/**
 * Renders one original: its whole ladder (see `renderLadder`), or, when the data is intact but this
 * libvips cannot decode it, the original alone (see `unrenderedOriginal`).
 */
export async function renderImage(bytes: Buffer, options: RenderOptions): Promise<Rendition> {
  try {
    return await renderLadder(bytes, options);
  } catch (error) {
    if (error instanceof RenderError && error.reason === ENCODING_NOT_SUPPORTED) {
      const original = unrenderedOriginal(bytes, options);
      if (original) return original;
    }
    throw error;
  }
}

/** Decoded, oriented sRGB pixels of an original at `scale` of its displayed size. */
interface DecodedOriginal extends RawPixels {
  scale: number;
}

const rawInput = (pixels: RawPixels) => ({
  raw: { width: pixels.width, height: pixels.height, channels: pixels.channels as 3 | 4 },
});

/** Encodes one rendition's pixels in every wanted format, best first. */
async function encodeAll(
  pixels: RawPixels,
  formats: readonly VariantFormat[],
  options: RenderOptions,
): Promise<RenderedVariant[]> {
  return Promise.all(
    formats.map(async (format) => {
      const { data, info } = await encodeVariant(
        sharp(pixels.data, rawInput(pixels)),
        format,
        options,
        false,
      ).toBuffer({ resolveWithObject: true });
      return {
        width: info.width,
        height: info.height,
        format,
        contentType: VARIANT_CONTENT_TYPES[format],
        body: data,
      };
    }),
  );
}

async function rawOf(image: Sharp): Promise<RawPixels> {
  const { data, info } = await image.raw().toBuffer({ resolveWithObject: true });
  return { data, width: info.width, height: info.height, channels: info.channels };
}

/** A region of the decoded pixels (given in the original's pixels), resized, on its tile. */
async function tilePixels(decoded: DecodedOriginal, geometry: TileGeometry): Promise<RawPixels> {
  const left = Math.min(decoded.width - 1, Math.floor(geometry.region.left * decoded.scale));
  const top = Math.min(decoded.height - 1, Math.floor(geometry.region.top * decoded.scale));
  const region = {
    left,
    top,
    width: Math.max(1, Math.min(decoded.width - left, Math.round(geometry.region.width * decoded.scale))),
    height: Math.max(1, Math.min(decoded.height - top, Math.round(geometry.region.height * decoded.scale))),
  };
  const [r, g, b, a] = geometry.background;
  const right = geometry.tile.width - geometry.placed.width - geometry.offset.left;
  const bottom = geometry.tile.height - geometry.placed.height - geometry.offset.top;
  // sharp resizes before it extends, whatever the order of the calls: the order wanted here.
  let image = sharp(decoded.data, rawInput(decoded))
    .extract(region)
    .resize({ width: geometry.placed.width, height: geometry.placed.height, fit: 'fill' });
  if (geometry.offset.left > 0 || geometry.offset.top > 0 || right > 0 || bottom > 0) {
    image = image.extend({
      left: geometry.offset.left,
      top: geometry.offset.top,
      right,
      bottom,
      background: { r, g, b, alpha: a / 255 },
    });
  }
  return rawOf(image);
}

/** The square swatch rungs an original can fill (never enlarged), or one at its own shorter side. */
function swatchRungs(width: number, height: number, widths: readonly number[]): number[] {
  const side = Math.min(width, height);
  const fitting = [...widths].filter((rung) => rung <= side).sort((a, b) => a - b);
  return fitting.length > 0 ? fitting : [side];
}

/** One rendition's pixels, before encoding: a ladder rung, a grid tile or a swatch. */
export type StillOutput = { pixels: RawPixels } & (
  | { slot: 'rung' }
  | { slot: 'tile'; aspect: string; set: string }
  | { slot: 'swatch' }
);

/** A still decoded once: what it is, and every rendition's pixels, made one at a time. */
interface DecodedStill {
  kind: RenditionKind;
  /** The slot settings rendered, when tiles and swatches are among the outputs. */
  slots?: string;
  formats: VariantFormat[];
  placeholder: Awaited<ReturnType<typeof placeholderOf>>;
  outputs: AsyncGenerator<StillOutput>;
}

/**
 * Decodes a still once: the original is decoded (shrunk on load to what the widest rendition needs),
 * oriented and converted to sRGB a single time, and every rung, tile and swatch is resized from those
 * pixels. Before, each of the ladder's encodes ran its own pipeline from the compressed bytes.
 */
async function decodeStill(
  bytes: Buffer,
  metadata: Metadata,
  size: { width: number; height: number },
  options: RenderOptions,
  input: { limitInputPixels: number; failOn: 'error' },
): Promise<DecodedStill> {
  const rungs = options.rungs
    ? [...options.rungs].filter((rung) => rung <= size.width).sort((a, b) => b - a)
    : ladderFor(size.width, options.widths);
  const withSlots = options.slots ?? !options.rungs;
  const tileSettings = options.tiles ?? DEFAULT_TILE_SETTINGS;
  const swatches = swatchRungs(size.width, size.height, options.swatchWidths ?? DEFAULT_SWATCH_WIDTHS);
  const shorter = Math.min(size.width, size.height);
  // What the widest rendition needs of the original; tiles of a photo never need more than the ladder's
  // top rung, and a packshot whose product needs more is decoded again for its tiles alone (below).
  const needed = Math.max(
    (rungs[0] ?? 0) / size.width,
    withSlots ? (swatches[swatches.length - 1] ?? 0) / shorter : 0,
    withSlots ? (tileSettings.widths[tileSettings.widths.length - 1] ?? 0) / shorter : 0,
  );
  const decoded = await decodeAt(bytes, input, size, Math.min(1, needed));
  const placeholder = await placeholderOf(sharp(decoded.data, rawInput(decoded)), metadata.hasAlpha === true);
  const kind: RenditionKind = placeholder.transparent ? 'png' : 'jpeg';
  // Without transparency the alpha channel is dropped once, for every rendition.
  const opaque = kind === 'jpeg';
  const source: DecodedOriginal =
    decoded.channels === 4 && opaque
      ? { ...(await rawOf(sharp(decoded.data, rawInput(decoded)).removeAlpha())), scale: decoded.scale }
      : decoded;
  const formats = formatsFor(kind).filter((format) => !options.formats || options.formats.includes(format));

  async function* outputs(): AsyncGenerator<StillOutput> {
    for (const rung of rungs) {
      const pixels =
        rung === source.width
          ? source
          : await rawOf(
              sharp(source.data, rawInput(source)).resize({ width: rung, withoutEnlargement: true }),
            );
      yield { slot: 'rung', pixels };
    }
    if (!withSlots) return;
    const border = scaleBorder(analyseBorder(source), 1 / source.scale, size);
    const planned = tileSettings.aspects.flatMap((aspect) =>
      tilePlan(size, border, aspect, tileSettings.fillPercent, tileSettings.widths).map((geometry) => ({
        geometry,
        aspect: aspectName(aspect),
        set: tileSetName(aspect, tileSettings.fillPercent),
      })),
    );
    // A packshot whose product is small in its frame needs more of the original than the ladder did:
    // decoded once more, at the scale its largest tile needs.
    const tileScale = Math.min(
      1,
      Math.max(0, ...planned.map(({ geometry }) => geometry.placed.width / geometry.region.width)),
    );
    const tileSource =
      tileScale > source.scale * 1.01 ? await decodeAt(bytes, input, size, tileScale, opaque) : source;
    for (const { geometry, aspect, set } of planned) {
      yield { slot: 'tile', aspect, set, pixels: await tilePixels(tileSource, geometry) };
    }
    // Swatches: square, cropped from the centre (a swatch is a fabric or a colour; there is no subject).
    const region = {
      left: Math.floor((size.width - shorter) / 2),
      top: Math.floor((size.height - shorter) / 2),
      width: shorter,
      height: shorter,
    };
    for (const rung of swatches) {
      const geometry: TileGeometry = {
        tile: { width: rung, height: rung },
        region,
        placed: { width: rung, height: rung },
        offset: { left: 0, top: 0 },
        background: [255, 255, 255, 255],
        mode: 'cover',
      };
      yield { slot: 'swatch', pixels: await tilePixels(source, geometry) };
    }
  }
  const slots = withSlots
    ? slotSignature(tileSettings, options.swatchWidths ?? DEFAULT_SWATCH_WIDTHS)
    : undefined;
  return { kind, slots, formats, placeholder, outputs: outputs() };
}

/** Renders a still: every output of `decodeStill`, each encoded in every format from its pixels. */
async function renderStill(
  bytes: Buffer,
  metadata: Metadata,
  size: { width: number; height: number },
  options: RenderOptions,
  input: { limitInputPixels: number; failOn: 'error' },
): Promise<Rendition> {
  const still = await decodeStill(bytes, metadata, size, options, input);
  const variants: RenderedVariant[] = [];
  const tiles: RenderedTile[] = [];
  const swatches: RenderedVariant[] = [];
  for await (const output of still.outputs) {
    const encoded = await encodeAll(output.pixels, still.formats, options);
    if (output.slot === 'rung') variants.push(...encoded);
    else if (output.slot === 'tile')
      tiles.push(...encoded.map((variant) => ({ ...variant, aspect: output.aspect, set: output.set })));
    else swatches.push(...encoded);
  }
  return {
    original: await publishedOriginal(bytes, metadata, options, input, false),
    width: size.width,
    height: size.height,
    kind: still.kind,
    variants,
    tiles,
    swatches,
    ...(still.slots ? { slots: still.slots } : {}),
    thumbhash: still.placeholder.thumbhash,
    dominantColor: still.placeholder.dominantColor,
  };
}

/**
 * The benchmark's encoder floor: every rendition's pixels of a still, decoded and resized exactly as
 * `renderImage` does, with the formats each is encoded in; nothing encoded.
 */
export async function stillPixels(
  bytes: Buffer,
  options: RenderOptions,
): Promise<{ formats: VariantFormat[]; outputs: StillOutput[] }> {
  const input = { limitInputPixels: options.maxPixels, failOn: 'error' as const };
  const metadata = await sharp(bytes, { limitInputPixels: false }).metadata();
  const turned = QUARTER_TURNS.has(metadata.orientation ?? 1);
  const size = turned
    ? { width: metadata.height ?? 0, height: metadata.width ?? 0 }
    : { width: metadata.width ?? 0, height: metadata.height ?? 0 };
  const still = await decodeStill(bytes, metadata, size, options, input);
  const outputs: StillOutput[] = [];
  for await (const output of still.outputs) outputs.push(output);
  return { formats: still.formats, outputs };
}

/** Encodes one rendition's pixels in every wanted format (exported for the benchmark's floor). */
export { encodeAll };

/** The border analysis of decoded pixels, in the original's pixels. */
function scaleBorder(
  border: ReturnType<typeof analyseBorder>,
  factor: number,
  size: { width: number; height: number },
): ReturnType<typeof analyseBorder> {
  if (border.kind === 'photo') return border;
  const left = Math.floor(border.content.left * factor);
  const top = Math.floor(border.content.top * factor);
  return {
    ...border,
    content: {
      left,
      top,
      width: Math.min(size.width - left, Math.ceil(border.content.width * factor)),
      height: Math.min(size.height - top, Math.ceil(border.content.height * factor)),
    },
  };
}

/** The original decoded once: oriented, in sRGB, shrunk on load to `scale` of its displayed size. */
async function decodeAt(
  bytes: Buffer,
  input: { limitInputPixels: number; failOn: 'error' },
  size: { width: number; height: number },
  scale: number,
  opaque = false,
): Promise<DecodedOriginal> {
  let image = sharp(bytes, input).autoOrient();
  if (scale < 1) image = image.resize({ width: Math.max(1, Math.round(size.width * scale)) });
  image = image.toColourspace('srgb');
  const pixels = await rawOf(opaque ? image.removeAlpha() : image);
  return { ...pixels, scale: pixels.width / size.width };
}

/**
 * Renders the whole ladder of one original. The header is read first and an image over `maxPixels` is
 * refused before any pixel is decoded (a decompression bomb). Data libvips calls an error (truncated,
 * corrupt) fails the image; what it only warns about (stray bytes between JPEG markers) is rendered, as
 * browsers do. Every rung comes from one pipeline
 * (sharp's `clone()`), largest first: oriented by EXIF, converted to sRGB, metadata stripped (sharp
 * keeps none unless asked), never enlarged.
 */
async function renderLadder(bytes: Buffer, options: RenderOptions): Promise<Rendition> {
  const input = { limitInputPixels: options.maxPixels, failOn: 'error' as const };
  let metadata: Metadata;
  try {
    metadata = await sharp(bytes, { limitInputPixels: false }).metadata();
  } catch (error) {
    throw renderFailure(error);
  }
  const storedWidth = metadata.width ?? 0;
  const frameHeight = metadata.pageHeight ?? metadata.height ?? 0;
  if (storedWidth * frameHeight > options.maxPixels) {
    throw new RenderError(`image over ${megapixels(options.maxPixels)} megapixels`);
  }
  const animated = (metadata.pages ?? 1) > 1 && ANIMATABLE.has(metadata.format ?? '');
  // Every frame of an animation is decoded: its frames together count against the same limit.
  if (animated && storedWidth * frameHeight * (metadata.pages ?? 1) > options.maxPixels) {
    throw new RenderError(`animation over ${megapixels(options.maxPixels)} megapixels in all`);
  }
  const turned = QUARTER_TURNS.has(metadata.orientation ?? 1);
  const width = turned ? frameHeight : storedWidth;
  const height = turned ? storedWidth : frameHeight;

  try {
    if (!animated) return await renderStill(bytes, metadata, { width, height }, options, input);
    // An animation keeps one pipeline with every frame; it has WebP rungs only, and no tiles or swatches.
    const base = sharp(bytes, { ...input, animated: true }).toColourspace('srgb');
    const placeholder = await placeholderOf(
      sharp(bytes, input).autoOrient().toColourspace('srgb'),
      metadata.hasAlpha === true,
    );
    const kind: RenditionKind = 'animated';
    const variants: RenderedVariant[] = [];
    const rungs = options.rungs
      ? [...options.rungs].filter((rung) => rung <= width).sort((a, b) => b - a)
      : ladderFor(width, options.widths);
    for (const rung of rungs) {
      const resized = base.clone().resize({ width: rung, withoutEnlargement: true });
      const outputs = await Promise.all(
        formatsFor(kind)
          .filter((format) => !options.formats || options.formats.includes(format))
          .map(async (format) => {
            const { data, info } = await encodeVariant(resized.clone(), format, options, animated).toBuffer({
              resolveWithObject: true,
            });
            return {
              width: info.width,
              height: info.pageHeight ?? info.height,
              format,
              contentType: VARIANT_CONTENT_TYPES[format],
              body: data,
            };
          }),
      );
      variants.push(...outputs);
    }
    return {
      original: await publishedOriginal(bytes, metadata, options, input, animated),
      width,
      height,
      kind,
      variants,
      tiles: [],
      swatches: [],
      thumbhash: placeholder.thumbhash,
      dominantColor: placeholder.dominantColor,
    };
  } catch (error) {
    throw renderFailure(error);
  }
}
