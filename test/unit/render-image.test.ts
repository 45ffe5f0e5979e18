import { crc32 } from 'node:zlib';
import fc from 'fast-check';
import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import {
  DEFAULT_VARIANT_WIDTHS,
  formatsFor,
  ladderFor,
  parseVariantWidths,
  rungFor,
} from '../../lib/domain/variant-ladder';
import { renderImage } from '../../lib/rendering/render-image';
import { DEFAULT_MAX_PIXELS, RenderError, type Rendition } from '../../lib/rendering/rendition';
import { stripMetadata } from '../../lib/rendering/strip-metadata';
import { alphaPng, animatedGif, hasGpsTag, photoJpeg } from '../helpers/photos';

const options = { widths: DEFAULT_VARIANT_WIDTHS, avifEffort: 3, maxPixels: DEFAULT_MAX_PIXELS };

/** Every variant decodes to the size and format it claims, with no metadata left in it. */
async function expectDecodable(rendition: Rendition): Promise<void> {
  for (const variant of rendition.variants) {
    const metadata = await sharp(variant.body, { animated: true }).metadata();
    expect(metadata.format).toBe(variant.format === 'avif' ? 'heif' : variant.format);
    expect(metadata.width).toBe(variant.width);
    expect(metadata.pageHeight ?? metadata.height).toBe(variant.height);
    expect(metadata.exif).toBeUndefined();
    expect(metadata.xmp).toBeUndefined();
    expect(metadata.orientation ?? 1).toBe(1);
  }
}

describe('the ladder', () => {
  it('never upscales, gives an original its own width as a rung unless a rung is within 10 %, and lists largest first', () => {
    expect(ladderFor(4000, DEFAULT_VARIANT_WIDTHS)).toEqual([1920, 1200, 832, 352, 160]);
    expect(ladderFor(1920, DEFAULT_VARIANT_WIDTHS)).toEqual([1920, 1200, 832, 352, 160]);
    expect(ladderFor(1600, DEFAULT_VARIANT_WIDTHS)).toEqual([1600, 1200, 832, 352, 160]);
    expect(ladderFor(1300, DEFAULT_VARIANT_WIDTHS)).toEqual([1200, 832, 352, 160]);
    expect(ladderFor(1000, DEFAULT_VARIANT_WIDTHS)).toEqual([1000, 832, 352, 160]);
    expect(ladderFor(924, DEFAULT_VARIANT_WIDTHS)).toEqual([832, 352, 160]);
    expect(ladderFor(925, DEFAULT_VARIANT_WIDTHS)).toEqual([925, 832, 352, 160]);
    expect(ladderFor(800, DEFAULT_VARIANT_WIDTHS)).toEqual([800, 352, 160]);
    expect(ladderFor(352, DEFAULT_VARIANT_WIDTHS)).toEqual([352, 160]);
    expect(ladderFor(200, DEFAULT_VARIANT_WIDTHS)).toEqual([200, 160]);
    expect(ladderFor(160, DEFAULT_VARIANT_WIDTHS)).toEqual([160]);
    expect(ladderFor(159, DEFAULT_VARIANT_WIDTHS)).toEqual([159]);
    expect(ladderFor(1, DEFAULT_VARIANT_WIDTHS)).toEqual([1]);
  });

  it('holds for any ladder and original: rungs within the original, a rung for every slot', () => {
    fc.assert(
      fc.property(
        fc.uniqueArray(fc.integer({ min: 1, max: 5000 }), { minLength: 1, maxLength: 8 }),
        fc.integer({ min: 1, max: 10000 }),
        fc.integer({ min: 1, max: 20000 }),
        (widths, original, slot) => {
          const ladder = ladderFor(original, widths);
          expect(ladder.length).toBeGreaterThan(0);
          expect(ladder.every((width) => width <= original)).toBe(true);
          expect([...ladder].sort((a, b) => b - a)).toEqual(ladder);
          const rung = rungFor(ladder, slot);
          expect(ladder).toContain(rung);
          if (rung < slot) expect(rung).toBe(Math.max(...ladder));
          expect(rung).toBeGreaterThanOrEqual(0.9 * Math.min(slot, original, Math.max(...widths)));
        },
      ),
    );
  });

  it('picks formats by kind: AVIF, WebP and the fallback; WebP alone for animations', () => {
    expect(formatsFor('jpeg')).toEqual(['avif', 'webp', 'jpeg']);
    expect(formatsFor('png')).toEqual(['avif', 'webp', 'png']);
    expect(formatsFor('animated')).toEqual(['webp']);
    expect(formatsFor('original')).toEqual([]);
  });

  it('reads VARIANT_WIDTHS and refuses nonsense', () => {
    expect(parseVariantWidths(undefined)).toEqual([160, 352, 832, 1200, 1920]);
    expect(parseVariantWidths('640, 320,640')).toEqual([320, 640]);
    for (const bad of ['0', 'a,b', '1.5', '9000', ','])
      expect(() => parseVariantWidths(bad)).toThrow(/VARIANT_WIDTHS/);
  });
});

