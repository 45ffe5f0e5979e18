import type { AttributeValue } from '@aws-sdk/client-dynamodb';
import { marshall } from '@aws-sdk/util-dynamodb';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../lib/config';
import type { StoredImage } from '../../lib/domain/image';
import {
  DEFAULT_SWATCH_WIDTHS,
  DEFAULT_TILE_SETTINGS,
  MAX_SLOT_WIDTHS,
  MAX_TILE_ASPECTS,
  type TileAspect,
  tileSetName,
} from '../../lib/domain/storefront-slots';
import { MAX_URL_LENGTH } from '../../lib/domain/validation';
import {
  contentKeys,
  DEFAULT_VARIANT_WIDTHS,
  formatsFor,
  MAX_LADDER_WIDTHS,
} from '../../lib/domain/variant-ladder';

/** DynamoDB's own item size rules: names and strings in UTF-8 bytes, numbers by digits, 3 bytes a map or list, 1 an element. */
function sizeOf(value: AttributeValue): number {
  if (value.S !== undefined) return Buffer.byteLength(value.S);
  if (value.N !== undefined) return Math.ceil(value.N.replace(/^-|\.|^0+/g, '').length / 2) + 1;
  if (value.BOOL !== undefined || value.NULL !== undefined) return 1;
  if (value.L) return 3 + value.L.reduce((sum, item) => sum + 1 + sizeOf(item), 0);
  if (value.M)
    return (
      3 +
      Object.entries(value.M).reduce(
        (sum, [name, item]) => sum + Buffer.byteLength(name) + 1 + sizeOf(item),
        0,
      )
    );
  if (value.NS) return value.NS.reduce((sum, n) => sum + Math.ceil(n.length / 2) + 1, 0);
  if (value.SS) return value.SS.reduce((sum, s) => sum + Buffer.byteLength(s), 0);
  throw new Error(`unsized attribute ${JSON.stringify(value)}`);
}

function itemBytes(item: Record<string, unknown>): number {
  const marshalled = marshall(item, { removeUndefinedValues: true });
  return Object.entries(marshalled).reduce(
    (sum, [name, value]) => sum + Buffer.byteLength(name) + sizeOf(value),
    0,
  );
}

/** The largest image an item can hold: a 2,048-character URL, ready, with every rendition listed. */
function worstImage(
  id: number,
  ladder: readonly number[],
  aspects: readonly TileAspect[],
  tileWidths: readonly number[],
  swatches: readonly number[],
): StoredImage {
  const sha = 'f'.repeat(64);
  const rungs = [...ladder].map((width) => (width + 1000 > 9999 ? width : width));
  const tiles = aspects.map((aspect) => ({
    aspect: `${aspect.width}:${aspect.height}`,
    set: tileSetName(aspect, 100),
    widths: [...tileWidths],
  }));
  return {
    id: 9_000_000_000 + id,
    url: `https://images.example.com/${'x'.repeat(MAX_URL_LENGTH - 27)}`,
    order: 2_147_483_647,
    image_type: 'default',
    status: 'ready',
    requested_at: '2026-12-07T12:00:00.000Z',
    object_key: contentKeys.original(sha, 'jpeg', rungs, { tiles, swatches }),
    width: 12_000,
    height: 9_000,
    bytes: 20 * 1024 * 1024,
    content_type: 'image/jpeg',
    content_sha256: sha,
    thumbhash: 'A'.repeat(40),
    dominant_color: '#aabbcc',
    attempts: 3,
    variants: rungs.flatMap((width) => formatsFor('jpeg').map((format) => ({ width, height: 9999, format }))),
    tiles,
    swatches: [...swatches],
  };
}

function setItem(images: StoredImage[]) {
  return {
    pk: `sku#${'s'.repeat(255)}`,
    sk: 'images',
    sku: 's'.repeat(255),
    version: 'v'.repeat(16),
    revision: 1_000_000,
    images,
  };
}

describe('the SKU item within DynamoDB 400 KB', () => {
  const limit = 400 * 1024;
  const images = loadConfig({
    TABLE_NAME: 't',
    CDN_BASE_URL: 'https://cdn.test',
    PAGE_CURSOR_KEY: 'k'.repeat(16),
  }).maxImagesPerSku;

  it('holds MAX_IMAGES_PER_SKU images with 2,048-character URLs and every rendition of the default settings listed', () => {
    const all = Array.from({ length: images }, (_, id) =>
      worstImage(
        id,
        DEFAULT_VARIANT_WIDTHS,
        DEFAULT_TILE_SETTINGS.aspects,
        DEFAULT_TILE_SETTINGS.widths,
        DEFAULT_SWATCH_WIDTHS,
      ),
    );
    const bytes = itemBytes(setItem(all));
    // docs/design.md (The item's size) quotes this figure.
    expect(bytes).toBeLessThan(limit);
    expect(bytes).toBeGreaterThan(images * MAX_URL_LENGTH);
  });

  it('holds them with the largest settings the parsers accept: 10 rungs, 2 tile aspects of 6 widths, 6 swatches', () => {
    const ladder = Array.from({ length: MAX_LADDER_WIDTHS }, (_, i) => 8192 - i);
    const aspects = [
      { width: 32, height: 31 },
      { width: 31, height: 32 },
    ].slice(0, MAX_TILE_ASPECTS);
    const widths = Array.from({ length: MAX_SLOT_WIDTHS }, (_, i) => 4096 - i);
    const all = Array.from({ length: images }, (_, id) => worstImage(id, ladder, aspects, widths, widths));
    expect(itemBytes(setItem(all))).toBeLessThan(limit);
  });
});
