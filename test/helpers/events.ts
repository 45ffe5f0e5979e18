import type { APIGatewayProxyEvent } from 'aws-lambda';
import { localLambdaContext } from '../../infra/local/lambda-context';
import type { ApiEvent } from '../../lib/http/event';

export const RESOURCE = '/api/i1/downloadable_image/';

export interface EventOptions {
  method?: string;
  path?: string;
  headers?: Record<string, string>;
  query?: Record<string, string>;
  body?: unknown;
}

/** An API Gateway REST (v1) proxy event as the prod stage would send it. */
export function apiEvent(options: EventOptions = {}): ApiEvent {
  const method = options.method ?? 'GET';
  const path = options.path ?? RESOURCE;
  const query = options.query ?? null;
  const body =
    options.body === undefined
      ? null
      : typeof options.body === 'string'
        ? options.body
        : JSON.stringify(options.body);
  return {
    httpMethod: method,
    path,
    resource: path,
    headers: { Host: 'api.example.test', 'X-Forwarded-Proto': 'https', ...options.headers },
    multiValueHeaders: {},
    queryStringParameters: query,
    multiValueQueryStringParameters:
      query && Object.fromEntries(Object.entries(query).map(([k, v]) => [k, [v]])),
    pathParameters: null,
    stageVariables: null,
    body,
    isBase64Encoded: false,
    requestContext: {
      path: `/prod${path}`,
      stage: 'prod',
      requestId: 'api-request-id',
      httpMethod: method,
    } as APIGatewayProxyEvent['requestContext'],
  };
}

/** The context a test invocation gets; its request id is fixed so logs can be asserted. */
export const lambdaContext = () => localLambdaContext('test', 30_000, 'lambda-request-id');
