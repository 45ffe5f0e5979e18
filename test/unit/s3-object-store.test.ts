import { Readable } from 'node:stream';
import {
  AbortMultipartUploadCommand,
  CompleteMultipartUploadCommand,
  CreateMultipartUploadCommand,
  PutObjectCommand,
  S3Client,
  S3ServiceException,
  UploadPartCommand,
} from '@aws-sdk/client-s3';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { PART_SIZE, S3ImageObjectStore } from '../../lib/adapters/s3/image-object-store';
import { permanent } from '../../lib/pipeline/fetch-errors';

const s3 = mockClient(S3Client);
const store = new S3ImageObjectStore(new S3Client({ region: 'eu-west-1' }), 'origin-bucket');

/** A body streamed in 64 KB chunks, as a socket delivers it. */
function chunked(size: number, failAfter?: number): Readable {
  let sent = 0;
  return new Readable({
    read() {
      if (failAfter !== undefined && sent >= failAfter)
        return this.destroy(permanent('image larger than 20 MiB'));
      if (sent >= size) return this.push(null);
      const length = Math.min(65536, size - sent);
      this.push(Buffer.alloc(length, sent % 251));
      sent += length;
    },
  });
}

beforeEach(() => {
  s3.reset();
  s3.on(CreateMultipartUploadCommand).resolves({ UploadId: 'upload-1' });
  s3.on(UploadPartCommand).callsFake((input: { PartNumber: number }) => ({
    ETag: `"etag-${input.PartNumber}"`,
  }));
  s3.on(CompleteMultipartUploadCommand).resolves({});
  s3.on(PutObjectCommand).resolves({});
});

describe('S3ImageObjectStore', () => {
  it('puts an image that fits one part in one request, with type and immutable caching', async () => {
    await store.put('products/A/1', chunked(200_000), 'image/png');
    const [put] = s3.commandCalls(PutObjectCommand);
    expect(put?.args[0].input).toMatchObject({
      Bucket: 'origin-bucket',
      Key: 'products/A/1',
      ContentType: 'image/png',
      CacheControl: 'public, max-age=31536000, immutable',
    });
    expect((put?.args[0].input.Body as Buffer | undefined)?.length).toBe(200_000);
    expect(s3.commandCalls(CreateMultipartUploadCommand)).toHaveLength(0);
  });

  it('sends a larger image in 5 MiB parts and completes them in order', async () => {
    const size = 2 * PART_SIZE + 12345;
    await store.put('products/A/2', chunked(size), 'image/jpeg');
    const parts = s3.commandCalls(UploadPartCommand).map((call) => call.args[0].input);
    expect(parts.map((part) => [part.PartNumber, (part.Body as Buffer).length])).toEqual([
      [1, PART_SIZE],
      [2, PART_SIZE],
      [3, 12345],
    ]);
    expect(s3.commandCalls(CreateMultipartUploadCommand)[0]?.args[0].input).toMatchObject({
      ContentType: 'image/jpeg',
    });
    expect(s3.commandCalls(CompleteMultipartUploadCommand)[0]?.args[0].input.MultipartUpload?.Parts).toEqual([
      { ETag: '"etag-1"', PartNumber: 1 },
      { ETag: '"etag-2"', PartNumber: 2 },
      { ETag: '"etag-3"', PartNumber: 3 },
    ]);
  });

  it('aborts the upload when the body fails midway, leaving no object', async () => {
    await expect(
      store.put('products/A/3', chunked(4 * PART_SIZE, PART_SIZE + 65536), 'image/png'),
    ).rejects.toMatchObject({
      reason: 'image larger than 20 MiB',
    });
    expect(s3.commandCalls(AbortMultipartUploadCommand)[0]?.args[0].input).toMatchObject({
      UploadId: 'upload-1',
    });
    expect(s3.commandCalls(CompleteMultipartUploadCommand)).toHaveLength(0);
  });

  it('aborts the upload when S3 fails a part', async () => {
    s3.on(UploadPartCommand).rejects(
      new S3ServiceException({
        name: 'SlowDown',
        $fault: 'server',
        $metadata: { httpStatusCode: 503 },
        message: 'Slow down',
      }),
    );
    await expect(store.put('products/A/4', chunked(PART_SIZE + 10), 'image/png')).rejects.toMatchObject({
      name: 'SlowDown',
    });
    expect(s3.commandCalls(AbortMultipartUploadCommand)).toHaveLength(1);
  });
});
