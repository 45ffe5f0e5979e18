import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import { loadVariantRouter } from '../../infra/cdn/variant-router';
import { type ImageView, type StoredImage, toImageView } from '../../lib/domain/image';
import {
  DEFAULT_TILE_SETTINGS,
  parseSwatchWidths,
  parseTileAspects,
  parseTileFill,
  parseTileWidths,
  tileHeight,
} from '../../lib/domain/storefront-slots';
import { type BorderAnalysis, type Rgba, tilePlan } from '../../lib/domain/tile-rule';
import { contentKeys, DEFAULT_VARIANT_WIDTHS, ladderFor } from '../../lib/domain/variant-ladder';
import { tileSetsOf } from '../../lib/pipeline/content-publisher';
import { analyseBorder } from '../../lib/rendering/border-analysis';
import { renderImage } from '../../lib/rendering/render-image';
import type { Rendition } from '../../lib/rendering/rendition';
import { FIXTURES_DIR, fixturesMissing, hasFixtures } from '../helpers/fixtures';
import { photoJpeg } from '../helpers/photos';

const options = { widths: DEFAULT_VARIANT_WIDTHS, avifEffort: 1, maxPixels: 100_000_000 };

/** A packshot: a product (a rounded box) on a plain backdrop, where asked, with a soft shadow under it. */
async function packshot(spec: {
  width: number;
  height: number;
  backdrop: string;
  product: { x: number; y: number; width: number; height: number };
  shadow?: boolean;
  quality?: number;
}): Promise<Buffer> {
  const { x, y, width, height } = spec.product;
  const shadow = spec.shadow
    ? `<ellipse cx="${x + width / 2}" cy="${y + height + 8}" rx="${width * 0.7}" ry="${Math.max(6, height * 0.06)}" fill="#000" fill-opacity="0.25" filter="url(#blur)"/>`
    : '';
  const svg = `<svg xmlns="http://www.w3.org/2000/svg" width="${spec.width}" height="${spec.height}">
    <defs><filter id="blur"><feGaussianBlur stdDeviation="6"/></filter></defs>
    <rect width="100%" height="100%" fill="${spec.backdrop}"/>${shadow}
    <rect x="${x}" y="${y}" width="${width}" height="${height}" rx="12" fill="#2a6fd6"/></svg>`;
  return sharp(Buffer.from(svg))
    .jpeg({ quality: spec.quality ?? 85 })
    .toBuffer();
}

/** The box of pixels unlike the tile's corner colour, by more than JPEG noise. */
async function productBox(body: Buffer) {
  const { data, info } = await sharp(body).removeAlpha().raw().toBuffer({ resolveWithObject: true });
  return analyseBorder({ data, width: info.width, height: info.height, channels: info.channels });
}

function jpegTile(rendition: Rendition, width: number) {
  return rendition.tiles.find((tile) => tile.format === 'jpeg' && tile.width === width);
}

