/**
 * One image to fetch, hash and render: what the stream consumer enqueues for each image a POST adds,
 * and what the sweeper enqueues again for an image left pending. The job names the image only; the
 * item says what is current, so a job for an image removed, replaced or already settled does nothing,
 * and a duplicate is harmless.
 */
export interface ImageJob {
  sku: string;
  imageId: number;
  /** Where the job came from, for logs and dead letters: `stream`, `retry` or `sweep`. */
  origin: 'stream' | 'retry' | 'sweep';
}

/** The queue of image jobs: SQS deployed, an SQS-compatible engine in process locally. */
export interface ImageJobQueue {
  /** Enqueues every job or throws: the caller retries the whole set (duplicates are harmless). */
  enqueue(jobs: readonly ImageJob[], delaySeconds?: number): Promise<void>;
}

/** SQS delays a message at most 15 minutes. */
export const MAX_JOB_DELAY_SECONDS = 900;

export function serializeJob(job: ImageJob): string {
  return JSON.stringify({ v: 1, sku: job.sku, imageId: job.imageId, origin: job.origin });
}

/** A job from a message body; null for anything that is not one (it is dropped, with a log line). */
export function parseJob(body: string): ImageJob | null {
  try {
    const value = JSON.parse(body) as Partial<ImageJob> & { v?: number };
    if (value.v !== 1 || typeof value.sku !== 'string' || !Number.isSafeInteger(value.imageId)) return null;
    const origin = value.origin === 'retry' || value.origin === 'sweep' ? value.origin : 'stream';
    return { sku: value.sku, imageId: value.imageId as number, origin };
  } catch {
    return null;
  }
}