describe('rendering with sharp', () => {
  it('renders every rung of an opaque photo in AVIF, WebP and JPEG, largest first', async () => {
    const rendition = await renderImage(await photoJpeg(2000, 1000), options);
    expect(rendition).toMatchObject({ width: 2000, height: 1000, kind: 'jpeg' });
    expect(rendition.variants.map((variant) => `${variant.width}.${variant.format}`)).toEqual(
      [1920, 1200, 832, 352, 160].flatMap((width) => [`${width}.avif`, `${width}.webp`, `${width}.jpeg`]),
    );
    expect(rendition.variants.find((variant) => variant.width === 832)?.height).toBe(416);
    await expectDecodable(rendition);
    expect(rendition.thumbhash).toMatch(/^[A-Za-z0-9+/]+=*$/);
    expect(rendition.dominantColor).toMatch(/^#[0-9a-f]{6}$/);
  });

  it('applies EXIF orientation, and publishes neither GPS nor camera tags', async () => {
    const source = await photoJpeg(1600, 900, { orientation: 6, gps: true });
    expect(hasGpsTag((await sharp(source).metadata()).exif)).toBe(true);
    const rendition = await renderImage(source, options);
    expect(rendition).toMatchObject({ width: 900, height: 1600 });
    expect(rendition.variants.map((variant) => [variant.width, variant.height])).toContainEqual([832, 1479]);
    await expectDecodable(rendition);
    // The top-left red block of the stored image is the top-right one once turned.
    const top = await sharp(rendition.variants[0]?.body)
      .extract({ left: 700, top: 10, width: 1, height: 1 })
      .raw()
      .toBuffer();
    expect(top[0]).toBeGreaterThan(180);
    // The published original keeps its pixels and its orientation, and loses everything else.
    const original = await sharp(rendition.original.body).metadata();
    expect(hasGpsTag(original.exif)).toBe(false);
    expect(original.orientation).toBe(6);
    expect(rendition.original.body.length).toBeLessThan(source.length);
    expect(rendition.original.contentType).toBe('image/jpeg');
  });

  it('falls back to PNG for an image with transparency, and to JPEG when its alpha is opaque', async () => {
    const transparent = await renderImage(await alphaPng(200, 100), options);
    expect(transparent).toMatchObject({ kind: 'png', width: 200, height: 100 });
    expect(transparent.variants.map((variant) => `${variant.width}.${variant.format}`)).toEqual([
      '200.avif',
      '200.webp',
      '200.png',
      '160.avif',
      '160.webp',
      '160.png',
    ]);
    expect((await sharp(transparent.variants[2]?.body).metadata()).hasAlpha).toBe(true);
    await expectDecodable(transparent);
    expect((await renderImage(await alphaPng(200, 100, true), options)).kind).toBe('jpeg');
  });

  it('keeps an animated GIF animated, in WebP only, and serves the GIF itself as the fallback', async () => {
    const source = await animatedGif(500, 300, 3);
    const rendition = await renderImage(source, options);
    expect(rendition).toMatchObject({ kind: 'animated', width: 500, height: 300 });
    expect(rendition.variants.map((variant) => `${variant.width}.${variant.format}`)).toEqual([
      '500.webp',
      '352.webp',
      '160.webp',
    ]);
    expect((await sharp(rendition.variants[0]?.body, { animated: true }).metadata()).pages).toBe(3);
    await expectDecodable(rendition);
    expect(rendition.original.body.equals(source)).toBe(true);
  });

  it('refuses a decompression bomb from its header, before decoding a pixel', async () => {
    // A real 100 × 100 PNG whose header is changed to claim 20,000 × 20,000 pixels (400 MP).
    const header = Buffer.from(
      await sharp({ create: { width: 100, height: 100, channels: 3, background: 'red' } })
        .png()
        .toBuffer(),
    );
    header.writeUInt32BE(20_000, 16);
    header.writeUInt32BE(20_000, 20);
    header.writeUInt32BE(crc32(header.subarray(12, 29)), 29);
    const refused = renderImage(header, options);
    await expect(refused).rejects.toBeInstanceOf(RenderError);
    await expect(refused).rejects.toMatchObject({ reason: 'image over 100 megapixels' });
  });

  it('counts every frame of an animation against the pixel limit', async () => {
    const source = await animatedGif(300, 200, 3);
    const limited = { ...options, maxPixels: 120_000 };
    await expect(renderImage(source, limited)).rejects.toMatchObject({
      reason: 'animation over 0.1 megapixels in all',
    });
    expect((await renderImage(await photoJpeg(300, 200), limited)).kind).toBe('jpeg');
  });

  it('fails a valid header over truncated data with a short reason', async () => {
    const whole = await photoJpeg(800, 600);
    await expect(
      renderImage(whole.subarray(0, Math.floor(whole.length * 0.6)), options),
    ).rejects.toMatchObject({
      name: 'RenderError',
      reason: 'image data truncated',
    });
  });
});

describe('metadata stripping without re-encoding', () => {
  it('drops PNG text chunks and WebP EXIF, leaving the pixels alone', async () => {
    const tagged = await sharp(await alphaPng(40, 20))
      .withExif({ IFD0: { Artist: 'someone' } })
      .png()
      .toBuffer();
    const png = stripMetadata(tagged, 'png', 1);
    expect(png).not.toBeNull();
    expect((await sharp(png as Buffer).metadata()).exif).toBeUndefined();
    const webp = await sharp(await photoJpeg(40, 20))
      .withExif({ IFD0: { Artist: 'someone' } })
      .webp()
      .toBuffer();
    const stripped = stripMetadata(webp, 'webp', 1) as Buffer;
    expect((await sharp(webp).metadata()).exif).toBeDefined();
    expect((await sharp(stripped).metadata()).exif).toBeUndefined();
    expect(await sharp(stripped).raw().toBuffer()).toEqual(await sharp(webp).raw().toBuffer());
  });

  it('answers null for what it cannot walk, so the caller re-encodes', () => {
    expect(stripMetadata(Buffer.from('not a jpeg'), 'jpeg', 1)).toBeNull();
    expect(stripMetadata(Buffer.from([0xff, 0xd8, 0xff, 0xe1, 0xff, 0xff]), 'jpeg', 1)).toBeNull();
    expect(stripMetadata(Buffer.alloc(10), 'gif', 1)).toBeNull();
  });
});