describe('the tile rule (pure)', () => {
  const aspects = fc.record({
    width: fc.integer({ min: 1, max: 8 }),
    height: fc.integer({ min: 1, max: 8 }),
  });
  const colour = fc.tuple(
    fc.integer({ min: 0, max: 255 }),
    fc.integer({ min: 0, max: 255 }),
    fc.integer({ min: 0, max: 255 }),
    fc.integer({ min: 0, max: 255 }),
  ) as fc.Arbitrary<Rgba>;
  const sized = fc.record({
    width: fc.integer({ min: 1, max: 6000 }),
    height: fc.integer({ min: 1, max: 6000 }),
  });
  const borders = (size: { width: number; height: number }): fc.Arbitrary<BorderAnalysis> =>
    fc.oneof(
      colour.map((edgeColour) => ({ kind: 'photo' as const, edgeColour })),
      fc
        .tuple(
          colour,
          fc.integer({ min: 0, max: size.width - 1 }),
          fc.integer({ min: 0, max: size.height - 1 }),
          fc.integer({ min: 1, max: size.width }),
          fc.integer({ min: 1, max: size.height }),
        )
        .map(([background, left, top, width, height]) => ({
          kind: 'packshot' as const,
          background,
          content: {
            left,
            top,
            width: Math.min(width, size.width - left),
            height: Math.min(height, size.height - top),
          },
        })),
    );

  it('holds for any size, aspect and background: exact tiles, inside the image, never enlarged, filled as asked', () => {
    fc.assert(
      fc.property(
        sized.chain((size) => fc.tuple(fc.constant(size), borders(size))),
        aspects,
        fc.integer({ min: 50, max: 100 }),
        fc.uniqueArray(fc.integer({ min: 16, max: 2000 }), { minLength: 1, maxLength: 6 }),
        ([size, border], aspect, fill, widths) => {
          const tiles = tilePlan(size, border, aspect, fill, widths);
          expect(tiles.length).toBeGreaterThan(0);
          for (const tile of tiles) {
            expect(tile.tile.height).toBe(tileHeight(aspect, tile.tile.width));
            const { region, placed, offset } = tile;
            expect(region.left).toBeGreaterThanOrEqual(0);
            expect(region.top).toBeGreaterThanOrEqual(0);
            expect(region.left + region.width).toBeLessThanOrEqual(size.width);
            expect(region.top + region.height).toBeLessThanOrEqual(size.height);
            expect(offset.left + placed.width).toBeLessThanOrEqual(tile.tile.width);
            expect(offset.top + placed.height).toBeLessThanOrEqual(tile.tile.height);
            // Never enlarged beyond its own pixels (a pixel of rounding aside).
            expect(placed.width).toBeLessThanOrEqual(region.width + 1);
            expect(placed.height).toBeLessThanOrEqual(region.height + 1);
            // Centred: the margins on either side differ by a pixel at most.
            const right = tile.tile.width - placed.width - offset.left;
            const bottom = tile.tile.height - placed.height - offset.top;
            expect(Math.abs(right - offset.left)).toBeLessThanOrEqual(1);
            expect(Math.abs(bottom - offset.top)).toBeLessThanOrEqual(1);
            if (border.kind === 'packshot') {
              expect(tile.background).toEqual(border.background);
              // The product fills the share asked for of the constraining side, unless it is too small to.
              const filled = Math.max(placed.width / tile.tile.width, placed.height / tile.tile.height);
              const ownPixels = placed.width >= region.width - 1 || placed.height >= region.height - 1;
              if (!ownPixels || tiles.length > 1 || widths.some((width) => width === tile.tile.width)) {
                expect(filled).toBeLessThanOrEqual(
                  fill / 100 + 2 / Math.min(tile.tile.width, tile.tile.height),
                );
              }
            } else if (tile.mode === 'cover') {
              expect(placed).toEqual(tile.tile);
            } else {
              // A photo far from the tile's aspect is shown whole.
              expect(region).toEqual({ left: 0, top: 0, width: size.width, height: size.height });
            }
          }
          // The configured rungs it can fill, or one tile of its own size.
          const configured = tiles.every((tile) => widths.includes(tile.tile.width));
          expect(configured || tiles.length === 1).toBe(true);
        },
      ),
      { numRuns: 500 },
    );
  });

  it('crops a photo within 25 % of the tile aspect, pads one further off', () => {
    const square = { width: 1, height: 1 };
    const photo: BorderAnalysis = { kind: 'photo', edgeColour: [10, 20, 30, 255] };
    expect(tilePlan({ width: 1000, height: 1200 }, photo, square, 90, [360])[0]?.mode).toBe('cover');
    expect(tilePlan({ width: 1200, height: 1600 }, photo, square, 90, [360])[0]?.mode).toBe('pad');
    expect(tilePlan({ width: 1920, height: 1080 }, photo, square, 90, [360])[0]).toMatchObject({
      mode: 'pad',
      placed: { width: 360, height: 203 },
      offset: { left: 0, top: 78 },
      background: [10, 20, 30, 255],
    });
  });

  it('gives a small original only the tiles it can fill, or one at its own size', () => {
    const photo: BorderAnalysis = { kind: 'photo', edgeColour: [0, 0, 0, 255] };
    const square = { width: 1, height: 1 };
    expect(
      tilePlan({ width: 500, height: 500 }, photo, square, 90, [180, 360, 540, 720]).map((t) => t.tile.width),
    ).toEqual([180, 360]);
    expect(
      tilePlan({ width: 100, height: 100 }, photo, square, 90, [180, 360]).map((t) => t.tile.width),
    ).toEqual([100]);
  });

  it('reads TILE_ASPECTS, TILE_WIDTHS, TILE_FILL and SWATCH_WIDTHS, and refuses nonsense', () => {
    expect(parseTileAspects(undefined)).toEqual([{ width: 1, height: 1 }]);
    expect(parseTileAspects('1:1, 4:5,1:1')).toEqual([
      { width: 1, height: 1 },
      { width: 4, height: 5 },
    ]);
    expect(parseTileWidths('720,360')).toEqual([360, 720]);
    expect(parseTileFill('0.85')).toBe(85);
    expect(parseSwatchWidths(undefined)).toEqual([64, 128, 192]);
    expect(DEFAULT_TILE_SETTINGS.widths.some((width) => width >= 360 && width <= 832)).toBe(true);
    for (const bad of ['1', '0:1', '1:0', '1:9', 'a:b', '1:1,2:1,3:1,4:1,1:2']) {
      expect(() => parseTileAspects(bad)).toThrow(/TILE_ASPECTS/);
    }
    for (const bad of ['0', '8', '0.4', '1.1', 'x']) expect(() => parseTileFill(bad)).toThrow(/TILE_FILL/);
    for (const bad of ['0', '10', '5000', 'a', '1,2,3,4,5,6,7,8,9']) {
      expect(() => parseTileWidths(bad)).toThrow(/TILE_WIDTHS/);
    }
  });
});

