import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export type Route = (request: IncomingMessage, response: ServerResponse, hit: number) => void;

export interface Origin {
  /** `http://host:port` */
  url: string;
  host: string;
  port: number;
  /** Requests seen per path. */
  hits: Map<string, number>;
  route(path: string, handler: Route): void;
  close(): Promise<void>;
}

/** A real HTTP server on a loopback address, standing in for a merchant's image host. */
export async function startOrigin(host = '127.0.0.1'): Promise<Origin> {
  const routes = new Map<string, Route>();
  const hits = new Map<string, number>();
  const server: Server = createServer((request, response) => {
    const path = new URL(request.url ?? '/', 'http://x').pathname;
    const count = (hits.get(path) ?? 0) + 1;
    hits.set(path, count);
    const route = routes.get(path);
    if (route) route(request, response, count);
    else response.writeHead(404, { 'content-type': 'text/plain' }).end('not found');
  });
  await new Promise<void>((resolve) => server.listen(0, host, resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://${host}:${port}`,
    host,
    port,
    hits,
    route: (path, handler) => routes.set(path, handler),
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

export const serve =
  (body: Buffer, contentType = 'application/octet-stream', status = 200): Route =>
  (_request, response) => {
    response.writeHead(status, { 'content-type': contentType, 'content-length': body.length }).end(body);
  };

export const redirectTo =
  (location: string, status = 302): Route =>
  (_request, response) => {
    response.writeHead(status, { location }).end();
  };
