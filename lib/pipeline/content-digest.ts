import { createHash } from 'node:crypto';
import type { Readable } from 'node:stream';

export interface DigestedBytes {
  bytes: Buffer;
  /** Lower-case hex SHA-256 of `bytes`. */
  sha256: string;
}

/**
 * Reads a body to its end, hashing each chunk as it arrives, so the hash is ready with the last byte.
 * The body's own limits (the fetcher's byte cap and deadline) bound what is held.
 */
export async function readDigested(body: Readable): Promise<DigestedBytes> {
  const hash = createHash('sha256');
  const chunks: Buffer[] = [];
  for await (const chunk of body as AsyncIterable<Buffer>) {
    hash.update(chunk);
    chunks.push(chunk);
  }
  return { bytes: Buffer.concat(chunks), sha256: hash.digest('hex') };
}
