import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import sharp from 'sharp';
import {
  DEFAULT_AVIF_EFFORT,
  DEFAULT_VARIANT_WIDTHS,
  ladderFor,
  rungFor,
  type VariantFormat,
} from '../../lib/domain/variant-ladder';
import { DEFAULT_FETCH_POLICY, openImage } from '../../lib/pipeline/image-fetcher';
import { encodeVariant, renderImage } from '../../lib/rendering/render-image';
import { DEFAULT_MAX_PIXELS, type Rendition } from '../../lib/rendering/rendition';
import { FIXTURES_DIR } from '../helpers/fixtures';
import { memoryPipeline } from '../helpers/memory-pipeline';
import { photoJpeg } from '../helpers/photos';
import { image } from '../helpers/stream-events';

const run = promisify(execFile);
const median = (values: number[]) =>
  [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)] ?? Number.NaN;
const kb = (bytes: number) => `${(bytes / 1024).toFixed(0)} KB`;

/** Published list prices (us-east-1, USD per GB-second) and sharp's per-core x86/Graviton ratio. */
const LAMBDA_X86_GB_SECOND = 0.0000166667;
const LAMBDA_ARM_GB_SECOND = 0.0000133334;
const LAMBDA_REQUEST = 0.2 / 1e6;
const SHARP_X86_OVER_ARM = 89.6 / 53.8;
const RENDERER_MEMORY_GB = 2;

/** The same outputs with sharp called directly: one independent pipeline per rung and format. */
async function direct(bytes: Buffer, width: number, formats: VariantFormat[]): Promise<void> {
  for (const rung of ladderFor(width, DEFAULT_VARIANT_WIDTHS)) {
    await Promise.all(
      formats.map((format) =>
        encodeVariant(sharp(bytes).autoOrient().resize({ width: rung }), format, options, false).toBuffer(),
      ),
    );
  }
}

const options = {
  widths: DEFAULT_VARIANT_WIDTHS,
  avifEffort: DEFAULT_AVIF_EFFORT,
  maxPixels: DEFAULT_MAX_PIXELS,
};

async function renderCost(): Promise<{
  lines: string[];
  twelve: Rendition;
  twelveBytes: Buffer;
  threeMs: number;
}> {
  const dog = `${FIXTURES_DIR}/images/libavif-dog_exif_extended_xmp_icc.jpg`;
  const twelveBytes = existsSync(dog) ? readFileSync(dog) : await photoJpeg(4032, 3024);
  const threeBytes = await sharp(twelveBytes)
    .autoOrient()
    .resize(2000, 2000, { fit: 'inside' })
    .jpeg({ quality: 90 })
    .toBuffer();
  const inputs = [
    {
      name: existsSync(dog)
        ? '3 MP (1500 × 2000 JPEG, the phone photo scaled down)'
        : '3 MP (2000 × 1500 JPEG)',
      bytes: threeBytes,
    },
    {
      name: `12 MP (4032 × 3024 JPEG${existsSync(dog) ? ', a phone photo from the fixtures' : ''})`,
      bytes: twelveBytes,
    },
  ];
  const lines: string[] = [];
  let threeMs = 0;
  for (const input of inputs) {
    const { width = 0 } = await sharp(input.bytes).autoOrient().metadata();
    const turned = (await sharp(input.bytes).metadata()).orientation ?? 1;
    const displayWidth = turned >= 5 ? ((await sharp(input.bytes).metadata()).height ?? width) : width;
    lines.push(`${input.name}, rungs ${ladderFor(displayWidth, DEFAULT_VARIANT_WIDTHS).join('/')}:`);
    for (const formats of [['avif'], ['webp'], ['jpeg'], ['avif', 'webp', 'jpeg']] as VariantFormat[][]) {
      const ours: number[] = [];
      const theirs: number[] = [];
      for (let round = 0; round < 3; round++) {
        let started = performance.now();
        await renderImage(input.bytes, { ...options, formats });
        ours.push(performance.now() - started);
        started = performance.now();
        await direct(input.bytes, displayWidth, formats);
        theirs.push(performance.now() - started);
      }
      const ratio = median(ours) / median(theirs);
      lines.push(
        `  ${formats.join('+').padEnd(14)} ours ${median(ours).toFixed(0).padStart(5)} ms, sharp directly ${median(theirs).toFixed(0).padStart(5)} ms: ${ratio.toFixed(2)}×`,
      );
      if (formats.length === 3 && input.bytes === threeBytes) threeMs = median(ours);
    }
  }
  lines.push(
    '  (ours includes the ThumbHash, the dominant colour and the metadata-free original; median of 3, alternating)',
  );
  return { lines, twelve: await renderImage(twelveBytes, options), twelveBytes, threeMs };
}

