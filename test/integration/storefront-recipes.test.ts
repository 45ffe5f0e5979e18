/**
 * The storefront page's recipes, run as a reader would use them: the helpers and the Next.js loader as
 * functions on a real image from local mode, the HTML in headless Chromium against local mode's CDN.
 * A recipe that drifts from what the service answers fails here.
 */
import type { Browser } from 'playwright-core';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ImageView } from '../../lib/domain/image';
import { launchBrowser } from '../helpers/browser';
import { importRecipe, recipe, tableAfter } from '../helpers/doc-recipes';
import { settled, useTestApi } from '../helpers/local-api';
import { type Origin, serve, startOrigin } from '../helpers/origin';
import { photoJpeg } from '../helpers/photos';

/** What the recipes show in place of a real CDN and content: replaced by local mode's. */
const EXAMPLE_HOST = 'https://images.example.com';
const EXAMPLE_SHA256 = '9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08';
const BROWSER_ACCEPT = 'image/avif,image/webp,image/apng,image/*,*/*;q=0.8';

interface Rendition {
  url: string;
  width: number;
  format: string;
  aspect?: string;
}
interface SrcsetRecipe {
  srcsetOf(renditions: readonly Rendition[], format: string, aspect?: string): string;
  formatsOf(renditions: readonly Rendition[]): string[];
}
interface LoaderRecipe {
  default(input: { src: string; width: number; quality?: number }): string;
}
interface PlaceholderRecipe {
  placeholderOf(image: { thumbhash: string | null; dominant_color: string | null }): string;
}

const t = useTestApi({ withPipeline: true });
let origin: Origin;
let browser: Browser;
let image: ImageView;
let cdnBase: string;

/** A recipe's HTML pointed at local mode's CDN and this test's image. */
function localHtml(name: string): string {
  return recipe('storefront.md', name)
    .replaceAll(EXAMPLE_HOST, cdnBase)
    .replaceAll(EXAMPLE_SHA256, image.content_sha256 ?? '');
}

async function fetchImage(url: string) {
  const answer = await fetch(url, { headers: { Accept: BROWSER_ACCEPT } });
  const bytes = Buffer.from(await answer.arrayBuffer());
  const { width, height } = answer.ok ? await sharp(bytes).metadata() : { width: 0, height: 0 };
  return { status: answer.status, type: answer.headers.get('content-type'), width, height };
}

beforeAll(async () => {
  origin = await startOrigin('127.0.0.1');
  origin.route('/shirt.jpg', serve(await photoJpeg(2400, 2400), 'image/jpeg'));
  browser = await launchBrowser();
  await t.http.post({ product_sku: 'recipes', images: [{ url: `${origin.url}/shirt.jpg` }] });
  const { images } = await t.http.waitForImages('recipes', settled, 120_000);
  image = images[0] as ImageView;
  expect(image.status).toBe('ready');
  cdnBase = new URL(image.cdn_url ?? '').origin;
}, 180_000);
afterAll(async () => {
  await browser?.close();
  origin?.close();
});