describe('tiles and swatches rendered with sharp', () => {
  const cases = [
    { name: 'white, centred', backdrop: '#ffffff', product: { x: 500, y: 300, width: 600, height: 600 } },
    {
      name: 'light grey, off-centre',
      backdrop: '#eeeeee',
      product: { x: 200, y: 250, width: 400, height: 600 },
    },
    {
      name: 'touching the left edge',
      backdrop: '#ffffff',
      product: { x: 0, y: 300, width: 500, height: 500 },
    },
    {
      name: 'with a soft shadow',
      backdrop: '#f2f2f2',
      product: { x: 300, y: 200, width: 500, height: 600 },
      shadow: true,
    },
    {
      name: 'JPEG-noisy',
      backdrop: '#fafafa',
      product: { x: 700, y: 400, width: 500, height: 400 },
      quality: 35,
    },
  ];

  it.each(cases)(
    'a packshot ($name) is trimmed, centred and filled to 90 % on its own backdrop',
    async (spec) => {
      const source = await packshot({ width: 1600, height: 1200, ...spec });
      const rendition = await renderImage(source, options);
      const tile = jpegTile(rendition, 360);
      expect(tile).toMatchObject({ width: 360, height: 360, aspect: '1:1', set: '1x1f90' });
      const found = await productBox(tile?.body ?? Buffer.alloc(0));
      expect(found.kind).toBe('packshot');
      if (found.kind !== 'packshot') return;
      const { content, background } = found;
      const expected = Number.parseInt(spec.backdrop.slice(1, 3), 16);
      expect(Math.abs((background[0] as number) - expected)).toBeLessThanOrEqual(4);
      // The constraining side fills 90 % (JPEG's blur of the edge aside); the box is centred.
      expect(Math.max(content.width, content.height) / 360).toBeGreaterThan(0.86);
      expect(Math.max(content.width, content.height) / 360).toBeLessThan(0.94);
      expect(Math.abs(content.left + content.width / 2 - 180)).toBeLessThanOrEqual(4);
      expect(Math.abs(content.top + content.height / 2 - 180)).toBeLessThanOrEqual(4);
    },
    30_000,
  );

  it('keeps a packshot shadow inside the tile', async () => {
    const source = await packshot({
      width: 1600,
      height: 1200,
      backdrop: '#ffffff',
      product: { x: 300, y: 200, width: 500, height: 600 },
      shadow: true,
    });
    const border = await productBox(source);
    expect(border.kind).toBe('packshot');
    // The shadow reaches below the product: the content box does too.
    if (border.kind === 'packshot') expect(border.content.top + border.content.height).toBeGreaterThan(808);
  });

  it.skipIf(!hasFixtures)(
    `real photos at 3:4 and 4:3 are padded whole on their edge colour (${fixturesMissing})`,
    async () => {
      const portrait = readFileSync(join(FIXTURES_DIR, 'images/exif-tests_28-hex_value.jpg'));
      const rendition = await renderImage(portrait, options);
      expect(rendition).toMatchObject({ width: 1704, height: 2272 });
      const tile = jpegTile(rendition, 720);
      expect(tile).toMatchObject({ width: 720, height: 720 });
      // 3:4 into 1:1 is more than 25 % off: the photo is shown whole, 540 × 720, centred.
      const { data } = await sharp(tile?.body).raw().toBuffer({ resolveWithObject: true });
      const at = (x: number, y: number) => data.subarray((y * 720 + x) * 3, (y * 720 + x) * 3 + 3);
      // Both margins (90 px each side) are the same edge colour.
      const left = [...at(10, 360)];
      const right = [...at(710, 360)];
      for (const [index, value] of left.entries())
        expect(Math.abs(value - (right[index] as number))).toBeLessThanOrEqual(6);
      const landscape = readFileSync(join(FIXTURES_DIR, 'images/exif-hdr_iphone_hdr_YES.jpg'));
      const wide = await renderImage(landscape, options);
      expect(jpegTile(wide, 720)).toMatchObject({ width: 720, height: 720 });
    },
  );

  it('16:9 photo tiles and a 3:4 crop within tolerance', async () => {
    const wide = await renderImage(await photoJpeg(1920, 1080), options);
    expect(
      wide.tiles.filter((tile) => tile.format === 'avif').map((tile) => `${tile.width}x${tile.height}`),
    ).toEqual(['180x180', '360x360', '540x540', '720x720']);
    const near = await renderImage(await photoJpeg(1000, 1200), {
      ...options,
      tiles: { ...DEFAULT_TILE_SETTINGS, aspects: [{ width: 4, height: 5 }] },
    });
    expect(
      near.tiles
        .filter((tile) => tile.format === 'jpeg')
        .map((tile) => `${tile.set} ${tile.width}x${tile.height}`),
    ).toEqual(['4x5f90 180x225', '4x5f90 360x450', '4x5f90 540x675', '4x5f90 720x900']);
  }, 30_000);

  it('a tiny original gets one tile and one swatch at its own size; swatches are square centre crops', async () => {
    const tiny = await renderImage(await photoJpeg(100, 80), options);
    // 5:4 is within 25 % of 1:1: cropped to its 80 px square, at its own pixels.
    expect(tiny.tiles.filter((tile) => tile.format === 'jpeg').map((tile) => tile.width)).toEqual([80]);
    const small = await renderImage(await photoJpeg(200, 100), options);
    expect(small.tiles.filter((tile) => tile.format === 'jpeg').map((tile) => tile.width)).toEqual([180]);
    expect(
      tiny.swatches
        .filter((swatch) => swatch.format === 'jpeg')
        .map((swatch) => [swatch.width, swatch.height]),
    ).toEqual([[64, 64]]);
    const smaller = await renderImage(await photoJpeg(50, 40), options);
    expect(
      smaller.swatches.filter((swatch) => swatch.format === 'jpeg').map((swatch) => swatch.width),
    ).toEqual([40]);
    const photo = await renderImage(await photoJpeg(800, 600), options);
    expect(photo.swatches.map((swatch) => `${swatch.width}x${swatch.height}.${swatch.format}`)).toEqual(
      [64, 128, 192].flatMap((width) => [
        `${width}x${width}.avif`,
        `${width}x${width}.webp`,
        `${width}x${width}.jpeg`,
      ]),
    );
    for (const swatch of photo.swatches) {
      const metadata = await sharp(swatch.body).metadata();
      expect([metadata.width, metadata.height]).toEqual([swatch.width, swatch.width]);
    }
    // The red block sits in the photo's top-left quarter: a centre crop of 600 × 600 keeps it at its left.
    const { data } = await sharp(photo.swatches.find((s) => s.width === 192 && s.format === 'jpeg')?.body)
      .raw()
      .toBuffer({ resolveWithObject: true });
    expect(data[(10 * 192 + 10) * 3]).toBeGreaterThan(150);
  }, 30_000);
});

