import { existsSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import sharp from 'sharp';
import { RENDERER } from '../../infra/constructs/image-pipeline';
import { STAGES } from '../../infra/stages';
import { DEFAULT_AVIF_EFFORT, DEFAULT_VARIANT_WIDTHS } from '../../lib/domain/variant-ladder';
import { renderImage } from '../../lib/rendering/render-image';
import { DEFAULT_MAX_PIXELS } from '../../lib/rendering/rendition';
import { FIXTURES_DIR } from '../helpers/fixtures';
import { runLocalMode } from '../helpers/local-mode';

/**
 * `npm run bench -- import`: a merchant's first import through local mode as a person runs it (its
 * stream consumer, SQS engine and renderer), then the deployed model built on the render time measured
 * here.
 */

const PRODUCTS = 8;
const PHOTOS_PER_PRODUCT = 5;
const WIDTH = 2000;
const HEIGHT = 1500;

/** The fixtures' 12 MP phone photo, when the shared fixtures are there. */
const PHONE_PHOTO = join(FIXTURES_DIR, 'images', 'libavif-dog_exif_extended_xmp_icc.jpg');

/**
 * Distinct 3 MP photos: windows of the phone photo at different offsets, scaled to 2000 × 1500 (or,
 * without the fixtures, a gradient with per-pixel grain, which compresses like a photo, not a fill).
 */
async function photo(seed: number): Promise<Buffer> {
  if (existsSync(PHONE_PHOTO)) {
    const left = (seed * 37) % 800;
    const top = (seed * 23) % 600;
    return sharp(PHONE_PHOTO)
      .extract({ left, top, width: 3200, height: 2400 })
      .resize(WIDTH, HEIGHT)
      .jpeg({ quality: 88 })
      .toBuffer();
  }
  const data = Buffer.alloc(WIDTH * HEIGHT * 3);
  let state = (seed + 1) * 2_654_435_761;
  for (let y = 0; y < HEIGHT; y++) {
    for (let x = 0; x < WIDTH; x++) {
      state ^= state << 13;
      state ^= state >>> 17;
      state ^= state << 5;
      const grain = (state & 31) - 16;
      const at = (y * WIDTH + x) * 3;
      data[at] = Math.max(0, Math.min(255, ((x * 255) / WIDTH + seed * 7 + grain) & 255));
      data[at + 1] = Math.max(0, Math.min(255, (y * 255) / HEIGHT + grain));
      data[at + 2] = Math.max(0, Math.min(255, 128 + Math.sin((x + y + seed) / 90) * 60 + grain));
    }
  }
  return sharp(data, { raw: { width: WIDTH, height: HEIGHT, channels: 3 } })
    .jpeg({ quality: 88 })
    .toBuffer();
}

const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)] ?? 0;

interface SummaryLine {
  message?: string;
  durationMs?: number;
  records?: number;
  jobs?: number;
}

function summaries(output: string, message: string): SummaryLine[] {
  return output
    .split('\n')
    .filter((line) => line.includes(message))
    .flatMap((line) => {
      try {
        return [JSON.parse(line.slice(line.indexOf('{'))) as SummaryLine];
      } catch {
        return [];
      }
    });
}

/** One 3 MP photo's full ladder, rendered alone: wall time and CPU time (libvips' threads included). */
async function renderCost(bytes: Buffer): Promise<{ wallMs: number; cpuMs: number }> {
  const walls: number[] = [];
  const cpus: number[] = [];
  for (let round = 0; round < 4; round++) {
    const cpu = process.cpuUsage();
    const started = performance.now();
    await renderImage(bytes, {
      widths: DEFAULT_VARIANT_WIDTHS,
      avifEffort: DEFAULT_AVIF_EFFORT,
      maxPixels: DEFAULT_MAX_PIXELS,
    });
    const used = process.cpuUsage(cpu);
    if (round === 0) continue; // warm-up
    walls.push(performance.now() - started);
    cpus.push((used.user + used.system) / 1000);
  }
  return { wallMs: median(walls), cpuMs: median(cpus) };
}

