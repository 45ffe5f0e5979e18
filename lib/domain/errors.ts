/**
 * Every failure a client may see, with its HTTP status and DRF-shaped body. Anything thrown that is not
 * an ApiError is answered as a bare 500 and never described to the client.
 */
export type ErrorBody = Record<string, unknown>;

export class ApiError extends Error {
  constructor(
    readonly statusCode: number,
    readonly body: ErrorBody,
    readonly headers: Record<string, string> = {},
  ) {
    super(typeof body.detail === 'string' ? body.detail : `HTTP ${statusCode}`);
    this.name = new.target.name;
  }
}

export class ValidationError extends ApiError {
  constructor(fieldErrors: ErrorBody) {
    super(400, fieldErrors);
  }
}

export class MalformedJsonError extends ApiError {
  constructor(reason: string) {
    super(400, { detail: `JSON parse error - ${reason}` });
  }
}

export class NotAuthenticatedError extends ApiError {
  constructor() {
    super(401, { detail: 'Authentication credentials were not provided.' }, { 'WWW-Authenticate': 'Token' });
  }
}

export class InvalidTokenError extends ApiError {
  constructor() {
    super(401, { detail: 'Invalid token.' }, { 'WWW-Authenticate': 'Token' });
  }
}

export class NotFoundError extends ApiError {
  constructor(detail = 'Not found.') {
    super(404, { detail });
  }
}

export const ALLOWED_METHODS = 'GET, POST, HEAD';

export class MethodNotAllowedError extends ApiError {
  constructor(method: string) {
    super(405, { detail: `Method "${method}" not allowed.` }, { Allow: ALLOWED_METHODS });
  }
}

export class ConflictError extends ApiError {
  constructor() {
    super(409, {
      detail: 'The image set of this product was changed by concurrent requests; retry the request.',
    });
  }
}

export class PreconditionFailedError extends ApiError {
  constructor(detail: string) {
    super(412, { detail });
  }
}

export class PayloadTooLargeError extends ApiError {
  constructor(limitBytes: number) {
    super(413, { detail: `Request body exceeds the limit of ${limitBytes} bytes.` });
  }
}

export class UnsupportedMediaTypeError extends ApiError {
  constructor(mediaType: string) {
    super(415, { detail: `Unsupported media type "${mediaType}" in request.` });
  }
}

/** The store could not serve the request now (throttled or failing); nothing was changed. */
export class StorageUnavailableError extends ApiError {
  constructor(readonly causeName: string) {
    super(503, { detail: 'Service temporarily unavailable, try again later.' }, { 'Retry-After': '1' });
  }
}

export const SERVER_ERROR_BODY = { detail: 'A server error occurred.' } as const;
