import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import sharp from 'sharp';
import { RENDERER } from '../../infra/constructs/image-pipeline';
import { FIXTURES_DIR } from '../helpers/fixtures';
import { deployedRenderModel } from './render-model';

/**
 * `npm run bench -- render`: CPU per image of everything rendered for one original (the ladder with its
 * 160 px rung, 1:1 grid tiles and swatches), decoded once; beside the ladder alone as an earlier revision
 * rendered it (`BENCH_BASELINE_REVISION=48fcd1b`), and the encoders' floor (the same outputs encoded from
 * pixels already decoded and resized). Every figure is the median of 3 fresh processes, taken round-robin.
 */

const run = promisify(execFile);
const ROOT = resolve(import.meta.dirname, '../..');
const ROUNDS = 3;
const median = (values: number[]) =>
  [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)] ?? Number.NaN;

/** The fixtures' camera photos of 3 MP and more: portrait (as a viewer sees them) and landscape. */
const CAMERA_PHOTOS = [
  ['libavif-dog_exif_extended_xmp_icc.jpg', '12.2 MP portrait (EXIF turned)'],
  ['exif-tests_87_OSError.jpg', '3.3 MP portrait'],
  ['exif-tests_28-hex_value.jpg', '3.9 MP portrait'],
  ['exif-hdr_canon_hdr_YES.jpg', '3.1 MP portrait (EXIF turned)'],
  ['exif-hdr_iphone_hdr_YES.jpg', '8.0 MP landscape'],
  ['exif-mobile_jolla.jpg', '8.0 MP landscape'],
  ['exif-Reconyx_HC500_Hyperfire.jpg', '3.1 MP landscape'],
] as const;

/** A product off-centre on a plain backdrop, with a soft shadow: what packshot studios deliver. */
async function packshot(width: number, height: number, backdrop: string): Promise<Buffer> {
  const x = Math.round(width * 0.2);
  const y = Math.round(height * 0.2);
  const w = Math.round(width * 0.35);
  const h = Math.round(height * 0.55);
  const svg = `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}">
    <defs><filter id="b"><feGaussianBlur stdDeviation="18"/></filter>
    <linearGradient id="g" x1="0" x2="1"><stop offset="0" stop-color="#1d4f91"/><stop offset="1" stop-color="#6fa8dc"/></linearGradient></defs>
    <rect width="100%" height="100%" fill="${backdrop}"/>
    <ellipse cx="${x + w / 2}" cy="${y + h + 20}" rx="${w * 0.6}" ry="${h * 0.05}" fill="#000" fill-opacity="0.25" filter="url(#b)"/>
    <rect x="${x}" y="${y}" width="${w}" height="${h}" rx="30" fill="url(#g)"/></svg>`;
  return sharp(Buffer.from(svg)).jpeg({ quality: 90 }).toBuffer();
}

interface Sample {
  cpuMs: number;
  /** Inside the child, around the render alone. */
  wallMs: number;
  outputs: number;
  peakRssMb: number;
}

