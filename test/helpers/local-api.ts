import { afterAll, beforeAll, inject } from 'vitest';
import { createDocumentClient } from '../../lib/adapters/dynamodb/client';
import type { ImageView } from '../../lib/domain/image';
import { RESOURCE_PATH, startLocalStack, type TestApi } from './local-stack';
import { OpenApiValidator } from './openapi-validator';

export { RESOURCE_PATH, type TestApi };

/**
 * A fresh table in the shared DynamoDB Local and the local HTTP server in front of the real handlers;
 * with `withPipeline`, also an S3-compatible server and the stream poller feeding the pipeline handler,
 * as `npm start` runs them.
 */
export function startTestApi(options: { withPipeline?: boolean } = {}): Promise<TestApi> {
  return startLocalStack(inject('dynamodbEndpoint'), options);
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
