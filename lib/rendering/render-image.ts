import sharp, { type Metadata, type Sharp } from 'sharp';
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
import { placeholderOf } from './placeholder';
import { RenderError, type RenderedVariant, type Rendition } from './rendition';
import { stripMetadata } from './strip-metadata';

export interface RenderOptions {
  /** The ladder's widths (`VARIANT_WIDTHS`). */
  widths: readonly number[];
  /** AVIF encoder effort, 0 (fastest) to 9; see the README for the measurements behind the default. */
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
}

const ANIMATABLE = new Set(['gif', 'webp']);

const megapixels = (pixels: number) => Number((pixels / 1_000_000).toFixed(pixels < 10_000_000 ? 1 : 0));
/** EXIF orientations 5 to 8 turn the image a quarter: its width is the stored height. */
const QUARTER_TURNS = new Set([5, 6, 7, 8]);

/** The lossy formats' encoder qualities (see `npm run bench -- quality` and the README). */
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
      return pipeline.jpeg({ mozjpeg: true, quality: quality.jpeg });
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
    const still = sharp(bytes, input).autoOrient().toColourspace('srgb');
    const placeholder = await placeholderOf(still.clone(), metadata.hasAlpha === true);
    const kind: RenditionKind = animated ? 'animated' : placeholder.transparent ? 'png' : 'jpeg';
    const base = animated ? sharp(bytes, { ...input, animated: true }).toColourspace('srgb') : still;
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
      thumbhash: placeholder.thumbhash,
      dominantColor: placeholder.dominantColor,
    };
  } catch (error) {
    throw renderFailure(error);
  }
}