async function child(lib: string, mode: 'render' | 'floor', file: string): Promise<Sample> {
  const { stdout } = await run(
    process.execPath,
    [join(ROOT, 'node_modules/tsx/dist/cli.mjs'), join(ROOT, 'test/bench/render-child.ts'), lib, mode, file],
    {
      maxBuffer: 10_000_000,
      env: { ...process.env, AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true' },
    },
  );
  return JSON.parse(stdout.trim().split('\n').pop() ?? '{}') as Sample;
}

/** An earlier revision's `lib/`, checked out in a temporary worktree with this checkout's node_modules. */
async function revisionLib(revision: string): Promise<{ lib: string; remove: () => Promise<void> }> {
  const worktree = mkdtempSync(join(tmpdir(), 'bench-render-'));
  await run('git', ['worktree', 'add', '--detach', worktree, revision], { cwd: ROOT });
  symlinkSync(join(ROOT, 'node_modules'), join(worktree, 'node_modules'));
  return {
    lib: join(worktree, 'lib'),
    remove: async () => {
      await run('git', ['worktree', 'remove', '--force', worktree], { cwd: ROOT });
    },
  };
}

export async function measureRender(): Promise<string[]> {
  const directory = mkdtempSync(join(tmpdir(), 'bench-render-corpus-'));
  const corpus: Array<{ name: string; what: string; file: string }> = [];
  for (const [name, what] of CAMERA_PHOTOS) {
    const file = join(FIXTURES_DIR, 'images', name);
    if (existsSync(file)) corpus.push({ name, what, file });
  }
  for (const [name, what, bytes] of [
    [
      'packshot-white.jpg',
      '4.3 MP packshot on white, off-centre, shadow',
      await packshot(2400, 1800, '#ffffff'),
    ],
    ['packshot-grey.jpg', '5.0 MP portrait packshot on light grey', await packshot(2000, 2500, '#ececec')],
  ] as const) {
    const file = join(directory, name);
    writeFileSync(file, bytes);
    corpus.push({ name, what, file });
  }
  const today = join(ROOT, 'lib');
  const revision = process.env.BENCH_BASELINE_REVISION;
  const baseline = revision ? await revisionLib(revision) : null;
  const samples = new Map<string, { now: Sample[]; floor: Sample[]; before: Sample[]; wall: number[] }>();
  try {
    for (let round = 0; round < ROUNDS; round++) {
      for (const input of corpus) {
        const entry = samples.get(input.name) ?? { now: [], floor: [], before: [], wall: [] };
        const now = await child(today, 'render', input.file);
        entry.now.push(now);
        entry.wall.push(now.wallMs);
        entry.floor.push(await child(today, 'floor', input.file));
        if (baseline) entry.before.push(await child(baseline.lib, 'render', input.file));
        samples.set(input.name, entry);
      }
    }
  } finally {
    await baseline?.remove();
    rmSync(directory, { recursive: true, force: true });
  }

  const cpu = (list: Sample[]) => median(list.map((sample) => sample.cpuMs));
  const lines = [
    `CPU per image (median of ${ROUNDS} fresh processes, round-robin): today's whole set (ladder with 160, 1:1 tiles, swatches) decoded once${baseline ? `; the ladder alone at ${revision}` : ''}; the encoders' floor (today's outputs encoded from pixels already decoded and resized)`,
  ];
  let totalNow = 0;
  let totalFloor = 0;
  let totalBefore = 0;
  for (const input of corpus) {
    const entry = samples.get(input.name);
    if (!entry) continue;
    const now = cpu(entry.now);
    const floor = cpu(entry.floor);
    const before = baseline ? cpu(entry.before) : Number.NaN;
    totalNow += now;
    totalFloor += floor;
    totalBefore += before;
    lines.push(
      `  ${input.name.padEnd(40)} ${input.what.padEnd(46)} today ${now.toFixed(0).padStart(5)} ms (${entry.now[0]?.outputs} files)  floor ${floor.toFixed(0).padStart(5)} ms${baseline ? `  before ${before.toFixed(0).padStart(5)} ms (${entry.before[0]?.outputs} files)  ${(now / before).toFixed(2)}×` : ''}`,
    );
  }
  const count = corpus.length;
  lines.push(
    `  mean per image: today ${(totalNow / count).toFixed(0)} ms, floor ${(totalFloor / count).toFixed(0)} ms (today/floor ${(totalNow / totalFloor).toFixed(2)}×, goal ≤ 1.15×)${baseline ? `, ladder alone at ${revision} ${(totalBefore / count).toFixed(0)} ms (today/before ${(totalNow / totalBefore).toFixed(2)}×, goal ≤ 1.00×)` : ' (set BENCH_BASELINE_REVISION=48fcd1b for the ladder alone before)'}`,
  );

  // The deployed model from this corpus's mean, not from one landscape window.
  const wall = corpus.reduce((sum, input) => sum + median(samples.get(input.name)?.wall ?? []), 0) / count;
  const meanCpu = totalNow / count;
  const model = deployedRenderModel(meanCpu, wall);
  lines.push(
    `Deployed model from the corpus mean (renderer ${RENDERER.memoryMb} MB ≈ ${model.vcpu.toFixed(2)} vCPU): ${model.lambdaSeconds.toFixed(2)} s per image, $${(model.perImageUsd * 1e6).toFixed(2)} per million images with SQS`,
    `  1,000,000 images at prod's ${model.prodConcurrency} renderers: ${model.minutesFor(1e6).toFixed(0)} min (goal ≤ 60), $${(model.perImageUsd * 1e6).toFixed(2)} (goal ≤ $80); within an hour needs ${model.renderersFor(1e6, 60)} renderers at once`,
  );
  lines.push(...(await memoryOf100Megapixels()));
  return lines;
}

/** A 100 MP original (the pixel limit) rendered alone: peak resident memory against the renderer's. */
async function memoryOf100Megapixels(): Promise<string[]> {
  const directory = mkdtempSync(join(tmpdir(), 'bench-render-100mp-'));
  const file = join(directory, 'large.jpg');
  try {
    writeFileSync(
      file,
      await sharp({ create: { width: 10_000, height: 10_000, channels: 3, background: '#7a8b9c' } })
        .jpeg({ quality: 80 })
        .toBuffer(),
    );
    const sample = await child(join(ROOT, 'lib'), 'render', file);
    return [
      `100 MP original (10,000 × 10,000 JPEG): peak ${sample.peakRssMb.toFixed(0)} MB resident, of the renderer's ${RENDERER.memoryMb} MB (${(sample.cpuMs / 1000).toFixed(1)} s CPU, ${sample.outputs} files)`,
    ];
  } finally {
    rmSync(directory, { recursive: true, force: true });
  }
}

// Read by the bench's own runner; also runnable alone: `tsx test/bench/render.ts`.
if (process.argv[1] && resolve(process.argv[1]) === resolve(import.meta.filename)) {
  for (const line of await measureRender()) process.stdout.write(`${line}\n`);
}