describe('the CDN function with rungs, tiles and swatches together', () => {
  const route = loadVariantRouter();
  const SHA = 'cd'.repeat(32);
  const AVIF = 'image/avif,image/webp,*/*';

  function requestOf(uri: string, query: Record<string, string>, accept = AVIF) {
    return route({
      uri,
      querystring: Object.fromEntries(Object.entries(query).map(([name, value]) => [name, { value }])),
      headers: { accept: { value: accept } },
    });
  }

  it('routes ?width&height to the nearest tile set, ?width alone to the ladder, a swatch view to its swatches', () => {
    const key = `/${contentKeys.original(SHA, 'jpeg', [160, 352, 832], {
      tiles: [
        { set: '1x1f90', widths: [180, 360, 540, 720] },
        { set: '4x5f90', widths: [180, 360] },
      ],
      swatches: [64, 128, 192],
    })}`;
    expect(key).toBe(`/o/${SHA}/jpeg/160-352-832/1x1f90-180-360-540-720/4x5f90-180-360/s64-128-192`);
    expect(requestOf(key, { width: '400', height: '400' }).uri).toBe(`/v/${SHA}/1x1f90/540.avif`);
    expect(requestOf(key, { width: '400', height: '410' }).uri).toBe(`/v/${SHA}/1x1f90/540.avif`);
    expect(requestOf(key, { width: '400', height: '500' }).uri).toBe(`/v/${SHA}/4x5f90/360.avif`);
    expect(requestOf(key, { width: '1000', height: '1000' }, '').uri).toBe(`/v/${SHA}/1x1f90/720.jpeg`);
    // 16:9 is near no tile set: the plain rendition.
    expect(requestOf(key, { width: '400', height: '225' }).uri).toBe(`/v/${SHA}/832.avif`);
    expect(requestOf(key, { width: '400' }).uri).toBe(`/v/${SHA}/832.avif`);
    expect(requestOf(key, {}).uri).toBe(key);
    expect(requestOf(`${key}/swatch`, { width: '64' }, 'image/webp').uri).toBe(`/v/${SHA}/s/64.webp`);
    expect(requestOf(`${key}/swatch`, { width: '100', height: '100' }).uri).toBe(`/v/${SHA}/s/128.avif`);
    expect(requestOf(`${key}/swatch`, {}).uri).toBe(key);
  });

  it('only ever names objects a render made (fast-check over originals, settings and requests)', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 6000 }),
        fc.integer({ min: 1, max: 6000 }),
        fc.uniqueArray(fc.integer({ min: 16, max: 1200 }), { minLength: 1, maxLength: 4 }),
        fc.uniqueArray(fc.integer({ min: 16, max: 400 }), { minLength: 1, maxLength: 3 }),
        fc.subarray(['1:1', '4:5', '3:4', '2:3']),
        fc.boolean(),
        fc.option(fc.integer({ min: 1, max: 9000 })),
        fc.option(fc.integer({ min: 1, max: 9000 })),
        fc.constantFrom('image/avif,image/webp', 'image/webp', ''),
        (
          width,
          height,
          tileWidths,
          swatchWidths,
          aspectNames,
          swatchView,
          askedWidth,
          askedHeight,
          accept,
        ) => {
          const photo: BorderAnalysis = { kind: 'photo', edgeColour: [0, 0, 0, 255] };
          const tiles = aspectNames.flatMap((name) => {
            const [w = 1, h = 1] = name.split(':').map(Number);
            const set = `${w}x${h}f90`;
            return tilePlan({ width, height }, photo, { width: w, height: h }, 90, tileWidths).map(
              (tile) => ({
                width: tile.tile.width,
                set,
                aspect: name,
              }),
            );
          });
          const rungs = ladderFor(width, DEFAULT_VARIANT_WIDTHS);
          const shorter = Math.min(width, height);
          const fitting = swatchWidths.filter((rung) => rung <= shorter);
          const swatches = fitting.length > 0 ? fitting : [shorter];
          const tileSets = tileSetsOf({
            tiles: tiles.map((tile) => ({
              ...tile,
              height: 0,
              format: 'avif',
              contentType: '',
              body: Buffer.alloc(0),
            })),
          });
          const key = `/${contentKeys.original(SHA, 'jpeg', rungs, { tiles: tileSets, swatches })}`;
          const existing = new Set<string>([key]);
          for (const format of ['avif', 'webp', 'jpeg'] as const) {
            for (const rung of rungs) existing.add(`/${contentKeys.variant(SHA, rung, format)}`);
            for (const tile of tiles) existing.add(`/${contentKeys.tile(SHA, tile.set, tile.width, format)}`);
            for (const swatch of swatches) existing.add(`/${contentKeys.swatch(SHA, swatch, format)}`);
          }
          const query: Record<string, string> = {};
          if (askedWidth !== null) query.width = String(askedWidth);
          if (askedHeight !== null) query.height = String(askedHeight);
          const answer = requestOf(swatchView ? `${key}/swatch` : key, query, accept);
          expect(existing.has(answer.uri)).toBe(true);
        },
      ),
      { numRuns: 1000 },
    );
  });
});

