import type { Metrics } from '@aws-lambda-powertools/metrics';
import type { StoredImage } from '../domain/image';
import type { ContentDependencies } from './content-publisher';
import type { ImageJobQueue } from './image-jobs';
import {
  type DeadLetterSink,
  type ImageStatusStore,
  isPendingAs,
  type PendingState,
  pendingStateOf,
} from './ports';

/** What failing an image for good writes to: its status, the dead letter, the metric. */
export interface FailingDependencies extends Pick<ContentDependencies, 'pipelineMetrics'> {
  statuses: ImageStatusStore;
  deadLetters: DeadLetterSink;
}

/**
 * What the functions that only settle images work with (the dead-job consumer and the sweeper): the
 * item, the jobs' queue, dead letters and their logs and metrics. No S3 and no EventBridge: a set's
 * event goes out from its mark's stream record, through the stream consumer.
 */
export interface SettlingDependencies extends FailingDependencies, Pick<ContentDependencies, 'logger'> {
  jobs: ImageJobQueue;
  /** Powertools' metrics buffer (flushed by its middleware). */
  metrics: Metrics;
}

/**
 * Fails a pending image for good after the pipeline gave up on it (its last attempt failed, its job
 * dead-lettered, or every sweep spent): the dead letter first, so a stop between the two leaves the image pending to be tried
 * and lettered again, never failed without its letter. Only over the image as the caller read it,
 * or as a job last wrote it (`read`: pending, with those attempts and that hash): one that settled it
 * meanwhile wins, and no letter is sent for it. True when the image was failed.
 */
export async function failPendingImage(
  sku: string,
  image: StoredImage,
  failure: { reason: string; jobId: string; at: Date },
  deps: FailingDependencies,
  read: PendingState = pendingStateOf(image),
): Promise<boolean> {
  const attempts = read.attempts + 1;
  const now = (await deps.statuses.find(sku))?.images.find((each) => each.id === image.id);
  if (!isPendingAs(now, read)) return false;
  await deps.deadLetters.send({
    kind: 'image-copy-failed',
    sku,
    imageId: image.id,
    url: image.url,
    reason: failure.reason,
    attempts,
    jobId: failure.jobId,
    failedAt: failure.at.toISOString(),
  });
  const recorded = await deps.statuses.advance(sku, image.id, read, {
    status: 'failed',
    error: failure.reason,
    attempts,
    content_sha256: read.sha256 ?? undefined,
    previous_sha256: read.previous ?? undefined,
  });
  if (recorded) deps.pipelineMetrics.failed(failure.reason);
  return recorded;
}
