import { execFileSync, spawnSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ImageView } from '../../lib/domain/image';
import { png } from '../helpers/images';
import {
  auditCommand,
  type LocalMode,
  portOutsideEphemeralRange,
  processesMarked,
  ROOT,
  rerenderCommand,
  startLocalMode,
  tokenCommand,
} from '../helpers/local-mode';
import { type Origin, serve, startOrigin } from '../helpers/origin';

let origin: Origin;
beforeAll(async () => {
  origin = await startOrigin('127.0.0.1');
  origin.route('/local.png', serve(png(4, 3), 'image/png'));
});
afterAll(() => origin.close());

async function settledImage(local: LocalMode, sku: string): Promise<ImageView> {
  const headers = { Authorization: `Token ${local.apiKey}`, 'Content-Type': 'application/json' };
  const url = `${local.baseUrl}/api/i1/downloadable_image/`;
  const posted = await fetch(url, {
    method: 'POST',
    headers,
    body: JSON.stringify({ product_sku: sku, images: [{ url: `${origin.url}/local.png` }] }),
  });
  expect(posted.status).toBe(201);
  const deadline = Date.now() + 20_000;
  for (;;) {
    const listing = (await (await fetch(`${url}?product_sku=${sku}`, { headers })).json()) as {
      results: Array<{ images: ImageView[] }>;
    };
    const image: ImageView | undefined = listing.results[0]?.images[0];
    if (image && image.status !== 'pending') return image;
    if (Date.now() > deadline) throw new Error(`still pending: ${JSON.stringify(listing)}`);
    await new Promise((done) => setTimeout(done, 100));
  }
}

describe('npm start and ALLOW_PRIVATE_IMAGE_HOSTS', () => {
  it('applies the deployed SSRF rules when set to false: a loopback image is refused', async () => {
    const local = await startLocalMode({ ALLOW_PRIVATE_IMAGE_HOSTS: 'false' });
    try {
      const image = await settledImage(local, 'strict');
      expect(image).toMatchObject({ status: 'failed', error: 'address not allowed', cdn_url: null });
      expect(origin.hits.get('/local.png') ?? 0).toBe(0);
    } finally {
      await local.stop();
    }
  });

  it('lets images come from this machine by default', async () => {
    const local = await startLocalMode({ ALLOW_PRIVATE_IMAGE_HOSTS: undefined });
    try {
      const image = await settledImage(local, 'relaxed');
      expect(image).toMatchObject({ status: 'ready', width: 4, height: 3 });
      const served = await fetch(image.cdn_url ?? '');
      expect(Buffer.from(await served.arrayBuffer()).equals(png(4, 3))).toBe(true);
      // npm run audit finds the running service through .local/ and the store whole (exit 0).
      const { command, args } = auditCommand();
      const auditOnce = () =>
        spawnSync(command, [...args, '--json'], {
          cwd: local.directory,
          encoding: 'utf8',
          env: { ...process.env, TABLE_NAME: '' },
        });
      await expect.poll(() => auditOnce().status, { timeout: 15_000, interval: 500 }).toBe(0);
      const report = JSON.parse(auditOnce().stdout) as { clean: boolean; scanned: { images: number } };
      expect(report).toMatchObject({ clean: true, scanned: { images: 1 } });
    } finally {
      await local.stop();
    }
  });
});