async function peakMemory(): Promise<string[]> {
  const lines: string[] = [];
  // Distinct 24 MP photos, written to files the child process reads, so making them costs it nothing.
  const folder = mkdtempSync(join(tmpdir(), 'bench-24mp-'));
  const files = await Promise.all(
    [0, 1].map(async (index) => {
      const file = join(folder, `${index}.jpg`);
      const photo = await photoJpeg(5657, 4243);
      writeFileSync(
        file,
        await sharp(photo)
          .modulate({ hue: index * 90 })
          .jpeg({ quality: 90 })
          .toBuffer(),
      );
      return file;
    }),
  );
  for (const count of [1, 2]) {
    const { stdout } = await run(
      process.execPath,
      ['--import', 'tsx', 'test/bench/render-rss.ts', ...files.slice(0, count)],
      { maxBuffer: 1 << 20 },
    );
    const result = JSON.parse(stdout.trim().split('\n').pop() ?? '{}');
    lines.push(
      `24 MP (5657 × 4243 JPEG) × ${count} at once: peak RSS ${result.peakRssMb.toFixed(0)} MB (${result.beforeMb.toFixed(0)} MB with the files read, before rendering), ${result.ms.toFixed(0)} ms`,
    );
  }
  lines.push(`  the renderer function has ${RENDERER_MEMORY_GB * 1024} MB and RENDER_CONCURRENCY=2`);
  return lines;
}

