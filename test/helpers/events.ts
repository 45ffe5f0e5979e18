import type { APIGatewayProxyEvent, Context } from 'aws-lambda';
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

export function lambdaContext(): Context {
  return {
    callbackWaitsForEmptyEventLoop: false,
    functionName: 'test',
    functionVersion: '$LATEST',
    invokedFunctionArn: 'arn:aws:lambda:eu-west-1:000000000000:function:test',
    memoryLimitInMB: '256',
    awsRequestId: 'lambda-request-id',
    logGroupName: 'test',
    logStreamName: 'test',
    getRemainingTimeInMillis: () => 30_000,
    done: () => undefined,
    fail: () => undefined,
    succeed: () => undefined,
  };
}