describe('the walkthrough npm start prints', () => {
  it('runs as printed, offline: the sample photos end ready and their cdn_urls serve the same bytes', async () => {
    const local = await startLocalMode({ LOG_LEVEL: undefined });
    try {
      const printed = local.output().split('\n');
      const first = printed.findIndex((line) => line.startsWith('  curl -s -X POST'));
      const commands = printed.slice(first, first + 3).join('\n');
      expect(commands).toContain(`${local.baseUrl}/samples/shirt-red.jpg`);
      const posted = JSON.parse(
        execFileSync('bash', ['-c', printed.slice(first, first + 2).join('\n')], { encoding: 'utf8' }),
      );
      expect(posted.images.map((image: ImageView) => image.status)).toEqual(['pending', 'pending']);

      const deadline = Date.now() + 20_000;
      let images: ImageView[] = [];
      while (Date.now() < deadline) {
        images = JSON.parse(execFileSync('bash', ['-c', printed[first + 2] ?? ''], { encoding: 'utf8' }))
          .results[0].images;
        if (images.every((image) => image.status !== 'pending')) break;
        await new Promise((done) => setTimeout(done, 100));
      }
      expect(images.map((image) => [image.status, image.width, image.height])).toEqual([
        ['ready', 800, 800],
        ['ready', 64, 64],
      ]);
      for (const image of images) {
        const original = Buffer.from(await (await fetch(image.url)).arrayBuffer());
        const copy = Buffer.from(await (await fetch(image.cdn_url ?? '')).arrayBuffer());
        expect(copy.equals(original)).toBe(true);
      }
      // The terminal told it: a line per image, then the product.
      await waitFor(() => local.output().includes('shirt-red: all 2 images settled (2 ready, 0 failed)'));
      expect(local.output()).toMatch(
        /image \d+ of shirt-red ready: 800×800 image\/jpeg, \d+ KB, \d+\.\d s after the POST/,
      );
      expect(local.output()).toMatch(/image \d+ of shirt-red ready: 64×64 image\/png/);

      // The API's OpenAPI document and its rendered reference.
      const served = await fetch(`${local.baseUrl}/openapi.json`);
      expect(await served.text()).toBe(readFileSync(join(ROOT, 'openapi.json'), 'utf8'));
      const docs = await fetch(`${local.baseUrl}/docs`);
      expect(docs.headers.get('content-type')).toBe('text/html; charset=utf-8');
      expect(await docs.text()).toContain('Product Image API (downloadable_image)');

      // It says where the docs are, and serves them: every page of docs/, rendered.
      const docsLine = printed.find((line) => line.includes('Docs: '));
      const guide = /Docs: (\S+)/.exec(docsLine ?? '')?.[1] ?? '';
      expect(guide).toBe(`${local.baseUrl}/guide/`);
      const index = await (await fetch(guide)).text();
      for (const page of readdirSync(join(ROOT, 'docs')).filter((name) => name.endsWith('.md'))) {
        expect(index).toContain(`href="${page}"`);
        expect((await fetch(new URL(page, guide))).status).toBe(200);
      }

      // A key revoked with the token command stops working at once.
      const headers = { Authorization: `Token ${local.apiKey}` };
      expect((await fetch(`${local.baseUrl}/api/i1/downloadable_image/`, { headers })).status).toBe(200);
      const { command, args } = tokenCommand();
      execFileSync(command, [...args, 'revoke', 'local'], {
        cwd: local.directory,
        encoding: 'utf8',
        env: { ...process.env, TABLE_NAME: '' }, // the local service, found through .local/
      });
      const refused = await fetch(`${local.baseUrl}/api/i1/downloadable_image/`, { headers });
      expect(refused.status).toBe(401);
      expect(await refused.json()).toEqual({ detail: 'Invalid token.' });
    } finally {
      await local.stop();
    }
  });

  it('with FAULTS prints the plan and fails AWS calls below the SDK retries; an image still ends ready', async () => {
    // S3 alone: DynamoDB faults reach the API too, whose 503s this walkthrough-like helper does not retry.
    const local = await startLocalMode({ FAULTS: 's3=0.3', FAULTS_SEED: '11' });
    try {
      expect(local.output()).toContain('FAULTS s3=0.3 (FAULTS_SEED=11)');
      const image = await settledImage(local, 'faulty');
      expect(image.status).toBe('ready');
      expect((await fetch(image.cdn_url ?? '')).status).toBe(200);
    } finally {
      await local.stop();
    }
  });

  it('stays quiet about the pipeline with LOG_LEVEL=warn', async () => {
    const local = await startLocalMode({ LOG_LEVEL: 'warn' });
    try {
      const image = await settledImage(local, 'quiet');
      expect(image.status).toBe('ready');
      await new Promise((done) => setTimeout(done, 500));
      expect(local.output()).not.toMatch(/of quiet ready|quiet: all/);
      expect(local.output()).not.toContain('"level":"info"');
    } finally {
      await local.stop();
    }
  });
});

async function readyImages(local: LocalMode, sku: string, count: number): Promise<ImageView[]> {
  const headers = { Authorization: `Token ${local.apiKey}` };
  const deadline = Date.now() + 30_000;
  for (;;) {
    // A spawnSync before this call blocks the event loop past the server's keep-alive timeout: the pooled
    // socket it closed meanwhile fails once ("other side closed"), and the next try opens a new one.
    const answer = await fetch(`${local.baseUrl}/api/i1/downloadable_image/?product_sku=${sku}`, {
      headers,
    }).catch((error: unknown) => {
      if (Date.now() > deadline) throw error;
      return null;
    });
    if (!answer) continue;
    const images: ImageView[] =
      ((await answer.json()) as { results: Array<{ images: ImageView[] }> }).results[0]?.images ?? [];
    if (images.length === count && images.every((image) => image.status === 'ready')) return images;
    if (Date.now() > deadline) throw new Error(`not ready: ${JSON.stringify(images)}`);
    await new Promise((done) => setTimeout(done, 100));
  }
}

