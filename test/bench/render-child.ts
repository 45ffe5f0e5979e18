/**
 * Child process of `npm run bench -- render`: renders one file with the renderer of a given revision's
 * `lib/` (today's, or a worktree's) and prints the CPU it took. `floor` instead times only the encodes of
 * today's outputs, from pixels decoded and resized beforehand (untimed).
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import sharp from 'sharp';

const [libDirectory = '', mode = 'render', file = ''] = process.argv.slice(2);
const bytes = readFileSync(file);
// One thread pool, no operation cache: each process starts as a renderer's cold container would.
sharp.cache(false);

const ladder = (await import(join(libDirectory, 'domain/variant-ladder.ts'))) as {
  DEFAULT_VARIANT_WIDTHS: number[];
  DEFAULT_AVIF_EFFORT: number;
};
const renderer = await import(join(libDirectory, 'rendering/render-image.ts'));
const options = {
  widths: ladder.DEFAULT_VARIANT_WIDTHS,
  avifEffort: ladder.DEFAULT_AVIF_EFFORT,
  maxPixels: 100_000_000,
};
// A small render first, so neither side pays libvips' first-call setup inside the measurement.
await renderer.renderImage(
  await sharp({ create: { width: 64, height: 48, channels: 3, background: '#888' } })
    .jpeg()
    .toBuffer(),
  options,
);

const cpuMs = (since: NodeJS.CpuUsage) => {
  const used = process.cpuUsage(since);
  return (used.user + used.system) / 1000;
};
let outputs = 0;
let measured: number;
let wallStarted: number;
if (mode === 'floor') {
  const { formats, outputs: pixels } = await renderer.stillPixels(bytes, options);
  wallStarted = performance.now();
  const started = process.cpuUsage();
  for (const output of pixels) outputs += (await renderer.encodeAll(output.pixels, formats, options)).length;
  measured = cpuMs(started);
} else {
  wallStarted = performance.now();
  const started = process.cpuUsage();
  const rendition = await renderer.renderImage(bytes, options);
  measured = cpuMs(started);
  outputs = rendition.variants.length + (rendition.tiles?.length ?? 0) + (rendition.swatches?.length ?? 0);
}
const wallMs = performance.now() - wallStarted;
const peakRssMb = process.resourceUsage().maxRSS / 1024;
process.stdout.write(`${JSON.stringify({ cpuMs: measured, wallMs, outputs, peakRssMb })}\n`);
