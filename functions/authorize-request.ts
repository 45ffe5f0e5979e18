import middy from '@middy/core';
import type { APIGatewayAuthorizerResult, APIGatewayRequestAuthorizerEvent, Context } from 'aws-lambda';
import { loadAuthorizerConfig } from '../lib/config';
import { InvalidTokenError, NotAuthenticatedError } from '../lib/domain/errors';
import { requestHeaders } from '../lib/http/event';
import { type ApiDependencies, createAuthorizerDependencies } from '../lib/service';

/** The policy covers every method and path of the stage, so one cached answer serves GET and POST alike. */
function policy(
  event: APIGatewayRequestAuthorizerEvent,
  effect: 'Allow' | 'Deny',
  principalId: string,
  usageIdentifierKey?: string,
): APIGatewayAuthorizerResult {
  // arn:aws:execute-api:<region>:<account>:<api id>/<stage>/<method>/<path>
  const [api = '', stage = ''] = event.methodArn.split('/');
  return {
    principalId,
    // With the API's apiKeySource AUTHORIZER, API Gateway meters the request against the usage plan of
    // the API key with this value: each merchant's rate, burst and quota apply to that merchant alone.
    ...(usageIdentifierKey ? { usageIdentifierKey } : {}),
    policyDocument: {
      Version: '2012-10-17',
      Statement: [{ Action: 'execute-api:Invoke', Effect: effect, Resource: `${api}/${stage}/*` }],
    },
  };
}

/**
 * API Gateway's REQUEST authorizer, in front of both API functions: the same authenticator decides.
 * A missing or malformed header answers "Unauthorized" (API Gateway's 401, mapped to "credentials were
 * not provided"); an unknown or revoked key answers Deny (API Gateway's 403, mapped to 401 "Invalid
 * token."). API Gateway caches each answer for 5 minutes per Authorization header, which bounds how long
 * a revoked key keeps working.
 */
export function createAuthorizeRequestHandler(deps: Pick<ApiDependencies, 'authenticate' | 'logger'>) {
  return middy<APIGatewayRequestAuthorizerEvent, APIGatewayAuthorizerResult, Error, Context>().handler(
    async (event) => {
      const authorization = requestHeaders(event).authorization;
      try {
        const principal = await deps.authenticate(authorization);
        return policy(event, 'Allow', principal.name, principal.usageKey);
      } catch (error) {
        if (error instanceof NotAuthenticatedError) throw new Error('Unauthorized');
        if (error instanceof InvalidTokenError) return policy(event, 'Deny', 'anonymous');
        deps.logger.error('authorizer failed', { error, requestId: event.requestContext?.requestId });
        throw error;
      }
    },
  );
}

// Only its own configuration: the table and the cache (not the API's CDN base URL or cursor key).
export const handler = createAuthorizeRequestHandler(createAuthorizerDependencies(loadAuthorizerConfig()));
