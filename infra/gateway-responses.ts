import { ResponseType, type RestApi } from 'aws-cdk-lib/aws-apigateway';

/**
 * API Gateway's own answers in the contract's JSON shapes and codes: a client never sees
 * `{"message": "Missing Authentication Token"}`.
 */
const JSON_HEADERS = {
  'Content-Type': "'application/json; charset=utf-8'",
  'Cache-Control': "'no-store'",
};

interface GatewayAnswer {
  type: ResponseType;
  /** Unset: API Gateway's own status is kept (the catch-all answers). */
  statusCode?: string;
  detail: string;
  headers?: Record<string, string>;
}

export const GATEWAY_ANSWERS: readonly GatewayAnswer[] = [
  // A path the API does not have; REST APIs answer it as a missing token.
  { type: ResponseType.MISSING_AUTHENTICATION_TOKEN, statusCode: '404', detail: 'Not found.' },
  { type: ResponseType.RESOURCE_NOT_FOUND, statusCode: '404', detail: 'Not found.' },
  {
    type: ResponseType.UNAUTHORIZED,
    statusCode: '401',
    detail: 'Authentication credentials were not provided.',
    headers: { 'WWW-Authenticate': "'Token'" },
  },
  // The authorizer denies unknown and revoked keys.
  {
    type: ResponseType.ACCESS_DENIED,
    statusCode: '401',
    detail: 'Invalid token.',
    headers: { 'WWW-Authenticate': "'Token'" },
  },
  {
    type: ResponseType.THROTTLED,
    statusCode: '429',
    detail: 'Request was throttled.',
    headers: { 'Retry-After': "'1'" },
  },
  // An allowed key that is on no usage plan (made before plans, or locally): API Gateway's 403 "Forbidden".
  {
    type: ResponseType.INVALID_API_KEY,
    statusCode: '401',
    detail: 'Invalid token.',
    headers: { 'WWW-Authenticate': "'Token'" },
  },
  {
    type: ResponseType.QUOTA_EXCEEDED,
    statusCode: '429',
    detail: 'Request was throttled.',
    headers: { 'Retry-After': "'60'" },
  },
  {
    type: ResponseType.REQUEST_TOO_LARGE,
    statusCode: '413',
    detail: 'Request body exceeds the limit of 1048576 bytes.',
  },
  {
    type: ResponseType.UNSUPPORTED_MEDIA_TYPE,
    statusCode: '415',
    detail: 'Unsupported media type in request.',
  },
  { type: ResponseType.BAD_REQUEST_BODY, statusCode: '400', detail: 'Bad request.' },
  { type: ResponseType.BAD_REQUEST_PARAMETERS, statusCode: '400', detail: 'Bad request.' },
  { type: ResponseType.INTEGRATION_FAILURE, statusCode: '502', detail: 'Bad gateway.' },
  { type: ResponseType.INTEGRATION_TIMEOUT, statusCode: '504', detail: 'Gateway timeout.' },
  {
    type: ResponseType.AUTHORIZER_FAILURE,
    statusCode: '503',
    detail: 'Service temporarily unavailable, try again later.',
  },
  {
    type: ResponseType.AUTHORIZER_CONFIGURATION_ERROR,
    statusCode: '500',
    detail: 'A server error occurred.',
  },
  { type: ResponseType.DEFAULT_4XX, detail: 'Bad request.' },
  { type: ResponseType.DEFAULT_5XX, detail: 'A server error occurred.' },
];

export function addGatewayAnswers(api: RestApi): void {
  for (const answer of GATEWAY_ANSWERS) {
    api.addGatewayResponse(`Answer${answer.type.responseType}`, {
      type: answer.type,
      statusCode: answer.statusCode,
      responseHeaders: { ...JSON_HEADERS, ...answer.headers },
      templates: { 'application/json': JSON.stringify({ detail: answer.detail }) },
    });
  }
}
