import { Readable } from 'node:stream';
import { ReadableStream as NodeReadableStream } from 'node:stream/web';
import { describe, expect, it } from 'vitest';
import { ReadableStream } from '../../infra/bundling/stream-web-on-demand';

/** What middy asks of `ReadableStream` (a streamed body's `instanceof`), answered as Node's class would. */
describe('the bundles’ stand-in for node:stream/web', () => {
  it('recognises a web stream, from the global or from node:stream/web (one class)', () => {
    expect(new globalThis.ReadableStream() instanceof ReadableStream).toBe(true);
    expect(new NodeReadableStream() instanceof ReadableStream).toBe(true);
    expect(Readable.toWeb(Readable.from(['x'])) instanceof ReadableStream).toBe(true);
  });

  it('refuses what is not one', () => {
    for (const value of [Readable.from(['x']), 'body', {}, null, undefined, new Uint8Array(1)]) {
      expect(value instanceof ReadableStream).toBe(false);
    }
  });
});
