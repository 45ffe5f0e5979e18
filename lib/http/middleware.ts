import type { MiddlewareObj, Request } from '@middy/core';
import type { Context } from 'aws-lambda';
import type { Authenticator } from '../auth/authenticator';
import {
  ApiError,
  MalformedJsonError,
  MethodNotAllowedError,
  NotFoundError,
  PayloadTooLargeError,
  SERVER_ERROR_BODY,
  StorageUnavailableError,
  UnsupportedMediaTypeError,
} from '../domain/errors';
import type { Logger } from '../logger';
import { type ApiEvent, type ApiResult, header, isResourcePath, requestHeaders } from './event';
import { jsonResponse } from './responses';

type ApiRequest = Request<ApiEvent, ApiResult, Error, Context>;
type ApiMiddleware = MiddlewareObj<ApiEvent, ApiResult, Error, Context>;

/**
 * The outermost layer of every API function: reads the headers once (`requestHeaders`), turns any error into the
 * contract's JSON answer (never a stack trace or an internal message), drops the body of HEAD answers
 * and writes one access log line per request. Register it first so its `after`/`onError` run last.
 */
export function apiEnvelope(logger: Logger): ApiMiddleware {
  const started = new WeakMap<ApiEvent, number>();

  const finish = (request: ApiRequest, response: ApiResult) => {
    const { event } = request;
    logger.info('request handled', {
      method: event.httpMethod,
      path: event.path,
      status: response.statusCode,
      durationMs: Math.round(performance.now() - (started.get(event) ?? performance.now())),
    });
    request.response = event.httpMethod === 'HEAD' ? { ...response, body: '' } : response;
  };

  return {
    name: 'apiEnvelope',
    before: (request) => {
      const { event, context } = request;
      event.headers = requestHeaders(event);
      started.set(event, performance.now());
      // Temporary keys: Powertools' injectLambdaContext (registered outside this envelope) clears them
      // after the invocation.
      logger.appendKeys({ requestId: context.awsRequestId, apiRequestId: event.requestContext?.requestId });
      if (event.requestContext?.requestId) logger.setCorrelationId(event.requestContext.requestId);
    },
    after: (request) => {
      if (request.response) finish(request, request.response);
    },
    onError: (request) => {
      const { error } = request;
      if (error instanceof StorageUnavailableError) {
        logger.warn('storage unavailable', { cause: error.causeName });
      }
      if (error instanceof ApiError) {
        finish(request, jsonResponse(error.statusCode, error.body, error.headers));
        return;
      }
      logger.error('unhandled error', { error });
      finish(request, jsonResponse(500, SERVER_ERROR_BODY));
    },
  };
}

/** Answers 404 off the resource and 405 for methods it does not serve, before any other work. */
export function route(methods: readonly string[]): ApiMiddleware {
  return {
    name: 'route',
    before: ({ event }) => {
      if (!isResourcePath(event)) throw new NotFoundError();
      if (!methods.includes(event.httpMethod)) throw new MethodNotAllowedError(event.httpMethod);
    },
  };
}

/**
 * Authenticates every request before anything is read or written; the key name lands on the event.
 * Deployed, API Gateway's authorizer (the same authenticator) has already decided and passes the key
 * name in the request context, which a client cannot set; locally, the authenticator runs here.
 */
export function requireApiKey(authenticate: Authenticator): ApiMiddleware {
  return {
    name: 'requireApiKey',
    before: async ({ event }) => {
      const decidedByGateway = event.requestContext?.authorizer?.principalId;
      event.principal =
        typeof decidedByGateway === 'string' && decidedByGateway !== ''
          ? decidedByGateway
          : (await authenticate(header(event, 'authorization'))).name;
    },
  };
}

/** As DRF's JSONParser: JSON only, within a byte limit; an empty body reads as an empty object. */
export function jsonBody(options: { maxBytes: number }): ApiMiddleware {
  return {
    name: 'jsonBody',
    before: ({ event }) => {
      const raw = event.body ?? '';
      const bytes = event.isBase64Encoded ? Buffer.from(raw, 'base64') : Buffer.from(raw, 'utf8');
      if (bytes.length > options.maxBytes) throw new PayloadTooLargeError(options.maxBytes);
      if (bytes.length === 0) {
        event.jsonBody = {};
        return;
      }
      const contentType = header(event, 'content-type') ?? '';
      const mediaType = contentType.split(';')[0]?.trim().toLowerCase() ?? '';
      if (mediaType !== 'application/json') throw new UnsupportedMediaTypeError(contentType);
      try {
        event.jsonBody = JSON.parse(bytes.toString('utf8'));
      } catch (error) {
        throw new MalformedJsonError(error instanceof Error ? error.message : 'invalid JSON');
      }
    },
  };
}
