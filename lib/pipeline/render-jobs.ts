import { mapWithConcurrency } from './concurrency';
import { type CopyDependencies, copyImage } from './copy-image';
import { failPendingImage, type SettlingDependencies } from './image-failure';
import type { ImageJob } from './image-jobs';
import { announceSettled, type PipelineDependencies } from './process-changes';
import { retryDelaySeconds } from './retry-budget';

/** The renderer's dependencies: the pipeline's, and what renders an original (sharp). */
export interface RenderingDependencies extends PipelineDependencies, Pick<CopyDependencies, 'render'> {}

/** One received job: its message id (the batch item identifier) and the job, or null when unreadable. */
export interface ReceivedJob {
  messageId: string;
  job: ImageJob | null;
}

export interface JobBatchOutcome {
  /** Message ids to report as batch item failures: SQS delivers them again after the visibility timeout. */
  failed: string[];
  /** Jobs that settled an image (ready or failed), that found nothing to do, and that will be retried. */
  settled: number;
  skipped: number;
  retried: number;
}

type JobOutcome = 'settled' | 'skipped' | 'retried';

/**
 * Images this process is working on. A second job for one of them (a duplicate delivery, a sweep or a
 * replayed record next to its retry) is skipped: the first settles the image or enqueues its retry.
 * Render leases name the image, so an image's retry can take its own lease back after a crash; this
 * keeps two jobs of one image in one process from both holding it.
 */
const imagesInProgress = new Set<string>();

async function runJob(received: ReceivedJob, deps: RenderingDependencies): Promise<JobOutcome> {
  const job = received.job;
  if (!job) {
    deps.logger.error('image job unreadable, dropped', { messageId: received.messageId });
    return 'skipped';
  }
  const key = `${job.sku}/${job.imageId}`;
  if (imagesInProgress.has(key)) return 'skipped';
  imagesInProgress.add(key);
  try {
    return await runOwnJob(received, job, deps);
  } finally {
    imagesInProgress.delete(key);
  }
}

async function runOwnJob(
  received: ReceivedJob,
  job: ImageJob,
  deps: RenderingDependencies,
): Promise<JobOutcome> {
  // The item decides: an image removed, replaced or already settled needs nothing (a duplicate job).
  const current = await deps.statuses.find(job.sku);
  const image = current?.images.find((candidate) => candidate.id === job.imageId);
  if (!current || image?.status !== 'pending') return 'skipped';
  const outcome = await deps.inFlightLimit(() =>
    copyImage({ sku: job.sku, jobId: received.messageId }, image, current, deps),
  );
  if (outcome === 'retry') {
    // A transient failure: the job comes back after a backoff, as a new message. Its attempts are
    // counted on the image, so it ends failed (and dead-lettered) after `maxAttempts`.
    await deps.jobs.enqueue(
      [{ ...job, origin: 'retry' }],
      retryDelaySeconds((image.attempts ?? 0) + 1, deps.retryBaseDelaySeconds),
    );
    return 'retried';
  }
  await announceSettled(job.sku, deps);
  return 'settled';
}

/**
 * Runs a batch of image jobs, `imageConcurrency` at once. A job whose work could not be finished or
 * handed on (storage down, the retry not enqueued) is reported and comes back from SQS; after the
 * queue's receive limit it goes to the jobs' dead-letter queue, whose consumer fails the image.
 */
export async function processImageJobs(
  jobs: readonly ReceivedJob[],
  deps: RenderingDependencies,
): Promise<JobBatchOutcome> {
  const outcome: JobBatchOutcome = { failed: [], settled: 0, skipped: 0, retried: 0 };
  await mapWithConcurrency([...jobs], deps.imageConcurrency, async (received) => {
    try {
      outcome[await runJob(received, deps)]++;
    } catch (error) {
      deps.logger.warn('image job will be retried', {
        messageId: received.messageId,
        sku: received.job?.sku,
        imageId: received.job?.imageId,
        error,
      });
      outcome.failed.push(received.messageId);
    }
  });
  return outcome;
}

/** What an image ends with when its job kept failing until SQS gave up on it. */
export const DEAD_JOB_REASON = 'rendering kept failing';

/**
 * Consumes the jobs' dead-letter queue: a job there was received `maxReceiveCount` times without
 * finishing (the renderer timed out, ran out of memory or crashed on it). Its image, if still pending,
 * ends `failed` with a clear reason and a dead letter for a person; its set may then be settled.
 */
export async function failDeadJobs(
  jobs: readonly ReceivedJob[],
  deps: SettlingDependencies,
): Promise<JobBatchOutcome> {
  const outcome: JobBatchOutcome = { failed: [], settled: 0, skipped: 0, retried: 0 };
  for (const received of jobs) {
    try {
      const job = received.job;
      const image =
        job && (await deps.statuses.find(job.sku))?.images.find((each) => each.id === job.imageId);
      if (!job || image?.status !== 'pending') {
        outcome.skipped++;
        continue;
      }
      await failPendingImage(
        job.sku,
        image,
        { reason: DEAD_JOB_REASON, jobId: received.messageId, at: new Date() },
        deps,
      );
      deps.logger.error('image failed: its job was dead-lettered', { sku: job.sku, imageId: job.imageId });
      await announceSettled(job.sku, deps);
      outcome.settled++;
    } catch (error) {
      deps.logger.warn('dead job will be retried', { messageId: received.messageId, error });
      outcome.failed.push(received.messageId);
    }
  }
  return outcome;
}