export async function measureImport(): Promise<string[]> {
  const photos = await Promise.all(
    Array.from({ length: PRODUCTS * PHOTOS_PER_PRODUCT }, (_, index) => photo(index)),
  );
  const cost = await renderCost(photos[0] ?? Buffer.alloc(0));

  const origin = createServer((request, response) => {
    const index = Number(/photo-(\d+)\.jpg/.exec(request.url ?? '')?.[1] ?? -1);
    const body = photos[index];
    if (!body) return void response.writeHead(404).end();
    response.writeHead(200, { 'content-type': 'image/jpeg', 'content-length': body.length }).end(body);
  });
  await new Promise<void>((resolve) => origin.listen(0, '127.0.0.1', resolve));
  const originUrl = `http://127.0.0.1:${(origin.address() as AddressInfo).port}`;

  const run = runLocalMode({ LOG_LEVEL: 'info' });
  let elapsedMs = 0;
  try {
    const deadline = Date.now() + 60_000;
    let baseUrl = '';
    let apiKey = '';
    while (!baseUrl) {
      const running = /running at (http:\/\/[\d.:]+)\//.exec(run.output());
      const key = /API key: ([0-9a-f]{40})/.exec(run.output());
      if (running?.[1] && key?.[1]) [baseUrl, apiKey] = [running[1], key[1]];
      else if (Date.now() > deadline || run.child.exitCode !== null) throw new Error(run.output());
      else await new Promise((resolve) => setTimeout(resolve, 100));
    }
    const headers = { Authorization: `Token ${apiKey}`, 'Content-Type': 'application/json' };
    const skus = Array.from({ length: PRODUCTS }, (_, index) => `import-${index}`);
    const started = performance.now();
    await Promise.all(
      skus.map((sku, product) =>
        fetch(`${baseUrl}/api/i1/downloadable_image/`, {
          method: 'POST',
          headers,
          body: JSON.stringify({
            product_sku: sku,
            images: Array.from({ length: PHOTOS_PER_PRODUCT }, (_, order) => ({
              url: `${originUrl}/photo-${product * PHOTOS_PER_PRODUCT + order}.jpg`,
              order,
            })),
          }),
        }),
      ),
    );
    for (;;) {
      const sets = await Promise.all(
        skus.map(async (sku) => {
          const answer = await fetch(`${baseUrl}/api/i1/downloadable_image/?product_sku=${sku}`, { headers });
          return ((await answer.json()) as { results: Array<{ images: Array<{ status: string }> }> })
            .results[0]?.images;
        }),
      );
      if (sets.every((images) => images?.every((image) => image.status !== 'pending'))) break;
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
    elapsedMs = performance.now() - started;
  } finally {
    run.child.kill('SIGTERM');
    await run.exited;
    origin.close();
  }
  const output = run.output();
  const renderBatches = summaries(output, 'render batch processed');
  const streamBatches = summaries(output, 'stream batch processed');
  const total = PRODUCTS * PHOTOS_PER_PRODUCT;
  const longest = Math.max(0, ...[...renderBatches, ...streamBatches].map((line) => line.durationMs ?? 0));
  const streamPerRecord = streamBatches
    .filter((line) => (line.records ?? 0) > 0)
    .map((line) => (line.durationMs ?? 0) / (line.records ?? 1));

  // The deployed model. Lambda gives 2,048 MB about 1.17 vCPU (1,769 MB is one); the renderer renders
  // one image at a time, so an image takes its CPU time spread over what parallelism libvips found here,
  // capped at that share.
  const parallelism = cost.cpuMs / cost.wallMs;
  const vcpu = RENDERER.memoryMb / 1769;
  const lambdaSeconds = cost.cpuMs / 1000 / Math.min(parallelism, vcpu);
  const gbSecondPrice = 0.0000166667; // x86_64, first pricing tier
  const requestPrice = 0.2 / 1e6;
  const perImageLambda =
    lambdaSeconds * (RENDERER.memoryMb / 1024) * gbSecondPrice + requestPrice / RENDERER.batchSize;
  // SQS: one send (batched by ten), one receive and one delete (each batched by two) per image.
  const perImageSqs = (0.1 + 0.5 + 0.5) * (0.4 / 1e6);
  const prodConcurrency = STAGES.prod.renderConcurrency;
  const throughput = prodConcurrency / lambdaSeconds;
  // Before: renders ran in the stream consumer, two at a time, in stream shards × 4 invocations.
  const oldShards = 4;
  const oldThroughput = (oldShards * 4 * Math.min(2, vcpu)) / (cost.cpuMs / 1000);
  const hours = (images: number, perSecond: number) => images / perSecond / 3600;
  const lines = [
    `Local (npm start, ${PRODUCTS} products × ${PHOTOS_PER_PRODUCT} distinct ${WIDTH}×${HEIGHT} JPEGs${existsSync(PHONE_PHOTO) ? " cut from the fixtures' phone photo" : ' (synthetic)'}, this machine): ${total} images in ${(elapsedMs / 1000).toFixed(1)} s, ${((total * 1000) / elapsedMs).toFixed(2)} images/s end to end`,
    `  invocations: ${streamBatches.length} stream (median ${median(streamPerRecord).toFixed(1)} ms per record, goal < 20 ms), ${renderBatches.length} renderer; longest ${longest.toFixed(0)} ms (renderer timeout ${RENDERER.timeout.toSeconds()} s)`,
    `One 3 MP photo's full ladder, alone: ${cost.wallMs.toFixed(0)} ms wall, ${cost.cpuMs.toFixed(0)} ms CPU (libvips used ${parallelism.toFixed(2)} cores)`,
    `Deployed model (renderer ${RENDERER.memoryMb} MB ≈ ${vcpu.toFixed(2)} vCPU): ${lambdaSeconds.toFixed(2)} s per image; Lambda $${(perImageLambda * 1e6).toFixed(2)} per million images (+ SQS $${(perImageSqs * 1e6).toFixed(2)}); goal ≤ $80`,
  ];
  for (const images of [100_000, 1_000_000]) {
    lines.push(
      `  ${images.toLocaleString('en')} images at prod's ${prodConcurrency} renderers: ${(hours(images, throughput) * 60).toFixed(0)} min, $${(images * (perImageLambda + perImageSqs)).toFixed(2)}; before (renders in the stream consumer, ${oldShards} shards × 4 × 2): ${hours(images, oldThroughput).toFixed(1)} h`,
    );
  }
  lines.push(
    `  1,000,000 in ≤ 1 h needs ${Math.ceil((1e6 * lambdaSeconds) / 3600)} renderers at once (an account's default concurrency is 1,000, shared with the API)`,
  );
  return lines;
}
