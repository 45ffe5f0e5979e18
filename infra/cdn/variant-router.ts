import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { runInNewContext } from 'node:vm';

const SOURCE = fileURLToPath(new URL('./viewer-request.js', import.meta.url));
const WIDTHS_LINE = /^var WIDTHS = \[[0-9, ]*\];$/m;

/** The CloudFront Function's code with the deployment's ladder widths in it. */
export function variantRouterCode(widths: readonly number[]): string {
  const code = readFileSync(SOURCE, 'utf8');
  if (!WIDTHS_LINE.test(code)) throw new Error('viewer-request.js has lost its WIDTHS line');
  return code.replace(WIDTHS_LINE, `var WIDTHS = [${widths.join(', ')}];`);
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
export function loadVariantRouter(widths: readonly number[]): (request: ViewerRequest) => ViewerRequest {
  const context: { handler?: (event: { request: ViewerRequest }) => ViewerRequest } = {};
  runInNewContext(`${variantRouterCode(widths)}\nthis.handler = handler;`, context);
  const handler = context.handler;
  if (!handler) throw new Error('viewer-request.js defines no handler');
  return (request) => handler({ request: structuredClone(request) });
}
