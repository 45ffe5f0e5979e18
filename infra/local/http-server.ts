import { randomUUID } from 'node:crypto';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { APIGatewayProxyEvent, APIGatewayProxyResult, Context } from 'aws-lambda';
import { PayloadTooLargeError } from '../../lib/domain/errors';
import { jsonResponse } from '../../lib/http/responses';
import { createLogger, type Logger } from '../../lib/logger';
import { createGuardedServer, relayBody } from './guarded-server';
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
    // A connection reset before the body's end: whichever of 'error' and 'close' comes, the body never will.
    request.on('close', () => {
      if (!request.complete) reject(new Error('request body cut short'));
    });
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

function send(response: ServerResponse, result: APIGatewayProxyResult, logger: Logger): Promise<void> {
  const headers: Record<string, string | string[]> = {};
  for (const [name, value] of Object.entries(result.headers ?? {})) headers[name] = String(value);
  for (const [name, values] of Object.entries(result.multiValueHeaders ?? {}))
    headers[name] = values.map(String);
  const body = result.isBase64Encoded
    ? Buffer.from(result.body, 'base64')
    : Buffer.from(result.body ?? '', 'utf8');
  response.writeHead(result.statusCode, { ...headers, 'Content-Length': String(body.length) });
  return relayBody(body, response, logger);
}

/** The local stand-in for API Gateway: the same events, the same handlers. */
export function createLocalServer(
  routes: LocalRoutes,
  logger: Logger = createLogger({ level: 'silent' }),
): Server {
  return createGuardedServer('api', logger, async (request, response) => {
    const file = routes.files?.get(new URL(request.url ?? '/', 'http://localhost').pathname);
    if (file && (request.method === 'GET' || request.method === 'HEAD')) {
      let bytes: Buffer;
      try {
        bytes = typeof file.bytes === 'function' ? await file.bytes() : file.bytes;
      } catch {
        response
          .writeHead(503, { 'Content-Type': 'text/plain; charset=utf-8' })
          .end('could not build this page\n');
        return;
      }
      response.writeHead(200, { 'Content-Type': file.contentType, 'Content-Length': String(bytes.length) });
      if (request.method === 'HEAD') response.end();
      else await relayBody(bytes, response, logger);
      return;
    }
    let body: Buffer | null;
    try {
      body = await readBody(request);
    } catch (error) {
      // The client reset its connection before its body ended: it asked for nothing, and waits for nothing.
      logger.debug('api: request body cut short', { error: (error as Error).message });
      response.destroy();
      return;
    }
    if (body === null) {
      const error = new PayloadTooLargeError(GATEWAY_MAX_BODY_BYTES);
      await send(response, jsonResponse(413, error.body), logger);
      return;
    }
    const event = toProxyEvent(request, body);
    const handler = event.httpMethod === 'POST' ? routes.post : routes.other;
    let result: APIGatewayProxyResult;
    try {
      result = await handler(event, localLambdaContext('api', 30_000));
    } catch (error) {
      // The handlers answer every error themselves; reaching here means the envelope itself failed.
      logger.error('api: handler threw', { method: event.httpMethod, path: event.path, error });
      result = jsonResponse(502, { detail: 'Bad gateway.' });
    }
    await send(response, result, logger);
  });
}
