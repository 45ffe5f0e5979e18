import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { runInNewContext } from 'node:vm';

const SOURCE = fileURLToPath(new URL('./viewer-request.js', import.meta.url));
/**
 * The CloudFront Function's code. It holds no deployment setting: every rung it may pick is named in
 * the URL, so a changed `VARIANT_WIDTHS` never changes the function.
 */
export function variantRouterCode(): string {
  return readFileSync(SOURCE, 'utf8');
}

/** A viewer request as CloudFront Functions see one (the parts the router reads). */
export interface ViewerRequest {
  uri: string;
  querystring: Record<string, { value: string; multiValue?: { value: string }[] }>;
  headers: Record<string, { value: string }>;
}

/**
 * The router, run as CloudFront runs it: the same file, evaluated in a context of its own, its
 * `handler` called with a viewer-request event. Tests and local mode's CDN proxy use this.
 */
export function loadVariantRouter(): (request: ViewerRequest) => ViewerRequest {
  const context: { handler?: (event: { request: ViewerRequest }) => ViewerRequest } = {};
  runInNewContext(`${variantRouterCode()}\nthis.handler = handler;`, context);
  const handler = context.handler;
  if (!handler) throw new Error('viewer-request.js defines no handler');
  return (request) => handler({ request: structuredClone(request) });
}
