import { connect, type Socket } from 'node:net';
import type { Browser } from 'playwright-core';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startCdnProxy } from '../../infra/local/cdn-proxy';
import { createGuardedServer } from '../../infra/local/guarded-server';
import { listen } from '../../infra/local/service';
import type { ImageView } from '../../lib/domain/image';
import { createLogger } from '../../lib/logger';
import { launchBrowser } from '../helpers/browser';
import { type LocalMode, startLocalMode } from '../helpers/local-mode';
import { type Origin, serve, startOrigin } from '../helpers/origin';

const RESOURCE = '/api/i1/downloadable_image/';

/** A photo whose every rendition is large (noise does not compress): downloads take many packets. */
function noisyJpeg(width: number, height: number): Promise<Buffer> {
  return sharp({
    create: {
      width,
      height,
      channels: 3,
      background: '#808080',
      noise: { type: 'gaussian', mean: 128, sigma: 40 },
    },
  })
    .jpeg({ quality: 85 })
    .toBuffer();
}

function socketTo(url: string): Socket {
  const { hostname, port } = new URL(url);
  return connect(Number(port), hostname);
}

/**
 * A GET that reads its answer's first `bytes` bytes of body, then resets the connection (a tab closed
 * mid-load); answers how many bytes of body it had by then.
 */
function downloadThenReset(url: string, bytes: number): Promise<number> {
  return new Promise((done) => {
    const { pathname, search, host } = new URL(url);
    const socket = socketTo(url);
    let head = Buffer.alloc(0);
    let body = -1;
    socket.on('connect', () => socket.write(`GET ${pathname}${search} HTTP/1.1\r\nHost: ${host}\r\n\r\n`));
    socket.on('data', (chunk: Buffer) => {
      if (body < 0) {
        head = Buffer.concat([head, chunk]);
        const end = head.indexOf('\r\n\r\n');
        if (end >= 0) body = head.length - end - 4;
      } else body += chunk.length;
      if (body >= bytes && !socket.destroyed) socket.resetAndDestroy();
    });
    socket.on('error', () => undefined);
    socket.on('close', () => done(Math.max(body, 0)));
  });
}

/** A POST whose body stops half-way, then a reset: the client went away mid-upload. */
function postHalfThenReset(baseUrl: string, apiKey: string): Promise<void> {
  return new Promise((done) => {
    const body = JSON.stringify({ product_sku: 'never-finished', images: [{ url: 'https://x.test/a.jpg' }] });
    const socket = socketTo(baseUrl);
    socket.on('connect', () => {
      socket.write(
        `POST ${RESOURCE} HTTP/1.1\r\nHost: ${new URL(baseUrl).host}\r\nAuthorization: Token ${apiKey}\r\n` +
          `Content-Type: application/json\r\nContent-Length: ${body.length}\r\n\r\n${body.slice(0, body.length / 2)}`,
      );
      setTimeout(() => socket.resetAndDestroy(), 20);
    });
    socket.on('error', () => undefined);
    socket.on('close', () => done());
  });
}

/** A connection opened and reset at once, before a byte of a request. */
function connectThenReset(url: string): Promise<void> {
  return new Promise((done) => {
    const socket = socketTo(url);
    socket.on('connect', () => socket.resetAndDestroy());
    socket.on('error', () => undefined);
    socket.on('close', () => done());
  });
}

async function bytesOf(url: string): Promise<Buffer> {
  const answer = await fetch(url);
  expect(answer.status, url).toBe(200);
  return Buffer.from(await answer.arrayBuffer());
}

