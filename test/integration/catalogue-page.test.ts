import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ImageView } from '../../lib/domain/image';
import { launchBrowser } from '../helpers/browser';
import { fixtureImages, fixturesMissing, hasFixtures } from '../helpers/fixtures';
import { settled, useTestApi } from '../helpers/local-api';
import { type Origin, serve, startOrigin } from '../helpers/origin';
import { alphaPng, photoJpeg } from '../helpers/photos';

/** Enters the key, then opens a product's view of all its images from the grid. */
async function openProduct(page: import('playwright-core').Page, apiKey: string, sku: string): Promise<void> {
  await page.locator('#key').fill(apiKey);
  await page.locator('#key-form button').click();
  await page.locator('button.card', { hasText: sku }).first().click();
}

const t = useTestApi({ withPipeline: true });
let origin: Origin;
let browser: Browser;

beforeAll(async () => {
  origin = await startOrigin('127.0.0.1');
  browser = await launchBrowser();
}, 60_000);
afterAll(async () => {
  await browser?.close();
  origin?.close();
});

describe('the local catalogue page in headless Chromium', () => {
  it('shows each image as a <picture>, loads the AVIF rung its slot needs, and no request fails', async () => {
    origin.route('/shirt.jpg', serve(await photoJpeg(1600, 1200), 'image/jpeg'));
    origin.route('/badge.png', serve(await alphaPng(400, 200), 'image/png'));
    await t.http.post({
      product_sku: 'shirt <b>red</b>',
      images: [
        { url: `${origin.url}/shirt.jpg` },
        { url: `${origin.url}/badge.png`, order: 1 },
        { url: `${origin.url}/missing.jpg`, order: 2 },
      ],
    });
    const { images } = await t.http.waitForImages('shirt <b>red</b>', settled, 60_000);
    const [shirt] = images as ImageView[];

    const context = await browser.newContext({ viewport: { width: 400, height: 900 }, deviceScaleFactor: 1 });
    const page = await context.newPage();
    const failures: string[] = [];
    const loaded: Array<{ url: string; type: string | null }> = [];
    page.on('requestfailed', (request) => failures.push(`${request.url()} ${request.failure()?.errorText}`));
    page.on('response', (response) => {
      if (response.status() >= 400) failures.push(`${response.url()} answered ${response.status()}`);
      loaded.push({ url: response.url(), type: response.headers()['content-type'] ?? null });
    });

    await page.goto(`${t.api.baseUrl}/`);
    await openProduct(page, t.api.apiKey, 'shirt <b>red</b>');
    // Page-side code as text: the test program is compiled without the DOM's types.
    await page.waitForFunction(
      `[...document.querySelectorAll('figure.ready img')].length === 2 &&
       [...document.querySelectorAll('figure.ready img')].every((img) => img.complete && img.naturalWidth > 0)`,
      undefined,
      { timeout: 30_000 },
    );

    // A 400 px wide viewport gives the first image a 368 px slot: the 832 px rung, as AVIF.
    const current = await page.evaluate(`document.querySelector('figure.ready img').currentSrc`);
    const avif = shirt?.variants.find((variant) => variant.format === 'avif' && variant.width === 832);
    expect(current).toBe(avif?.url);
    expect(loaded).toContainEqual({ url: avif?.url, type: 'image/avif' });
    expect(await page.locator('#detail picture source[type="image/avif"]').count()).toBe(2);
    expect(await page.locator('figure.ready img').first().getAttribute('style')).not.toContain(
      'background-image',
    );

    // The SKU is text, never markup; the failed image shows its status and error.
    expect(await page.locator('h2').first().textContent()).toBe('shirt <b>red</b> (3 images)');
    expect(await page.locator('b').count()).toBe(0);
    expect(await page.locator('figure.failed').textContent()).toContain('failed: HTTP 404 from origin');
    expect(failures).toEqual([]);

    // The key is kept for the tab: a reload asks for nothing.
    expect(await page.evaluate(`sessionStorage.getItem('product-images.api-key')`)).toBe(t.api.apiKey);
    await page.reload();
    await page.locator('button.card').first().waitFor();
    expect(await page.locator('#key-form').isHidden()).toBe(true);
    await context.close();
  }, 120_000);

  it('on a 2x phone loads the 800 px shirt at its full 800 px, and answers /favicon.ico', async () => {
    origin.route('/shirt-800.jpg', serve(await photoJpeg(800, 800), 'image/jpeg'));
    await t.http.post({ product_sku: 'a-shirt-800', images: [{ url: `${origin.url}/shirt-800.jpg` }] });
    const [shirt] = (await t.http.waitForImages('a-shirt-800', settled, 60_000)).images as ImageView[];

    const context = await browser.newContext({ viewport: { width: 400, height: 900 }, deviceScaleFactor: 2 });
    const page = await context.newPage();
    const failures: string[] = [];
    page.on('response', (response) => {
      if (response.status() >= 400) failures.push(`${response.url()} answered ${response.status()}`);
    });
    await page.goto(`${t.api.baseUrl}/`);
    await openProduct(page, t.api.apiKey, 'a-shirt-800');
    await page.waitForFunction(
      `[...document.querySelectorAll('figure.ready img')].length > 0 &&
       [...document.querySelectorAll('figure.ready img')].every((img) => img.complete && img.naturalWidth > 0)`,
      undefined,
      { timeout: 30_000 },
    );
    // A 368 px slot at 2x wants 736 px: the 800 px rung (before, only a 352 px one existed).
    const current = await page.evaluate(
      `[...document.querySelectorAll('figure.ready img')].map((img) => img.currentSrc)`,
    );
    const rung = shirt?.variants.find((variant) => variant.format === 'avif' && variant.width === 800);
    expect(current).toContain(rung?.url);

    const icon = await page.request.get(`${t.api.baseUrl}/favicon.ico`);
    expect(icon.status()).toBe(200);
    expect(icon.headers()['content-type']).toBe('image/x-icon');
    expect((await icon.body()).subarray(0, 4)).toEqual(Buffer.from([0, 0, 1, 0]));
    expect(await page.locator('link[rel="icon"]').getAttribute('href')).toBe('/favicon.ico');
    expect(failures).toEqual([]);
    await context.close();
  }, 120_000);

  it.skipIf(!hasFixtures)(
    `shows an animated AVIF published as its original, metadata blanked (${fixturesMissing})`,
    async () => {
      const file = fixtureImages().find(
        (each) => each.name === 'libavif-colors-animated-8bpc-alpha-exif-xmp.avif',
      );
      origin.route('/spin.avif', serve(file?.bytes ?? Buffer.alloc(0), 'image/avif'));
      await t.http.post({ product_sku: '0-spin', images: [{ url: `${origin.url}/spin.avif` }] });
      const [spin] = (await t.http.waitForImages('0-spin', settled, 60_000)).images as ImageView[];
      expect(spin).toMatchObject({ status: 'ready', variants: [] });

      const context = await browser.newContext({ viewport: { width: 400, height: 900 } });
      const page = await context.newPage();
      await page.goto(`${t.api.baseUrl}/`);
      await openProduct(page, t.api.apiKey, '0-spin');
      // Chromium decodes the published file: its Exif and XMP zeroed, its movie metadata renamed.
      await page.waitForFunction(
        `[...document.querySelectorAll('figure.ready img')].some((img) => img.currentSrc.startsWith(${JSON.stringify(spin?.cdn_url)}) && img.complete && img.naturalWidth === 150)`,
        undefined,
        { timeout: 30_000 },
      );
      await context.close();
    },
    120_000,
  );

  it.each([
    { viewport: 400, scale: 2 },
    { viewport: 1280, scale: 1 },
  ])(
    'shows a storefront grid at $viewport px ($scale x): square tiles at the rung each slot needs, swatches as small circles',
    async ({ viewport, scale }) => {
      origin.route('/grid-photo.jpg', serve(await photoJpeg(1600, 1200), 'image/jpeg'));
      origin.route('/grid-red.jpg', serve(await photoJpeg(800, 600), 'image/jpeg'));
      origin.route('/grid-blue.png', serve(await alphaPng(300, 300, true), 'image/png'));
      await t.http.post({
        product_sku: '00-grid-shirt',
        images: [
          { url: `${origin.url}/grid-photo.jpg` },
          { url: `${origin.url}/grid-red.jpg`, order: 1, image_type: 'swatch' },
          { url: `${origin.url}/grid-blue.png`, order: 2, image_type: 'swatch' },
        ],
      });
      const images = (await t.http.waitForImages('00-grid-shirt', settled, 60_000)).images as ImageView[];
      const context = await browser.newContext({
        viewport: { width: viewport, height: 900 },
        deviceScaleFactor: scale,
      });
      const page = await context.newPage();
      await page.goto(`${t.api.baseUrl}/`);
      await page.locator('#key').fill(t.api.apiKey);
      await page.locator('#key-form button').click();
      const card = page.locator('button.card', { hasText: '00-grid-shirt' });
      await page.waitForFunction(
        `[...document.querySelectorAll('.card img')].length >= 3 &&
       [...document.querySelectorAll('.card img')].every((img) => img.complete && img.naturalWidth > 0)`,
        undefined,
        { timeout: 30_000 },
      );
      const measured =
        (await page.evaluate(`[...[...document.querySelectorAll('button.card')].find((card) => card.textContent.includes('00-grid-shirt')).querySelectorAll('img')].map((img) => {
      const box = img.getBoundingClientRect();
      return { slot: box.width, height: box.height, src: img.currentSrc, natural: img.naturalWidth, naturalHeight: img.naturalHeight, swatch: img.classList.contains('swatch') };
    })`)) as Array<{
          slot: number;
          height: number;
          src: string;
          natural: number;
          naturalHeight: number;
          swatch: boolean;
        }>;
      const [tileShown, ...swatches] = measured;
      const [photo] = images;
      // What each <img> loaded, from its currentSrc (naturalWidth is scaled by srcset's density).
      const renditions = images.flatMap((image) => [...image.tiles, ...image.variants]);
      const served = (src: string | undefined) => renditions.find((rendition) => rendition.url === src);
      // The tile: square on screen and in its pixels, at least 90 % of slot × DPR, and the smallest rung that is.
      expect(tileShown?.slot).toBeCloseTo(tileShown?.height ?? 0, 0);
      const loaded = served(tileShown?.src);
      expect(photo?.tiles.map((each) => each.url)).toContain(tileShown?.src);
      expect(loaded?.width).toBe(loaded?.height);
      const wanted = (tileShown?.slot ?? 0) * scale;
      const rungs = [...new Set(photo?.tiles.map((each) => each.width))].sort((a, b) => a - b);
      const needed = rungs.find((width) => width >= wanted) ?? rungs[rungs.length - 1];
      expect(loaded?.width).toBeGreaterThanOrEqual(0.9 * Math.min(wanted, rungs[rungs.length - 1] ?? 0));
      expect(loaded?.width).toBe(needed);
      // Two swatches, drawn as circles, from their swatch renditions, at most 128 px wide.
      expect(swatches).toHaveLength(2);
      for (const swatch of swatches) {
        const rendition = served(swatch.src);
        expect(swatch.swatch).toBe(true);
        expect(rendition?.width).toBe(rendition?.height);
        expect(rendition?.width).toBeLessThanOrEqual(128);
        expect(rendition?.width).toBeGreaterThanOrEqual(Math.min(swatch.slot * scale, 64));
      }
      expect(await page.evaluate(`getComputedStyle(document.querySelector('.swatch')).borderRadius`)).toBe(
        '50%',
      );
      // A click opens every image of the product, as before.
      await card.click();
      await page.locator('#detail figure.ready').first().waitFor();
      expect(await page.locator('#detail figure').count()).toBe(3);
      expect(await page.locator('#products').isHidden()).toBe(true);
      await page.locator('#back').click();
      expect(await page.locator('#products').isVisible()).toBe(true);
      await context.close();
    },
    120_000,
  );

  it('asks again for a key the API refuses', async () => {
    const context = await browser.newContext();
    const page = await context.newPage();
    await page.goto(`${t.api.baseUrl}/`);
    await page.locator('#key').fill('0'.repeat(40));
    await page.locator('#key-form button').click();
    await expect
      .poll(() => page.locator('#message').textContent())
      .toBe('That key was refused. Enter another.');
    expect(await page.locator('#key-form').isVisible()).toBe(true);
    expect(await page.evaluate(`sessionStorage.getItem('product-images.api-key')`)).toBeNull();
    await context.close();
  }, 60_000);

  it('links to the docs, which open rendered with the anchors their links use', async () => {
    const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
    const page = await context.newPage();
    const failures: string[] = [];
    page.on('response', (response) => {
      if (response.status() >= 400) failures.push(`${response.url()} answered ${response.status()}`);
    });
    await page.goto(`${t.api.baseUrl}/`);
    await page.locator('header nav a', { hasText: 'Docs' }).click();
    await page.waitForURL(`${t.api.baseUrl}/guide/`);
    const pages = await page.locator('main, body').first().locator('li a').allTextContents();
    expect(pages).toEqual(expect.arrayContaining(['The API', 'Storefront images', 'Operating it']));

    await page.locator('li a', { hasText: 'The API' }).click();
    await page.waitForURL(`${t.api.baseUrl}/guide/api.md`);
    // A link to another page's heading lands on that heading.
    await page.locator('a[href="operating.md#api-keys-and-usage-plans"]').first().click();
    await page.waitForURL(`${t.api.baseUrl}/guide/operating.md#api-keys-and-usage-plans`);
    expect(await page.locator('#api-keys-and-usage-plans').textContent()).toBe('API keys and usage plans');
    expect(failures).toEqual([]);
    await context.close();
  }, 60_000);
});
