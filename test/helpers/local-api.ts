import { randomUUID } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import type { Server } from 'node:http';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll, beforeAll, inject } from 'vitest';
import { localSiteFiles } from '../../infra/local/catalogue-page';
import { startCdnProxy } from '../../infra/local/cdn-proxy';
import { type RunningS3Local, startS3Local } from '../../infra/local/s3-local';
import {
  loadApiRoutes,
  localEnvironment,
  localPipelineEnvironment,
  prepareTable,
  registerApiKey,
  startApiServer,
  startLocalPipeline,
} from '../../infra/local/service';
import { createDocumentClient } from '../../lib/adapters/dynamodb/client';
import type { ImageView } from '../../lib/domain/image';
import { createLogger } from '../../lib/logger';
import { OpenApiValidator } from './openapi-validator';

export const RESOURCE_PATH = '/api/i1/downloadable_image/';

export interface TestApi {
  baseUrl: string;
  /** The resource's absolute URL, as the original document's examples use it. */
  url: string;
  apiKey: string;
  tableName: string;
  dynamodbEndpoint: string;
  /** With `withPipeline`: the S3-compatible CDN origin and the dead-letter file. */
  s3?: RunningS3Local;
  /** With `withPipeline`: the local CDN (the CloudFront Function in front of the S3 server). */
  cdnBaseUrl?: string;
  deadLetterFile?: string;
  /** With `withPipeline`: the JSON-lines file local mode writes `ProductImagesSettled` events to. */
  eventsFile?: string;
  close(): Promise<void>;
}

/**
 * A fresh table in the shared DynamoDB Local and the local HTTP server in front of the real handlers;
 * with `withPipeline`, also an S3-compatible server and the stream poller feeding the pipeline handler,
 * as `npm start` runs them.
 */
export async function startTestApi(options: { withPipeline?: boolean } = {}): Promise<TestApi> {
  const dynamodbEndpoint = inject('dynamodbEndpoint');
  const tableName = `test-${randomUUID()}`;
  await prepareTable(dynamodbEndpoint, tableName);
  const apiKey = await registerApiKey(dynamodbEndpoint, tableName, 'test');
  const stops: Array<() => Promise<void>> = [];
  let s3: RunningS3Local | undefined;
  let deadLetterFile: string | undefined;
  let cdnBaseUrl: string | undefined;
  // Without the pipeline nothing is copied, so no answer shows a CDN URL on this reserved host.
  const environment = localEnvironment(dynamodbEndpoint, tableName, 'http://cdn.invalid');
  if (options.withPipeline) {
    s3 = await startS3Local({ bucket: 'cdn-origin' });
    stops.push(s3.stop);
    const cdn = await startCdnProxy({ originBaseUrl: s3.publicBaseUrl });
    stops.unshift(cdn.stop);
    cdnBaseUrl = cdn.baseUrl;
    deadLetterFile = join(mkdtempSync(join(tmpdir(), 'product-images-dlq-')), 'dead-letters.jsonl');
    Object.assign(
      environment,
      localPipelineEnvironment(
        s3,
        deadLetterFile,
        true,
        join(dirname(deadLetterFile), 'events.jsonl'),
        cdnBaseUrl,
      ),
    );
    const poller = await startLocalPipeline(environment, {
      dynamodbEndpoint,
      tableName,
      deadLetterFile,
      logger: createLogger({ level: 'silent' }),
    });
    stops.unshift(poller.stop);
  }
  const routes = { ...(await loadApiRoutes(environment)), files: localSiteFiles() };
  const { baseUrl, server } = await startApiServer(routes, 0);
  return {
    baseUrl,
    url: `${baseUrl}${RESOURCE_PATH}`,
    apiKey,
    tableName,
    dynamodbEndpoint,
    s3,
    cdnBaseUrl,
    deadLetterFile,
    eventsFile: deadLetterFile && join(dirname(deadLetterFile), 'events.jsonl'),
    close: async () => {
      await closeServer(server);
      for (const stop of stops) await stop();
    },
  };
}

function closeServer(server: Server): Promise<void> {
  return new Promise((resolve) => {
    server.closeAllConnections();
    server.close(() => resolve());
  });
}

export function documentClientFor(api: TestApi) {
  return createDocumentClient({ region: 'local', endpoint: api.dynamodbEndpoint });
}

const documented = new OpenApiValidator();

/** A small client in the spirit of the examples' `requests` calls. */
export function client(api: TestApi) {
  const headers = { 'content-type': 'application/json', Authorization: `Token ${api.apiKey}` };
  const call = async (method: string, url: string, body?: unknown, extra: Record<string, string> = {}) => {
    const response = await fetch(url, {
      method,
      headers: { ...headers, ...extra },
      body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
    });
    const text = await response.text();
    // Every answer the integration suites get must be what the OpenAPI document says.
    const problems = documented.check(method, new URL(url).pathname, response.status, response.headers, text);
    if (problems.length > 0)
      throw new Error(`answer not as documented in openapi.json:\n${problems.join('\n')}`);
    return {
      status: response.status,
      headers: response.headers,
      text,
      json: text ? JSON.parse(text) : undefined,
    };
  };
  return {
    get: (params: Record<string, string> = {}, extra?: Record<string, string>) =>
      call(
        'GET',
        `${api.url}${Object.keys(params).length ? `?${new URLSearchParams(params)}` : ''}`,
        undefined,
        extra,
      ),
    getUrl: (url: string) => call('GET', url),
    post: (body: unknown, extra?: Record<string, string>) => call('POST', api.url, body, extra),
    call,
    /** Polls one product until `done` holds for its images (the pipeline works asynchronously). */
    waitForImages: async (sku: string, done: (images: ImageView[]) => boolean, timeoutMs = 20_000) => {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const response = await call('GET', `${api.url}?${new URLSearchParams({ product_sku: sku })}`);
        const images: ImageView[] = response.json.results[0]?.images ?? [];
        if (done(images)) return { images, etag: response.headers.get('etag') };
        if (Date.now() > deadline) throw new Error(`timed out waiting for ${sku}: ${JSON.stringify(images)}`);
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
    },
  };
}

export const settled = (images: ImageView[]) =>
  images.length > 0 && images.every((image) => image.status !== 'pending');

export type ApiClient = ReturnType<typeof client>;

/**
 * A test file's API: started before its tests, closed after them. Read `api` and `http` inside tests
 * (they are set once `beforeAll` has run).
 */
export function useTestApi(options: { withPipeline?: boolean } = {}): { api: TestApi; http: ApiClient } {
  const context = {} as { api: TestApi; http: ApiClient };
  beforeAll(async () => {
    context.api = await startTestApi(options);
    context.http = client(context.api);
  });
  afterAll(() => context.api?.close());
  return context;
}
