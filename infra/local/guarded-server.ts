import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { Readable } from 'node:stream';
import type { ReadableStream as WebReadableStream } from 'node:stream/web';
import type { Logger } from '../../lib/logger';

export type RequestHandler = (request: IncomingMessage, response: ServerResponse) => Promise<void> | void;

/** Where a request came for, for a log line: never its headers (they carry the API key). */
function described(request: IncomingMessage): { method: string | undefined; path: string } {
  return { method: request.method, path: new URL(request.url ?? '/', 'http://local').pathname };
}

/**
 * A local server no client can stop. A client that resets its connection, stops a body half-way or
 * closes a page mid-download ends its own request and nothing else: errors of the request, the
 * answer and the socket are listened to (an `'error'` with no listener ends a Node process), and an
 * unexpected error of the handler is logged with the request and answered 500 when nothing was sent
 * yet. Deployed, API Gateway and CloudFront stand where these servers stand and do the same.
 */
export function createGuardedServer(name: string, logger: Logger, handle: RequestHandler): Server {
  const server = createServer((request, response) => {
    // A reset mid-body is the client's business: its request ends, and so does this one.
    request.on('error', (error) =>
      logger.debug(`${name}: request ended by the client`, { error: error.message }),
    );
    response.on('error', (error) => logger.debug(`${name}: answer not delivered`, { error: error.message }));
    Promise.resolve()
      .then(() => handle(request, response))
      .catch((error: unknown) => {
        logger.error(`${name}: request failed`, { ...described(request), error });
        if (!response.headersSent && !response.destroyed) {
          response.writeHead(500, { 'Content-Type': 'text/plain; charset=utf-8' }).end('internal error\n');
        } else {
          response.destroy();
        }
      });
  });
  // Bytes that are not HTTP, or a socket reset before a request was read: that socket alone goes.
  server.on('clientError', (error: NodeJS.ErrnoException, socket) => {
    logger.debug(`${name}: connection dropped`, { error: error.code ?? error.message });
    socket.destroy();
  });
  return server;
}

/**
 * Streams `body` into `response` and settles when either side is done: an origin that closes half-way
 * cuts this answer short (its client sees fewer bytes than `Content-Length`, as from CloudFront), a
 * client that goes away stops the origin's stream (`abort` is called, so the origin request ends too).
 * Never throws: what ended the relay is one debug line. `stream.pipeline`'s equivalent, written out:
 * pipeline destroys its last stream once done, and a destroyed answer closes its keep-alive socket,
 * under the client's next request on it.
 */
export function relayBody(
  body: Readable | WebReadableStream | Buffer,
  response: ServerResponse,
  logger: Logger,
  abort?: () => void,
): Promise<void> {
  if (Buffer.isBuffer(body)) {
    response.end(body);
    return Promise.resolve();
  }
  const source = body instanceof Readable ? body : Readable.fromWeb(body);
  return new Promise((done) => {
    source.once('error', (error) => {
      logger.debug('relay ended early: the origin stopped', { error: error.message });
      abort?.();
      // Headers are out: the viewer learns of it as a connection closed before Content-Length.
      response.destroy();
    });
    response.once('close', () => {
      if (!response.writableFinished) {
        logger.debug('relay ended early: the viewer went away');
        source.destroy();
        abort?.();
      }
      done();
    });
    source.pipe(response);
  });
}