describe('a ladder change on LOCAL_DATA_DIR, a restart, then npm run rerender', () => {
  it('keeps every URL answering 200 across the switch, renders new images with the new ladder, and rerender adds the rungs', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'ladder-switch-data-'));
    const workDir = mkdtempSync(join(tmpdir(), 'ladder-switch-'));
    const env = {
      LOCAL_DATA_DIR: dataDir,
      CDN_PORT: String(await portOutsideEphemeralRange()),
      LOG_LEVEL: 'warn',
    };
    const post = async (local: LocalMode, sku: string, sample: string) => {
      const posted = await fetch(`${local.baseUrl}/api/i1/downloadable_image/`, {
        method: 'POST',
        headers: { Authorization: `Token ${local.apiKey}`, 'Content-Type': 'application/json' },
        body: JSON.stringify({ product_sku: sku, images: [{ url: `${local.baseUrl}/samples/${sample}` }] }),
      });
      expect(posted.status).toBe(201);
    };
    const boundaries = [352, 640, 832, 1024, 1200, 1600, 1920, 2400].flatMap((width) => [
      width - 1,
      width,
      width + 1,
    ]);
    const accept = { Accept: 'image/avif,image/webp,*/*' };

    let local = await startLocalMode({ ...env, VARIANT_WIDTHS: '352,1200,1920' }, 60_000, workDir);
    let before: ImageView;
    try {
      await post(local, 'shirt', 'shirt-red.jpg');
      [before] = (await readyImages(local, 'shirt', 1)) as [ImageView];
      expect([...new Set(before.variants.map((variant) => variant.width))]).toEqual([800, 352]);
    } finally {
      await local.stop();
    }
    const urls = [
      before.cdn_url ?? '',
      ...before.variants.map((variant) => variant.url),
      ...boundaries.map((width) => `${before.cdn_url}?width=${width}`),
    ];

    local = await startLocalMode({ ...env, VARIANT_WIDTHS: '352,640,1024,1600,2400' }, 60_000, workDir);
    try {
      // Before any re-rendering: every URL handed out under the old ladder answers.
      for (const url of urls) expect((await fetch(url, { headers: accept })).status, url).toBe(200);
      // New images get the new ladder.
      await post(local, 'shirt-navy', 'shirt-navy.jpg');
      const [navy] = await readyImages(local, 'shirt-navy', 1);
      expect([...new Set(navy?.variants.map((variant) => variant.width))]).toEqual([800, 640, 352]);

      const { command, args } = rerenderCommand();
      const dry = spawnSync(command, [...args, '--dry-run'], {
        cwd: workDir,
        encoding: 'utf8',
        env: { ...process.env, TABLE_NAME: '' },
      });
      expect(dry.status, dry.stderr).toBe(0);
      expect(dry.stdout).toContain('1 to do');
      const run = spawnSync(command, [...args, '--rate', '20'], {
        cwd: workDir,
        encoding: 'utf8',
        env: { ...process.env, TABLE_NAME: '' },
      });
      expect(run.status, `${run.stdout}${run.stderr}`).toBe(0);
      expect(run.stderr).toMatch(/rerender: 1\/1 images \(0 skipped, 0 failed\), [\d.]+\/s, ETA 0s/);
      expect(run.stdout).toContain('1 done, 0 skipped (changed meanwhile), 0 failed');

      const [after] = await readyImages(local, 'shirt', 1);
      expect(after).toMatchObject({ id: before.id, url: before.url, order: before.order });
      expect([...new Set(after?.variants.map((variant) => variant.width))]).toEqual([800, 640, 352]);
      for (const url of urls) expect((await fetch(url, { headers: accept })).status, url).toBe(200);
      for (const width of boundaries) {
        expect((await fetch(`${after?.cdn_url}?width=${width}`, { headers: accept })).status).toBe(200);
      }
      const again = spawnSync(command, [...args, '--dry-run'], {
        cwd: workDir,
        encoding: 'utf8',
        env: { ...process.env, TABLE_NAME: '' },
      });
      expect(again.stdout).toContain('0 to do');
    } finally {
      await local.stop();
    }
  });
});

async function waitFor(condition: () => boolean, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((done) => setTimeout(done, 50));
  }
}

/** A PATH with node, npm and a shell but no `java`, as on a machine without a Java runtime. */
function pathWithoutJava(): string {
  const bin = mkdtempSync(join(tmpdir(), 'no-java-'));
  for (const tool of ['node', 'npm', 'sh']) {
    const found = execFileSync('bash', ['-c', `command -v ${tool}`], { encoding: 'utf8' }).trim();
    symlinkSync(found, join(bin, tool));
  }
  return bin;
}

// A run started by the test below must not start this test again.
describe.skipIf(process.env.PRODUCT_IMAGES_PREREQUISITE_PROBE !== undefined)('without a Java runtime', () => {
  it.each([
    ['npm', 'start'],
    ['npm', 'test'],
  ])('`%s %s` explains what is missing, exits 1 and leaves nothing running', (tool, script) => {
    const probe = randomUUID();
    const marker = `PRODUCT_IMAGES_PREREQUISITE_PROBE=${probe}`;
    const result = spawnSync(tool, [script], {
      cwd: ROOT,
      env: { ...process.env, PATH: pathWithoutJava(), PRODUCT_IMAGES_PREREQUISITE_PROBE: probe, PORT: '0' },
      encoding: 'utf8',
      timeout: 120_000,
    });
    const output = `${result.stdout}${result.stderr}`;
    expect(result.status, output).toBe(1);
    expect(output).toContain(`npm ${script} runs DynamoDB Local, AWS's own DynamoDB engine`);
    expect(output).toContain('apt-get install -y openjdk-17-jre-headless');
    expect(output).not.toMatch(/\n\s+at .+:\d+:\d+\)?\n/);
    expect(output).not.toMatch(/ENOENT|Error:/);
    expect(processesMarked(marker)).toEqual([]);
  });
});
