import type { APIGatewayProxyEvent, APIGatewayProxyResult } from 'aws-lambda';
import type { QueryPairs, RequestAddress } from '../domain/pagination';

/** The API Gateway REST (v1) proxy event, with what our middlewares add to it. */
export interface ApiEvent extends APIGatewayProxyEvent {
  /** The request body parsed as JSON (POST only). */
  jsonBody?: unknown;
  /** Who sent the request, once authenticated. */
  principal?: string;
}

export type ApiResult = APIGatewayProxyResult;

/**
 * Every request header once, its name lower-cased. API Gateway's `headers` holds one line of a header
 * sent on several lines; `multiValueHeaders` holds them all, and they are joined as RFC 9110 lists
 * (`a, b`), as a server that reads the raw request would see them. Every entry point reads headers
 * through this function.
 */
export function requestHeaders(event: {
  headers?: Record<string, string | undefined> | null;
  multiValueHeaders?: Record<string, string[] | undefined> | null;
}): Record<string, string> {
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(event.headers ?? {})) {
    if (value !== undefined && value !== null) headers[name.toLowerCase()] = value;
  }
  const joined = new Map<string, string[]>();
  for (const [name, values] of Object.entries(event.multiValueHeaders ?? {})) {
    if (!values || values.length === 0) continue;
    const key = name.toLowerCase();
    joined.set(key, [...(joined.get(key) ?? []), ...values]);
  }
  for (const [name, values] of joined) headers[name] = values.join(', ');
  return headers;
}

/** Headers are lower-cased by the envelope middleware (`requestHeaders`), so one spelling finds them. */
export function header(event: Pick<APIGatewayProxyEvent, 'headers'>, name: string): string | undefined {
  return event.headers[name.toLowerCase()] ?? undefined;
}

/** Query parameters in order, repeated keys kept (`lastQueryValue` reads one as Django's QueryDict does). */
export function queryPairs(event: APIGatewayProxyEvent): QueryPairs {
  const pairs: Array<[string, string]> = [];
  const multi = event.multiValueQueryStringParameters;
  if (multi) {
    for (const [key, values] of Object.entries(multi)) {
      for (const value of values ?? []) pairs.push([key, value]);
    }
    return pairs;
  }
  for (const [key, value] of Object.entries(event.queryStringParameters ?? {})) {
    if (value !== undefined) pairs.push([key, value]);
  }
  return pairs;
}

/** The absolute address the client used: scheme and host as sent, the API stage kept in the path. */
export function requestAddress(event: APIGatewayProxyEvent): RequestAddress {
  const scheme = header(event, 'x-forwarded-proto')?.split(',')[0]?.trim() || 'https';
  const host = header(event, 'host') ?? event.requestContext?.domainName ?? 'localhost';
  const path = event.requestContext?.path || event.path;
  return { scheme, host, path, query: queryPairs(event) };
}

export const RESOURCE_PATHS: readonly string[] = [
  '/api/i1/downloadable_image/',
  '/api/i1/downloadable_image',
];

/** The resource path without the stage: `event.resource` when API Gateway routed it, else `event.path`. */
export function isResourcePath(event: Pick<APIGatewayProxyEvent, 'path' | 'resource'>): boolean {
  return RESOURCE_PATHS.includes(event.path) || RESOURCE_PATHS.includes(event.resource);
}