async function dedupe(): Promise<string[]> {
  const photos = await Promise.all(
    Array.from({ length: 10 }, async (_, index) =>
      sharp(await photoJpeg(1600, 1200))
        .modulate({ hue: index * 30 })
        .jpeg({ quality: 88 })
        .toBuffer(),
    ),
  );
  let downloads = 0;
  const server = createServer((request, response) => {
    downloads++;
    response.writeHead(200, { 'Content-Type': 'image/jpeg' }).end(photos[Number(request.url?.slice(1)) % 10]);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const pipeline = memoryPipeline((url) => openImage(url, { ...DEFAULT_FETCH_POLICY, allowPrivate: true }));
  try {
    const records = Array.from({ length: 100 }, (_, index) =>
      pipeline.statuses.write(`sku-${index}`, [image(index + 1, { url: `${base}/${index}` })], index + 1),
    );
    const started = performance.now();
    const { failed } = await pipeline.run(records);
    if (failed.length > 0) throw new Error('dedupe bench: records failed');
    const elapsed = performance.now() - started;
    const stored = [...pipeline.objects.objects.values()].reduce(
      (sum, object) => sum + object.body.length,
      0,
    );
    return [
      `100 SKUs, 10 distinct 1600 × 1200 photos (each behind 10 URLs): ${downloads} downloads, ${pipeline.renders()} renders, ${pipeline.objects.objects.size} objects, ${kb(stored)} stored (${kb(stored * 10)} if each SKU kept its own), ${(elapsed / 1000).toFixed(1)} s`,
    ];
  } finally {
    server.close();
  }
}

function servedBytes(rendition: Rendition, original: Buffer): string[] {
  const slot = 400;
  const rung = rungFor(ladderFor(rendition.width, DEFAULT_VARIANT_WIDTHS), slot);
  const size = (format: VariantFormat) =>
    rendition.variants.find((variant) => variant.width === rung && variant.format === format)?.body.length ??
    0;
  const avif = size('avif');
  return [
    `a 400 px slot (1× screen) is served the ${rung} px rung of the 12 MP photo: AVIF ${kb(avif)}, WebP ${kb(size('webp'))}, JPEG ${kb(size('jpeg'))}, original ${kb(original.length)}`,
    `  AVIF/original ${(avif / original.length).toFixed(4)} (${(original.length / avif).toFixed(0)}× fewer bytes); AVIF/WebP ${(avif / size('webp')).toFixed(2)}`,
  ];
}

async function postToReady(): Promise<string[]> {
  // A process of its own: the Lambda entry points read their environment once, at first import.
  const { stdout } = await run(process.execPath, ['--import', 'tsx', 'test/bench/post-to-ready.ts'], {
    maxBuffer: 1 << 20,
    env: { ...process.env, LOG_LEVEL: 'silent' },
  });
  const result = JSON.parse(stdout.trim().split('\n').pop() ?? '{}') as { samples: number[] };
  const samples = result.samples;
  return [
    `POST → ready, one 3 MP JPEG (local mode: DynamoDB Local, s3rver, the stream poller every 100 ms): median ${median(samples).toFixed(0)} ms over ${samples.length} (min ${Math.min(...samples).toFixed(0)}, max ${Math.max(...samples).toFixed(0)})`,
  ];
}

function monthlyCost(threeMs: number): string[] {
  const images = 1_000_000;
  const x86Seconds = (threeMs / 1000) * images;
  const armSeconds = x86Seconds * SHARP_X86_OVER_ARM;
  const cost = (seconds: number, price: number) =>
    seconds * RENDERER_MEMORY_GB * price + images * LAMBDA_REQUEST;
  const x86 = cost(x86Seconds, LAMBDA_X86_GB_SECOND);
  const arm = cost(armSeconds, LAMBDA_ARM_GB_SECOND);
  return [
    `rendering 1 M new 3 MP images a month at ${RENDERER_MEMORY_GB} GB: x86_64 ${threeMs.toFixed(0)} ms each (measured here) → $${x86.toFixed(2)}; arm64 ${(threeMs * SHARP_X86_OVER_ARM).toFixed(0)} ms each (× ${SHARP_X86_OVER_ARM.toFixed(2)}, sharp's per-core ratio) → $${arm.toFixed(2)}; arm64/x86_64 ${(arm / x86).toFixed(2)}`,
  ];
}

/** AVIF effort 2 to 4 on the largest rung of the 12 MP photo: the choice behind DEFAULT_AVIF_EFFORT. */
async function avifEffort(photo: Buffer): Promise<string[]> {
  const lines: string[] = [];
  for (const effort of [2, 3, 4]) {
    const times: number[] = [];
    let bytes = 0;
    for (let round = 0; round < 3; round++) {
      const started = performance.now();
      bytes = (await sharp(photo).autoOrient().resize({ width: 1920 }).avif({ effort }).toBuffer()).length;
      times.push(performance.now() - started);
    }
    lines.push(`  effort ${effort}: ${median(times).toFixed(0)} ms, ${kb(bytes)}`);
  }
  return lines;
}

/** Issue 9's figures: render cost, memory, dedupe, bytes served, POST → ready, cost per architecture. */
export async function measureVariants(): Promise<string[]> {
  const cost = await renderCost();
  return [
    'Render cost of the full ladder against sharp called directly for the same outputs (goal ≤ 1.2×):',
    ...cost.lines,
    'AVIF effort, 1920 px rung of the 12 MP photo (median of 3):',
    ...(await avifEffort(cost.twelveBytes)),
    'Peak memory (goal: fits 1,024 MB with room to spare):',
    ...(await peakMemory()),
    'Dedupe:',
    ...(await dedupe()),
    'Bytes served:',
    ...servedBytes(cost.twelve, cost.twelveBytes),
    'Latency:',
    ...(await postToReady()),
    'Cost:',
    ...monthlyCost(cost.threeMs),
  ];
}
