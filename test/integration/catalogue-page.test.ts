import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ImageView } from '../../lib/domain/image';
import { browserMissing, launchBrowser } from '../helpers/browser';
import { fixtureImages, fixturesMissing, hasFixtures } from '../helpers/fixtures';
import { settled, useTestApi } from '../helpers/local-api';
import { type Origin, serve, startOrigin } from '../helpers/origin';
import { alphaPng, photoJpeg } from '../helpers/photos';

const skip = browserMissing;

const t = useTestApi({ withPipeline: true });
let origin: Origin;
let browser: Browser;

beforeAll(async () => {
  if (skip) return;
  origin = await startOrigin('127.0.0.1');
  browser = await launchBrowser();
}, 60_000);
afterAll(async () => {
  await browser?.close();
  origin?.close();
});

describe.skipIf(skip)('the local catalogue page in headless Chromium', () => {
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
    await page.locator('#key').fill(t.api.apiKey);
    await page.locator('#key-form button').click();
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
    expect(await page.locator('picture source[type="image/avif"]').count()).toBe(2);
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
    await page.locator('figure.ready').first().waitFor();
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
    await page.locator('#key').fill(t.api.apiKey);
    await page.locator('#key-form button').click();
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
      await page.locator('#key').fill(t.api.apiKey);
      await page.locator('#key-form button').click();
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
});
