import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { launchBrowser } from '../helpers/browser';
import { FIXTURES_DIR } from '../helpers/fixtures';
import { type Origin, serve, startOrigin } from '../helpers/origin';
import { photoJpeg } from '../helpers/photos';

/**
 * `npm run bench -- page`: the image bytes a 400 px phone at 2x loads to show the catalogue page,
 * today's storefront grid against the page of `BENCH_BASELINE_REVISION` (every image of every product),
 * with the same products: the walkthrough's two shirts with their swatches and three camera photos.
 */

const run = promisify(execFile);
const ROOT = resolve(import.meta.dirname, '../..');
const RESOURCE = '/api/i1/downloadable_image/';
const CAMERA_PHOTOS = [
  'libavif-dog_exif_extended_xmp_icc.jpg',
  'exif-hdr_iphone_hdr_YES.jpg',
  'exif-tests_28-hex_value.jpg',
];

interface Running {
  child: ChildProcess;
  baseUrl: string;
  apiKey: string;
}

/** `npm start` of the checkout at `root`, in a folder of its own. */
async function startLocal(root: string): Promise<Running> {
  const child = spawn(
    process.execPath,
    [join(root, 'node_modules/tsx/dist/cli.mjs'), join(root, 'infra/local/start.ts')],
    {
      cwd: mkdtempSync(join(tmpdir(), 'bench-page-')),
      env: { ...process.env, PORT: '0', LOG_LEVEL: 'warn' },
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  let output = '';
  child.stdout?.on('data', (chunk: Buffer) => {
    output += chunk.toString();
  });
  child.stderr?.on('data', (chunk: Buffer) => {
    output += chunk.toString();
  });
  const deadline = Date.now() + 90_000;
  for (;;) {
    const running = /running at (http:\/\/[\d.:]+)\//.exec(output);
    const key = /API key: ([0-9a-f]{40})/.exec(output);
    if (running?.[1] && key?.[1] && output.includes('Ctrl-C'))
      return { child, baseUrl: running[1], apiKey: key[1] };
    if (child.exitCode !== null || Date.now() > deadline)
      throw new Error(`local mode did not start:\n${output}`);
    await new Promise((done) => setTimeout(done, 200));
  }
}

async function postProducts(local: Running, origin: Origin, photos: string[]): Promise<void> {
  const headers = { Authorization: `Token ${local.apiKey}`, 'Content-Type': 'application/json' };
  const products = [
    ...['red', 'navy'].map((colour) => ({
      product_sku: `shirt-${colour}`,
      images: [
        { url: `${local.baseUrl}/samples/shirt-${colour}.jpg`, order: 0, image_type: 'default' },
        { url: `${local.baseUrl}/samples/shirt-${colour}-swatch.png`, order: 1, image_type: 'swatch' },
      ],
    })),
    ...photos.map((path, index) => ({
      product_sku: `camera-${index}`,
      images: [{ url: `${origin.url}${path}` }],
    })),
  ];
  for (const body of products) {
    const answer = await fetch(`${local.baseUrl}${RESOURCE}`, {
      method: 'POST',
      headers,
      body: JSON.stringify(body),
    });
    if (answer.status >= 300) throw new Error(`POST answered ${answer.status}`);
  }
  const deadline = Date.now() + 180_000;
  for (;;) {
    const page = (await (await fetch(`${local.baseUrl}${RESOURCE}`, { headers })).json()) as {
      results: Array<{ images: Array<{ status: string }> }>;
    };
    const images = page.results.flatMap((product) => product.images);
    if (images.length === 4 + photos.length && images.every((image) => image.status !== 'pending')) return;
    if (Date.now() > deadline) throw new Error('images still pending');
    await new Promise((done) => setTimeout(done, 500));
  }
}

/** Image bytes and requests a 400 px, 2x page loads until the network is idle. */
async function pageImageBytes(local: Running): Promise<{ bytes: number; images: number }> {
  const browser = await launchBrowser();
  try {
    const context = await browser.newContext({ viewport: { width: 400, height: 900 }, deviceScaleFactor: 2 });
    const page = await context.newPage();
    let bytes = 0;
    let images = 0;
    page.on('response', async (response) => {
      if (!(response.headers()['content-type'] ?? '').startsWith('image/')) return;
      if (new URL(response.url()).pathname === '/favicon.ico') return;
      images++;
      bytes += (await response.body().catch(() => Buffer.alloc(0))).length;
    });
    await page.goto(`${local.baseUrl}/`);
    await page.locator('#key').fill(local.apiKey);
    await page.locator('#key-form button').click();
    await page.waitForLoadState('networkidle');
    await page.waitForTimeout(1000);
    await context.close();
    return { bytes, images };
  } finally {
    await browser.close();
  }
}

async function measure(root: string, origin: Origin, photos: string[]) {
  const local = await startLocal(root);
  try {
    await postProducts(local, origin, photos);
    return await pageImageBytes(local);
  } finally {
    local.child.kill('SIGTERM');
    await new Promise((done) => local.child.once('exit', done));
  }
}

export async function measurePageBytes(): Promise<string[]> {
  const origin = await startOrigin('127.0.0.1');
  const photos: string[] = [];
  for (const [index, name] of CAMERA_PHOTOS.entries()) {
    const file = join(FIXTURES_DIR, 'images', name);
    const bytes = existsSync(file) ? readFileSync(file) : await photoJpeg(3000, 2000);
    origin.route(`/photo-${index}.jpg`, serve(bytes, 'image/jpeg'));
    photos.push(`/photo-${index}.jpg`);
  }
  const revision = process.env.BENCH_BASELINE_REVISION;
  try {
    const today = await measure(ROOT, origin, photos);
    const kb = (bytes: number) => `${(bytes / 1024).toFixed(0)} KB`;
    const lines = [
      `The catalogue page at 400 px, 2x (Chromium), 5 products (2 shirts with a swatch each, 3 camera photos): today ${kb(today.bytes)} of images in ${today.images} requests`,
    ];
    if (revision) {
      const worktree = mkdtempSync(join(tmpdir(), 'bench-page-revision-'));
      await run('git', ['worktree', 'add', '--detach', worktree, revision], { cwd: ROOT });
      try {
        symlinkSync(join(ROOT, 'node_modules'), join(worktree, 'node_modules'));
        const before = await measure(worktree, origin, photos);
        lines.push(
          `  at ${revision}: ${kb(before.bytes)} in ${before.images} requests (today ${(today.bytes / before.bytes).toFixed(2)}× the bytes)`,
        );
      } finally {
        await run('git', ['worktree', 'remove', '--force', worktree], { cwd: ROOT });
        rmSync(worktree, { recursive: true, force: true });
      }
    } else lines.push('  (set BENCH_BASELINE_REVISION=48fcd1b for the page before)');
    return lines;
  } finally {
    await origin.close();
  }
}
