import type { IncomingMessage } from 'node:http';
import type { ReadableStream as WebReadableStream } from 'node:stream/web';
import { createLogger, type Logger } from '../../lib/logger';
import { CDN_CUSTOM_HEADERS } from '../cdn/response-headers';
import { loadVariantRouter, type ViewerRequest } from '../cdn/variant-router';
import { createGuardedServer, relayBody } from './guarded-server';
import { listen } from './service';

export interface RunningCdnProxy {
  /** The local CDN base URL: `cdn_url`s start with it. */
  baseUrl: string;
  stop(): Promise<void>;
}

/** The viewer request CloudFront hands its functions, from a Node request. */
function viewerRequest(request: IncomingMessage): ViewerRequest {
  const url = new URL(request.url ?? '/', 'http://cdn.local');
  const querystring: ViewerRequest['querystring'] = {};
  for (const [name, value] of url.searchParams) {
    const entry = querystring[name];
    if (entry) entry.multiValue = [...(entry.multiValue ?? [{ value: entry.value }]), { value }];
    else querystring[name] = { value };
  }
  const headers: ViewerRequest['headers'] = {};
  for (const [name, value] of Object.entries(request.headers)) {
    if (value !== undefined) headers[name] = { value: Array.isArray(value) ? value.join(',') : value };
  }
  return { uri: url.pathname, querystring, headers };
}

const PASSED_ON = ['content-type', 'content-length', 'etag', 'last-modified'];

/**
 * Local mode's CloudFront: runs the deployed viewer-request function (the same file) on each request,
 * then serves the key it picked from the S3-compatible origin, with the headers the stack's response
 * headers policy adds.
 */
export async function startCdnProxy(options: {
  originBaseUrl: string;
  port?: number;
  logger?: Logger;
}): Promise<RunningCdnProxy> {
  const route = loadVariantRouter();
  const logger = options.logger ?? createLogger({ level: 'silent' });
  const server = createGuardedServer('cdn', logger, async (request, response) => {
    if (request.method !== 'GET' && request.method !== 'HEAD') {
      response.writeHead(405, { Allow: 'GET, HEAD' }).end();
      return;
    }
    try {
      const routed = route(viewerRequest(request));
      const query = new URLSearchParams();
      for (const [name, entry] of Object.entries(routed.querystring)) {
        for (const { value } of entry.multiValue ?? [entry]) query.append(name, value);
      }
      const target = `${options.originBaseUrl}${routed.uri}${query.size > 0 ? `?${query}` : ''}`;
      // A viewer that goes away ends the origin request too: nothing stays open on its behalf.
      const origin = new AbortController();
      response.once('close', () => {
        if (!response.writableFinished) origin.abort();
      });
      const upstream = await fetch(target, { method: request.method, signal: origin.signal });
      const headers: Record<string, string> = {
        ...CDN_CUSTOM_HEADERS,
        'X-Content-Type-Options': 'nosniff',
      };
      for (const name of PASSED_ON) {
        const value = upstream.headers.get(name);
        if (value !== null) headers[name] = value;
      }
      response.writeHead(upstream.status, headers);
      if (!upstream.body || request.method === 'HEAD') {
        response.end();
        return;
      }
      await relayBody(upstream.body as WebReadableStream, response, logger, () => origin.abort());
    } catch (error) {
      if (response.destroyed) return; // the viewer left before the origin answered
      logger.debug('cdn: origin unreachable', { error: (error as Error).message });
      if (!response.headersSent) response.writeHead(502, { 'Content-Type': 'text/plain' });
      response.end('origin unreachable\n');
    }
  });
  const baseUrl = await listen(server, options.port ?? 0);
  return {
    baseUrl,
    stop: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
