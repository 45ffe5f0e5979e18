import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { APIGatewayProxyEvent, APIGatewayProxyResult, Context } from 'aws-lambda';
import { PayloadTooLargeError } from '../../lib/domain/errors';
import { jsonResponse } from '../../lib/http/responses';
import { localLambdaContext } from './lambda-context';

export type ProxyHandler = (event: APIGatewayProxyEvent, context: Context) => Promise<APIGatewayProxyResult>;

export interface LocalRoutes {
  /** Serves POST. */
  post: ProxyHandler;
  /** Serves every other method and path; its own routing answers 404 and 405. */
  other: ProxyHandler;
  /** Local mode only: files served as they are on GET and HEAD (sample images, the API reference). */
  files?: ReadonlyMap<string, LocalFile>;
}

/** A file local mode serves: its bytes, or how to make them on first request. */
export interface LocalFile {
  contentType: string;
  bytes: Buffer | (() => Promise<Buffer>);
}

/** As API Gateway: bodies over 10 MB never reach a function. */
const GATEWAY_MAX_BODY_BYTES = 10 * 1024 * 1024;
export const LOCAL_STAGE = 'local';

function readBody(request: IncomingMessage): Promise<Buffer | null> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    request.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > GATEWAY_MAX_BODY_BYTES) {
        resolve(null);
        request.resume();
        return;
      }
      chunks.push(chunk);
    });
    request.on('end', () => resolve(Buffer.concat(chunks)));
    request.on('error', reject);
  });
}

/** Turns a Node request into the REST (v1) proxy event API Gateway would send. */
export function toProxyEvent(request: IncomingMessage, body: Buffer): APIGatewayProxyEvent {
  const url = new URL(request.url ?? '/', 'http://localhost');
  const headers: Record<string, string> = {};
  const multiValueHeaders: Record<string, string[]> = {};
  for (let i = 0; i < request.rawHeaders.length; i += 2) {
    const name = request.rawHeaders[i] ?? '';
    const value = request.rawHeaders[i + 1] ?? '';
    headers[name] = value; // API Gateway's single-value map keeps one line; every line is in the multi-value map

    multiValueHeaders[name] = [...(multiValueHeaders[name] ?? []), value];
  }
  headers['X-Forwarded-Proto'] ??= 'http';
  const query: Record<string, string> = {};
  const multiQuery: Record<string, string[]> = {};
  for (const [key, value] of url.searchParams) {
    query[key] = value;
    multiQuery[key] = [...(multiQuery[key] ?? []), value];
  }
  const hasQuery = Object.keys(query).length > 0;
  const method = request.method ?? 'GET';
  return {
    httpMethod: method,
    path: url.pathname,
    resource: '/{proxy+}',
    headers,
    multiValueHeaders,
    queryStringParameters: hasQuery ? query : null,
    multiValueQueryStringParameters: hasQuery ? multiQuery : null,
    pathParameters: null,
    stageVariables: null,
    body: body.length > 0 ? body.toString('utf8') : null,
    isBase64Encoded: false,
    requestContext: {
      accountId: 'local',
      apiId: 'local',
      authorizer: null,
      protocol: `HTTP/${request.httpVersion}`,
      httpMethod: method,
      identity: {
        sourceIp: request.socket.remoteAddress ?? '127.0.0.1',
      } as APIGatewayProxyEvent['requestContext']['identity'],
      path: url.pathname,
      stage: LOCAL_STAGE,
      requestId: randomUUID(),
      requestTimeEpoch: Date.now(),
      resourceId: 'local',
      resourcePath: '/{proxy+}',
      domainName: request.headers.host,
    },
  };
}

function send(response: ServerResponse, result: APIGatewayProxyResult): void {
  const headers: Record<string, string | string[]> = {};
  for (const [name, value] of Object.entries(result.headers ?? {})) headers[name] = String(value);
  for (const [name, values] of Object.entries(result.multiValueHeaders ?? {}))
    headers[name] = values.map(String);
  const body = result.isBase64Encoded
    ? Buffer.from(result.body, 'base64')
    : Buffer.from(result.body ?? '', 'utf8');
  response.writeHead(result.statusCode, { ...headers, 'Content-Length': String(body.length) });
  response.end(body);
}

/** The local stand-in for API Gateway: the same events, the same handlers. */
export function createLocalServer(routes: LocalRoutes): Server {
  return createServer(async (request, response) => {
    const file = routes.files?.get(new URL(request.url ?? '/', 'http://localhost').pathname);
    if (file && (request.method === 'GET' || request.method === 'HEAD')) {
      try {
        const bytes = typeof file.bytes === 'function' ? await file.bytes() : file.bytes;
        response.writeHead(200, { 'Content-Type': file.contentType, 'Content-Length': String(bytes.length) });
        response.end(request.method === 'HEAD' ? undefined : bytes);
      } catch {
        response
          .writeHead(503, { 'Content-Type': 'text/plain; charset=utf-8' })
          .end('could not build this page\n');
      }
      return;
    }
    try {
      const body = await readBody(request);
      if (body === null) {
        const error = new PayloadTooLargeError(GATEWAY_MAX_BODY_BYTES);
        send(response, jsonResponse(413, error.body));
        return;
      }
      const event = toProxyEvent(request, body);
      const handler = event.httpMethod === 'POST' ? routes.post : routes.other;
      send(response, await handler(event, localLambdaContext('api', 30_000)));
    } catch {
      // The handlers answer every error themselves; reaching here means the envelope itself failed.
      send(response, jsonResponse(502, { detail: 'Bad gateway.' }));
    }
  });
}
