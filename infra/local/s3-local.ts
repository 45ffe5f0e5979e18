import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import S3rver from 's3rver';

/** s3rver accepts only its own credentials. */
export const S3RVER_CREDENTIALS = { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' } as const;

export interface RunningS3Local {
  endpoint: string;
  bucket: string;
  /** Where a browser on this machine opens an object: `${publicBaseUrl}/${key}`. */
  publicBaseUrl: string;
  stop(): Promise<void>;
}

/** An S3-compatible server in this process, as the CDN origin of local mode and tests. */
export async function startS3Local(options: { bucket: string; directory?: string }): Promise<RunningS3Local> {
  const directory = options.directory ?? mkdtempSync(join(tmpdir(), 'product-images-s3-'));
  const server = new S3rver({
    address: '127.0.0.1',
    port: 0,
    silent: true,
    directory,
    resetOnClose: options.directory === undefined,
    configureBuckets: [{ name: options.bucket, configs: [] }],
  });
  const { port } = await server.run();
  const endpoint = `http://127.0.0.1:${port}`;
  return {
    endpoint,
    bucket: options.bucket,
    publicBaseUrl: `${endpoint}/${options.bucket}`,
    stop: async () => {
      await server.close();
      if (options.directory === undefined) rmSync(directory, { recursive: true, force: true });
    },
  };
}
