import type { Readable } from 'node:stream';
import {
  AbortMultipartUploadCommand,
  CompleteMultipartUploadCommand,
  CreateMultipartUploadCommand,
  DeleteObjectCommand,
  GetObjectCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  type S3Client,
  UploadPartCommand,
} from '@aws-sdk/client-s3';
import type { ImageObjectStore } from '../../pipeline/ports';

/** A key's bytes never change (keys are content hashes, or image ids never reused): cached for a year. */
export const IMMUTABLE_CACHE_CONTROL = 'public, max-age=31536000, immutable';

/** S3's smallest part: the one buffer a copy holds, whatever the image's size. */
export const PART_SIZE = 5 * 1024 * 1024;

/**
 * Fills `buffer` from the stream; answers how many bytes it holds (fewer than its size only at the
 * end). Reading waits while the buffer is being sent, so the origin is read no faster than S3 takes it.
 */
async function fill(
  reader: AsyncIterator<Buffer>,
  buffer: Buffer,
  carry: { rest: Buffer | null },
): Promise<number> {
  let filled = 0;
  while (filled < buffer.length) {
    let chunk = carry.rest;
    carry.rest = null;
    if (!chunk) {
      const next = await reader.next();
      if (next.done) break;
      chunk = next.value;
    }
    const taken = chunk.copy(buffer, filled);
    filled += taken;
    if (taken < chunk.length) carry.rest = chunk.subarray(taken);
  }
  return filled;
}

export class S3ImageObjectStore implements ImageObjectStore {
  constructor(
    private readonly client: S3Client,
    private readonly bucket: string,
  ) {}

  /**
   * An image that fits one part goes up with one PutObject; a larger one as a multipart upload, one
   * part at a time from the same buffer. Origins may answer without a length, so none is needed in
   * advance. A body that fails midway aborts the upload: no partial object is left.
   */
  async put(key: string, body: Readable | Buffer, contentType: string): Promise<void> {
    const object = {
      Bucket: this.bucket,
      Key: key,
      ContentType: contentType,
      CacheControl: IMMUTABLE_CACHE_CONTROL,
      ContentDisposition: 'inline',
    };
    if (Buffer.isBuffer(body)) {
      await this.client.send(new PutObjectCommand({ ...object, Body: body }));
      return;
    }
    const reader = body[Symbol.asyncIterator]() as AsyncIterator<Buffer>;
    const carry: { rest: Buffer | null } = { rest: null };
    const buffer = Buffer.allocUnsafe(PART_SIZE);
    let filled = await fill(reader, buffer, carry);
    if (filled < PART_SIZE) {
      await this.client.send(new PutObjectCommand({ ...object, Body: buffer.subarray(0, filled) }));
      return;
    }

    const { UploadId } = await this.client.send(new CreateMultipartUploadCommand(object));
    const parts: Array<{ ETag?: string; PartNumber: number }> = [];
    try {
      for (let partNumber = 1; filled > 0; partNumber++) {
        const { ETag } = await this.client.send(
          new UploadPartCommand({
            Bucket: this.bucket,
            Key: key,
            UploadId,
            PartNumber: partNumber,
            Body: buffer.subarray(0, filled),
          }),
        );
        parts.push({ ETag, PartNumber: partNumber });
        filled = await fill(reader, buffer, carry);
      }
      await this.client.send(
        new CompleteMultipartUploadCommand({
          Bucket: this.bucket,
          Key: key,
          UploadId,
          MultipartUpload: { Parts: parts },
        }),
      );
    } catch (error) {
      try {
        await this.client.send(new AbortMultipartUploadCommand({ Bucket: this.bucket, Key: key, UploadId }));
      } catch {
        // Parts an abort could not remove are removed by the bucket's lifecycle rule.
      }
      body.destroy();
      throw error;
    }
  }

  async delete(key: string): Promise<void> {
    await this.client.send(new DeleteObjectCommand({ Bucket: this.bucket, Key: key }));
  }

  /** A content has a dozen objects or so: one listing page, then one delete each. */
  async deletePrefix(prefix: string): Promise<void> {
    let ContinuationToken: string | undefined;
    do {
      const page = await this.client.send(
        new ListObjectsV2Command({ Bucket: this.bucket, Prefix: prefix, ContinuationToken }),
      );
      await Promise.all(
        (page.Contents ?? []).map((object) => (object.Key ? this.delete(object.Key) : Promise.resolve())),
      );
      ContinuationToken = page.IsTruncated ? page.NextContinuationToken : undefined;
    } while (ContinuationToken);
  }

  /** Every object under `prefix`, a listing page (1,000 keys) at a time: for the audit. */
  async *list(prefix: string): AsyncIterable<{ key: string; lastModified: number }> {
    let ContinuationToken: string | undefined;
    do {
      const page = await this.client.send(
        new ListObjectsV2Command({ Bucket: this.bucket, Prefix: prefix, ContinuationToken }),
      );
      for (const object of page.Contents ?? []) {
        if (object.Key) yield { key: object.Key, lastModified: object.LastModified?.getTime() ?? 0 };
      }
      ContinuationToken = page.IsTruncated ? page.NextContinuationToken : undefined;
    } while (ContinuationToken);
  }

  async get(key: string): Promise<Buffer | null> {
    try {
      const { Body } = await this.client.send(new GetObjectCommand({ Bucket: this.bucket, Key: key }));
      return Body ? Buffer.from(await Body.transformToByteArray()) : null;
    } catch (error) {
      if ((error as Error).name === 'NoSuchKey') return null;
      throw error;
    }
  }
}