describe('the storefront recipes', () => {
  it('show the cdn_url the service gives a 2,400 px JPEG with the default settings', () => {
    const page = recipe('storefront.md', 'grid.html');
    const documented = /src="([^"?]+)\?/.exec(page)?.[1] ?? '';
    expect(image.cdn_url).toBe(
      documented.replace(EXAMPLE_HOST, cdnBase).replace(EXAMPLE_SHA256, image.content_sha256 ?? ''),
    );
  });

  it('build srcset from variants and tiles, each URL served in its format', async () => {
    const { srcsetOf, formatsOf } = await importRecipe<SrcsetRecipe>('storefront.md', 'srcset.js');
    expect(formatsOf(image.variants)).toEqual(['avif', 'webp', 'jpeg']);

    const avif = srcsetOf(image.variants, 'avif');
    const descriptors = (srcset: string) =>
      srcset
        .split(', ')
        .map((candidate) => Number.parseInt(candidate.split(' ')[1] ?? '', 10))
        .sort((a, b) => a - b);
    expect(descriptors(avif)).toEqual([160, 352, 832, 1200, 1920]);
    const tiles = srcsetOf(image.tiles, 'webp', '1:1');
    expect(tiles.split(', ').map((candidate) => candidate.split(' ')[1])).toEqual([
      '180w',
      '360w',
      '540w',
      '720w',
    ]);
    expect(srcsetOf(image.tiles, 'webp', '4:5')).toBe('');

    for (const [srcset, type] of [
      [avif, 'image/avif'],
      [tiles, 'image/webp'],
    ] as const) {
      for (const candidate of srcset.split(', ')) {
        const [url, descriptor] = candidate.split(' ');
        const served = await fetchImage(url ?? '');
        expect(served).toMatchObject({ status: 200, type, width: Number.parseInt(descriptor ?? '', 10) });
      }
    }
  });

  it('give Next.js a loader whose URLs the CDN answers with the nearest rung, or a square tile', async () => {
    const loader = (await importRecipe<LoaderRecipe>('storefront.md', 'image-loader.js')).default;
    const cdnUrl = image.cdn_url ?? '';

    // next/image's default device sizes: each answered by the smallest rung at least that wide.
    const expected: Record<number, number> = { 640: 832, 828: 832, 1080: 1200, 1920: 1920, 3840: 1920 };
    for (const [width, rung] of Object.entries(expected)) {
      const url = loader({ src: cdnUrl, width: Number(width), quality: 75 });
      expect(url).toBe(`${cdnUrl}?width=${width}`);
      expect(await fetchImage(url)).toMatchObject({
        status: 200,
        type: 'image/avif',
        width: rung,
        height: rung,
      });
    }

    const tile = loader({ src: `${cdnUrl}?aspect=1:1`, width: 384 });
    expect(tile).toBe(`${cdnUrl}?width=384&height=384`);
    expect(await fetchImage(tile)).toMatchObject({
      status: 200,
      type: 'image/avif',
      width: 540,
      height: 540,
    });
  });

  it('turn thumbhash into a placeholder background, and fall back to the dominant colour', async () => {
    const { placeholderOf } = await importRecipe<PlaceholderRecipe>('storefront.md', 'placeholder.js');
    const background = placeholderOf(image);
    const dataUrl = /url\((data:image\/png;base64,[^)]+)\)/.exec(background)?.[1] ?? '';
    expect(background.startsWith('center / cover no-repeat url(data:image/png;base64,')).toBe(true);
    const png = await sharp(Buffer.from(dataUrl.split(',')[1] ?? '', 'base64')).metadata();
    expect(png.format).toBe('png');
    // A square original gives a square placeholder of a few dozen pixels.
    expect(png.width).toBe(png.height);
    expect(png.width).toBeLessThanOrEqual(32);

    expect(placeholderOf({ thumbhash: null, dominant_color: '#b81c2a' })).toBe('#b81c2a');
  });

  describe('in headless Chromium, load the rung the page promises', () => {
    const recipes: Record<string, string> = { 'product page': 'product-page.html', grid: 'grid.html' };
    const rows = tableAfter('storefront.md', 'What the browser loads');

    it('has the four cases of the page', () => {
      expect(rows.map((row) => [row.recipe, row.viewport])).toEqual([
        ['product page', '400 px'],
        ['product page', '1,280 px'],
        ['grid', '400 px'],
        ['grid', '1,280 px'],
      ]);
    });

    for (const row of rows) {
      it(`${row.recipe} at ${row.viewport}, ${row['pixel ratio']}×: ${row.loads}`, async () => {
        const width = Number.parseInt((row.viewport ?? '').replace(',', ''), 10);
        const ratio = Number(row['pixel ratio']);
        const [, rung = '', kind] = /(\d+) px (rung|tile)/.exec(row.loads ?? '') ?? [];
        const context = await browser.newContext({
          viewport: { width, height: 900 },
          deviceScaleFactor: ratio,
        });
        const page = await context.newPage();
        const failures: string[] = [];
        page.on('response', (response) => {
          if (response.status() >= 400) failures.push(`${response.url()} answered ${response.status()}`);
        });
        await page.setContent(
          `<!doctype html><html><body>${localHtml(recipes[row.recipe ?? ''] ?? '')}</body></html>`,
        );
        await page.waitForFunction(
          `(() => { const img = document.querySelector('img'); return img.complete && img.naturalWidth > 0; })()`,
          undefined,
          {
            timeout: 30_000,
          },
        );
        const current = String(await page.evaluate(`document.querySelector('img').currentSrc`));

        if (kind === 'rung') {
          expect(current).toBe(
            image.variants.find((v) => v.format === 'avif' && v.width === Number(rung))?.url,
          );
        } else {
          expect(current).toBe(`${image.cdn_url}?width=${rung}&height=${rung}`);
        }
        // What that URL serves this browser: the rung itself, as AVIF.
        expect(await fetchImage(current)).toMatchObject({
          status: 200,
          type: 'image/avif',
          width: Number(rung),
        });
        expect(failures).toEqual([]);
        await context.close();
      }, 60_000);
    }
  });
});
