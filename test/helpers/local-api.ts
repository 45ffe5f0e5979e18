import { randomUUID } from 'node:crypto';
import type { Server } from 'node:http';
import { inject } from 'vitest';
import {
  loadApiRoutes,
  localEnvironment,
  prepareTable,
  registerApiKey,
  startApiServer,
} from '../../infra/local/service';
import { createDocumentClient } from '../../lib/adapters/dynamodb/client';

export const RESOURCE_PATH = '/api/i1/downloadable_image/';

export interface TestApi {
  baseUrl: string;
  /** The resource's absolute URL, as the original document's examples use it. */
  url: string;
  apiKey: string;
  tableName: string;
  dynamodbEndpoint: string;
  close(): Promise<void>;
}

/** A fresh table in the shared DynamoDB Local and the local HTTP server in front of the real handlers. */
export async function startTestApi(): Promise<TestApi> {
  const dynamodbEndpoint = inject('dynamodbEndpoint');
  const tableName = `test-${randomUUID()}`;
  await prepareTable(dynamodbEndpoint, tableName);
  const apiKey = await registerApiKey(dynamodbEndpoint, tableName, 'test');
  const routes = await loadApiRoutes(localEnvironment(dynamodbEndpoint, tableName));
  const { baseUrl, server } = await startApiServer(routes, 0);
  return {
    baseUrl,
    url: `${baseUrl}${RESOURCE_PATH}`,
    apiKey,
    tableName,
    dynamodbEndpoint,
    close: () => closeServer(server),
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
  };
}
