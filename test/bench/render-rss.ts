/**
 * Child process of the variants bench: renders the given JPEG files at once, as the renderer function
 * does with RENDER_CONCURRENCY, and prints its peak resident memory.
 */
import { readFileSync } from 'node:fs';
import { DEFAULT_AVIF_EFFORT, DEFAULT_VARIANT_WIDTHS } from '../../lib/domain/variant-ladder';
import { renderImage } from '../../lib/rendering/render-image';
import { DEFAULT_MAX_PIXELS } from '../../lib/rendering/rendition';

const photos = process.argv.slice(2).map((file) => readFileSync(file));
const beforeMb = process.memoryUsage().rss / (1024 * 1024);
const started = performance.now();
await Promise.all(
  photos.map((photo) =>
    renderImage(photo, {
      widths: DEFAULT_VARIANT_WIDTHS,
      avifEffort: DEFAULT_AVIF_EFFORT,
      maxPixels: DEFAULT_MAX_PIXELS,
    }),
  ),
);
const ms = performance.now() - started;
process.stdout.write(
  `${JSON.stringify({ peakRssMb: process.resourceUsage().maxRSS / 1024, beforeMb, ms })}\n`,
);