describe('answers list tiles, and a swatch shows its swatch rungs', () => {
  const sha = 'ef'.repeat(32);
  const stored: StoredImage = {
    id: 7,
    url: 'https://shop.example/shirt.jpg',
    order: 0,
    image_type: 'default',
    status: 'ready',
    object_key: `o/${sha}/jpeg/160-352/1x1f90-180-360/s64-128-192`,
    content_sha256: sha,
    variants: [
      { width: 352, height: 264, format: 'avif' },
      { width: 352, height: 264, format: 'jpeg' },
    ],
    tiles: [{ aspect: '1:1', set: '1x1f90', widths: [180, 360] }],
    swatches: [64, 128, 192],
  };
  const view = (image: StoredImage): ImageView => toImageView(image, { cdnBaseUrl: 'https://cdn.test' });

  it('lists each tile with its url; a swatch lists square swatch rungs under a swatch cdn_url', () => {
    const photo = view(stored);
    expect(photo.cdn_url).toBe(`https://cdn.test/${stored.object_key}`);
    expect(photo.tiles).toEqual([
      {
        aspect: '1:1',
        width: 180,
        height: 180,
        format: 'avif',
        url: `https://cdn.test/v/${sha}/1x1f90/180.avif`,
      },
      {
        aspect: '1:1',
        width: 180,
        height: 180,
        format: 'jpeg',
        url: `https://cdn.test/v/${sha}/1x1f90/180.jpeg`,
      },
      {
        aspect: '1:1',
        width: 360,
        height: 360,
        format: 'avif',
        url: `https://cdn.test/v/${sha}/1x1f90/360.avif`,
      },
      {
        aspect: '1:1',
        width: 360,
        height: 360,
        format: 'jpeg',
        url: `https://cdn.test/v/${sha}/1x1f90/360.jpeg`,
      },
    ]);
    const swatch = view({ ...stored, image_type: 'swatch' });
    expect(swatch.cdn_url).toBe(`https://cdn.test/${stored.object_key}/swatch`);
    expect(swatch.tiles).toEqual([]);
    expect(swatch.variants.map((variant) => `${variant.width}x${variant.height}.${variant.format}`)).toEqual([
      '192x192.avif',
      '192x192.jpeg',
      '128x128.avif',
      '128x128.jpeg',
      '64x64.avif',
      '64x64.jpeg',
    ]);
    // A content rendered before swatches existed: the swatch keeps its ladder until it is re-rendered.
    const older = view({ ...stored, image_type: 'swatch', swatches: undefined, tiles: undefined });
    expect(older.cdn_url).toBe(`https://cdn.test/${stored.object_key}`);
    expect(older.variants).toHaveLength(2);
  });
});
