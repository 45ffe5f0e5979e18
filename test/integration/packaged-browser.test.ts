import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import { launchBrowser } from '../helpers/browser';

describe('the Chromium packaged with the dev dependencies, alone (no system browser)', () => {
  it('starts offline and decodes the formats the catalogue page serves: AVIF, WebP, JPEG', async () => {
    const browser = await launchBrowser({ kind: 'packaged' });
    try {
      const page = await browser.newPage();
      const pixels = sharp({ create: { width: 24, height: 16, channels: 3, background: '#c42830' } });
      const sources = {
        avif: `data:image/avif;base64,${(await pixels.clone().avif().toBuffer()).toString('base64')}`,
        webp: `data:image/webp;base64,${(await pixels.clone().webp().toBuffer()).toString('base64')}`,
        jpeg: `data:image/jpeg;base64,${(await pixels.clone().jpeg().toBuffer()).toString('base64')}`,
      };
      // In the page (a string: the test's types know no DOM): each image decoded, its size read.
      const decoded = await page.evaluate(`(async (all) => {
        const sizes = {};
        for (const [format, src] of Object.entries(all)) {
          const image = new Image();
          image.src = src;
          await image.decode().catch(() => undefined);
          sizes[format] = image.naturalWidth + 'x' + image.naturalHeight;
        }
        return sizes;
      })(${JSON.stringify(sources)})`);
      expect(decoded).toEqual({ avif: '24x16', webp: '24x16', jpeg: '24x16' });
      expect(browser.version()).toMatch(/^\d+\./);
    } finally {
      await browser.close();
    }
  }, 120_000);
});
