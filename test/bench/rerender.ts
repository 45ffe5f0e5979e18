import { existsSync, readFileSync } from 'node:fs';
import sharp from 'sharp';
import { sampleImages } from '../../infra/local/sample-images';
import {
  DEFAULT_AVIF_EFFORT,
  DEFAULT_VARIANT_WIDTHS,
  ladderFor,
  rungFor,
} from '../../lib/domain/variant-ladder';
import { RENDITION_QUALITY, renderImage } from '../../lib/rendering/render-image';
import { DEFAULT_MAX_PIXELS } from '../../lib/rendering/rendition';
import { FIXTURES_DIR } from '../helpers/fixtures';
import { photoJpeg } from '../helpers/photos';

const median = (values: number[]) =>
  [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)] ?? Number.NaN;
const kb = (bytes: number) => `${(bytes / 1024).toFixed(1)} KB`;

/** List prices, us-east-1, USD: a 2-vCPU x86 instance like this machine, S3 requests, DynamoDB on demand. */
const INSTANCE_HOUR = 0.08925; // c7i.large
const S3_PUT = 0.005 / 1000;
const S3_GET = 0.0004 / 1000;
const DYNAMO_WRITE = 0.625 / 1e6;
const DYNAMO_READ = 0.125 / 1e6;
const LATER_LADDER = [352, 640, 832, 1200, 1600, 1920];
const options = {
  widths: DEFAULT_VARIANT_WIDTHS,
  avifEffort: DEFAULT_AVIF_EFFORT,
  maxPixels: DEFAULT_MAX_PIXELS,
};

/** What a 400 px slot on a 2× screen loaded for the walkthrough's 800 px shirt before and now. */
async function twoXSlot(): Promise<string[]> {
  const shirt = sampleImages().find((sample) => sample.path === '/samples/shirt-red.jpg');
  if (!shirt) return ['the sample shirt is missing'];
  const wanted = 400 * 2;
  // Before: rungs only below the original (352 alone) and AVIF at sharp's default quality 50.
  const before = await sharp(shirt.bytes)
    .resize({ width: 352 })
    .avif({ effort: DEFAULT_AVIF_EFFORT })
    .toBuffer();
  const now = await renderImage(shirt.bytes, options);
  const rung = rungFor(ladderFor(now.width, DEFAULT_VARIANT_WIDTHS), wanted);
  const served = now.variants.find((variant) => variant.width === rung && variant.format === 'avif');
  return [
    `the 800 × 800 sample shirt in a 400 px slot at 2× (${wanted} px wanted), AVIF:`,
    `  before: the 352 px rung, ${kb(before.length)} (the browser upscales it 2.3×)`,
    `  now: the ${rung} px rung at quality ${RENDITION_QUALITY.avif}, ${kb(served?.body.length ?? 0)} (${((served?.body.length ?? 0) / before.length).toFixed(1)}× the bytes, ${((rung / 352) ** 2).toFixed(1)}× the pixels)`,
  ];
}

async function timed(work: () => Promise<unknown>): Promise<number> {
  const times: number[] = [];
  for (let round = 0; round < 3; round++) {
    const started = performance.now();
    await work();
    times.push(performance.now() - started);
  }
  return median(times);
}

/**
 * `npm run rerender`'s work per image, measured on a 3 MP photo: adding the rungs of a later ladder
 * to a rendered content (`extend`), and rendering a pre-rendition copy whole (`move`). Cost per 100,000
 * images from those times on a 2-vCPU x86 instance in the bucket's region (no transfer charge), plus
 * the S3 and DynamoDB requests each makes.
 */
async function rerenderCost(): Promise<string[]> {
  const dog = `${FIXTURES_DIR}/images/libavif-dog_exif_extended_xmp_icc.jpg`;
  const source = existsSync(dog) ? readFileSync(dog) : await photoJpeg(4032, 3024);
  const photo = await sharp(source).autoOrient().resize({ width: 2000 }).jpeg({ quality: 90 }).toBuffer();
  const width = (await sharp(photo).metadata()).width ?? 0;
  const have = new Set(ladderFor(width, DEFAULT_VARIANT_WIDTHS));
  const missing = ladderFor(width, LATER_LADDER).filter((rung) => !have.has(rung));
  // Two at once, as `--concurrency 2` runs them on two vCPUs: the time per image is half the pair's.
  const pair = (render: () => Promise<unknown>) => timed(() => Promise.all([render(), render()]));
  const extendMs = (await pair(() => renderImage(photo, { ...options, rungs: missing }))) / 2;
  const moveMs = (await pair(() => renderImage(photo, options))) / 2;
  const lines = [
    `3 MP photo (${width} px wide), ladder ${DEFAULT_VARIANT_WIDTHS.join('/')} → ${LATER_LADDER.join('/')}: rungs to add ${missing.join(', ')}`,
  ];
  for (const [action, ms, puts, writes] of [
    ['extend (new rungs)', extendMs, missing.length * 3 + 1, 4],
    ['move (pre-rendition copy)', moveMs, ladderFor(width, DEFAULT_VARIANT_WIDTHS).length * 3 + 1, 6],
  ] as const) {
    const hours = ((ms / 1000) * 100_000) / 3600;
    const compute = hours * INSTANCE_HOUR;
    const requests = 100_000 * (puts * S3_PUT + 2 * S3_GET + writes * DYNAMO_WRITE + 3 * DYNAMO_READ);
    lines.push(
      `  ${action}: ${ms.toFixed(0)} ms per image, two at once (median of 3 pairs) → 100,000 images in ${hours.toFixed(1)} h at --concurrency 2 on 2 vCPUs: $${compute.toFixed(2)} of instance time + $${requests.toFixed(2)} of requests (${puts} S3 PUTs, ${writes} DynamoDB writes each) = $${(compute + requests).toFixed(2)}`,
    );
  }
  return lines;
}

/** Issue 16's figures: what the 2× slot gets, and what re-rendering costs. */
export async function measureRerender(): Promise<string[]> {
  return [
    'Bytes for a 2× slot:',
    ...(await twoXSlot()),
    'Re-rendering (npm run rerender):',
    ...(await rerenderCost()),
  ];
}
