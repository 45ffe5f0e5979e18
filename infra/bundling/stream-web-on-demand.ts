/**
 * Stands in for `node:stream/web` inside the function bundles (an esbuild alias set by
 * `ServiceFunction`). middy 6 imports `ReadableStream` from it at the top of `@middy/core`, for
 * response streaming alone; that import makes Node load its eight web-streams modules at every cold
 * start, about 9 % of a bundle's import (measured: `npm run bench -- bundles`). No function here streams a
 * response. The one use middy makes of the class is an `instanceof` test on a streamed body, answered
 * here by Node's global `ReadableStream`, the same class, which Node loads on first touch. (middy 7
 * loads its streaming code on demand itself, but needs Node 22.)
 */
export const ReadableStream = {
  [Symbol.hasInstance]: (value: unknown): boolean => value instanceof globalThis.ReadableStream,
};