describe('npm start survives its clients', () => {
  let local: LocalMode;
  let origin: Origin;
  let images: ImageView[] = [];
  const headers = () => ({ Authorization: `Token ${local.apiKey}`, 'Content-Type': 'application/json' });

  beforeAll(async () => {
    origin = await startOrigin('127.0.0.1');
    origin.route('/portrait.jpg', serve(await noisyJpeg(2400, 3200), 'image/jpeg'));
    origin.route('/landscape.jpg', serve(await noisyJpeg(3200, 2400), 'image/jpeg'));
    local = await startLocalMode({ LOG_LEVEL: 'debug' });
    const posted = await fetch(`${local.baseUrl}${RESOURCE}`, {
      method: 'POST',
      headers: headers(),
      body: JSON.stringify({
        product_sku: 'camera-photos',
        images: [
          { url: `${origin.url}/portrait.jpg` },
          { url: `${origin.url}/landscape.jpg`, order: 1 },
          { url: `${local.baseUrl}/samples/shirt-red.jpg`, order: 2 },
        ],
      }),
    });
    expect(posted.status).toBe(201);
    const deadline = Date.now() + 90_000;
    for (;;) {
      const listing = (await (
        await fetch(`${local.baseUrl}${RESOURCE}?product_sku=camera-photos`, { headers: headers() })
      ).json()) as { results: Array<{ images: ImageView[] }> };
      images = listing.results[0]?.images ?? [];
      if (images.length === 3 && images.every((image) => image.status === 'ready')) break;
      if (Date.now() > deadline) throw new Error(`not ready: ${JSON.stringify(images)}`);
      await new Promise((done) => setTimeout(done, 200));
    }
  }, 120_000);
  afterAll(async () => {
    await local?.stop();
    await origin?.close();
  });

  it('ends only the requests whose clients went away: resets mid-download, mid-body and at once', async () => {
    const urls = images.flatMap((image) => [
      image.cdn_url ?? '',
      ...image.variants.map((variant) => variant.url),
    ]);
    const before = new Map(await Promise.all(urls.map(async (url) => [url, await bytesOf(url)] as const)));
    // Every size of answer: large ones the origin is still writing when the viewer leaves, small ones it
    // has finished writing (and whose connection it closes once idle) while the proxy holds them unread.
    const downloads = [
      ...images.map((image) => `${image.cdn_url}?width=1920`),
      ...[...before].filter(([, bytes]) => bytes.length > 32 * 1024).map(([url]) => url),
    ];
    const whole = new Map(
      await Promise.all(downloads.map(async (url) => [url, (await bytesOf(url)).length] as const)),
    );
    const sample = `${local.baseUrl}/samples/shirt-red.jpg`;

    const received = await Promise.all(
      Array.from({ length: 200 }, async (_, i) => {
        const url = downloads[i % downloads.length] ?? '';
        return { url, received: await downloadThenReset(url, 2048) };
      }),
    );
    // Each download of more than a few reads was cut by its client, not finished.
    for (const cut of received) {
      const size = whole.get(cut.url) ?? 0;
      if (size > 256 * 1024) expect(cut.received, cut.url).toBeLessThan(size);
    }
    await Promise.all([
      ...Array.from({ length: 50 }, () => downloadThenReset(sample, 2048)),
      ...Array.from({ length: 100 }, () => postHalfThenReset(local.baseUrl, local.apiKey)),
      ...Array.from({ length: 50 }, () => connectThenReset(local.baseUrl)),
      ...Array.from({ length: 50 }, () => connectThenReset(images[0]?.cdn_url ?? '')),
    ]);

    // An origin stream left unread is closed by the origin a few seconds later, and an unhandled
    // 'error' then ends the process: give that the time it takes.
    await new Promise((done) => setTimeout(done, 8000));
    expect(local.child.exitCode).toBeNull();
    const listing = await fetch(`${local.baseUrl}${RESOURCE}?product_sku=camera-photos`, {
      headers: headers(),
    });
    expect(listing.status).toBe(200);
    // No half-sent POST was taken for a whole one.
    const unfinished = await fetch(`${local.baseUrl}${RESOURCE}?product_sku=never-finished`, {
      headers: headers(),
    });
    expect(((await unfinished.json()) as { count: number }).count).toBe(0);
    for (const [url, bytes] of before) expect((await bytesOf(url)).equals(bytes), url).toBe(true);
    expect(local.output()).not.toMatch(/Unhandled|uncaught|node:events/i);
    // A client that went away is worth a debug line at most, never a warning or an error.
    expect(local.output()).not.toMatch(/"level":"(ERROR|WARN)".*"(relay|request|answer|connection)/);
  }, 120_000);

  it('lives through a browser closing the catalogue page while its images load, five times', async () => {
    const browser: Browser = await launchBrowser();
    try {
      for (let attempt = 0; attempt < 5; attempt++) {
        const context = await browser.newContext({
          viewport: { width: 1280, height: 900 },
          deviceScaleFactor: 2,
        });
        const page = await context.newPage();
        await page.goto(`${local.baseUrl}/`);
        await page.locator('#key').fill(local.apiKey);
        // Listened for before the click: the first image may be asked for the moment the key is in.
        const cdn = images[0]?.cdn_url?.split('/o/')[0] ?? '';
        const imageAsked = page.waitForRequest((request) => request.url().startsWith(cdn));
        await page.locator('#key-form button').click();
        // Closed as soon as the first image has started loading: a reload, a closed tab.
        await imageAsked;
        if (attempt % 2 === 0) await context.close();
        else {
          await page.reload();
          await context.close();
        }
      }
    } finally {
      await browser.close();
    }
    expect(local.child.exitCode).toBeNull();
    const listing = await fetch(`${local.baseUrl}${RESOURCE}?product_sku=camera-photos`, {
      headers: headers(),
    });
    expect(listing.status).toBe(200);
    expect((await bytesOf(images[0]?.cdn_url ?? '')).length).toBe(images[0]?.bytes);
  }, 120_000);
});

describe('the local CDN when its origin drops the connection mid-body', () => {
  it('cuts that one answer short; the next is whole and the process lives', async () => {
    const body = Buffer.alloc(256 * 1024, 7);
    const origin = await startOrigin('127.0.0.1');
    origin.route('/bucket/o/object', (_request, response, hit) => {
      response.writeHead(200, { 'content-type': 'image/jpeg', 'content-length': body.length });
      if (hit > 1) {
        response.end(body);
        return;
      }
      response.write(body.subarray(0, 8192));
      setTimeout(() => response.socket?.destroy(), 50);
    });
    const cdn = await startCdnProxy({ originBaseUrl: `${origin.url}/bucket` });
    try {
      const cut = await fetch(`${cdn.baseUrl}/o/object`);
      expect(cut.status).toBe(200);
      expect(cut.headers.get('content-length')).toBe(String(body.length));
      // The viewer sees fewer bytes than announced: its fetch fails rather than taking a short image.
      await expect(cut.arrayBuffer()).rejects.toThrow();
      const whole = Buffer.from(await (await fetch(`${cdn.baseUrl}/o/object`)).arrayBuffer());
      expect(whole.equals(body)).toBe(true);
    } finally {
      await cdn.stop();
      await origin.close();
    }
  });
});

describe('a local server whose handler throws', () => {
  it('logs the request, answers 500 when nothing was sent, and serves the next request', async () => {
    const lines: string[] = [];
    const logger = createLogger({ level: 'debug', service: 'guard-test' });
    logger.error = (...args: unknown[]) => {
      lines.push(JSON.stringify(args, (_key, value) => (value instanceof Error ? value.message : value)));
    };
    let calls = 0;
    const server = createGuardedServer('test', logger, (request, response) => {
      calls += 1;
      if (request.url?.startsWith('/throws?')) throw new Error('boom in the handler');
      if (request.url === '/throws-late') {
        response.writeHead(200, { 'content-length': '10' });
        response.write('12345');
        throw new Error('boom after the headers');
      }
      response.end('fine');
    });
    const baseUrl = await listen(server, 0);
    try {
      const failed = await fetch(`${baseUrl}/throws?key=secret`);
      expect(failed.status).toBe(500);
      expect(await failed.text()).toBe('internal error\n');
      await expect(fetch(`${baseUrl}/throws-late`).then((answer) => answer.text())).rejects.toThrow();
      expect(await (await fetch(`${baseUrl}/next`)).text()).toBe('fine');
      expect(calls).toBe(3);
      expect(lines[0]).toContain('"path":"/throws"');
      expect(lines[0]).toContain('boom in the handler');
      expect(lines.join('\n')).not.toContain('secret');
    } finally {
      server.closeAllConnections();
      server.close();
    }
  });
});
