import type { Metrics } from '@aws-lambda-powertools/metrics';
import type { ImageSet } from '../domain/image';
import { groupBySku, type ImageSetChangeRecord, workFor } from './changes';
import { mapWithConcurrency } from './concurrency';
import { releaseContent } from './content-publisher';
import type { CopyDependencies } from './copy-image';
import type { SettlingDependencies } from './image-failure';
import type { ImageJob, ImageJobQueue } from './image-jobs';
import { legacyCopyKey, objectKey } from './object-key';
import type { SettledEventSink } from './ports';
import { markIfSettled, settledDetail } from './settlement';

/**
 * What every pipeline function works with. The renderer adds a renderer (`RenderingDependencies` in
 * render-jobs.ts): only its bundle loads sharp, so the others start without it.
 */
export interface PipelineDependencies extends Omit<CopyDependencies, 'render'>, SettlingDependencies {
  /** Powertools' metrics buffer (flushed by its middleware); the pipeline counts into `pipelineMetrics`. */
  metrics: Metrics;
  /** Where `ProductImagesSettled` events go, and the CDN base their `cdn_url`s are built on. */
  events: SettledEventSink;
  cdnBaseUrl: string;
  /** The image jobs' queue: the stream consumer fills it, the renderer consumes it. */
  jobs: ImageJobQueue;
  /** The first retry's delay in seconds; each later one doubles it. */
  retryBaseDelaySeconds: number;
  /** SKUs processed at once (the stream consumer). */
  skuConcurrency: number;
  /** Jobs of one batch rendered at once (the renderer). */
  imageConcurrency: number;
  /**
   * Bounds the images held in memory at once in this process, from their download to their `ready`
   * (each up to `MAX_IMAGE_BYTES`), whatever the batch brings.
   */
  inFlightLimit: <R>(work: () => Promise<R>) => Promise<R>;
}

export interface BatchOutcome {
  /** Sequence numbers to report as batch item failures: each SKU's first record that must be retried. */
  failed: string[];
}

/**
 * Does what one record asks, cheaply: releases the contents of removed images, and enqueues one job
 * per image the write added (the renderer fetches, hashes and renders it). No image is read or
 * rendered here, so a record costs milliseconds however heavy its images are. A job for an image a
 * later write removed or settled does nothing, so the record's own images are enqueued without
 * reading the item again. Throws when it must be retried (an enqueue or a release failed).
 */
async function processRecord(record: ImageSetChangeRecord, deps: PipelineDependencies): Promise<void> {
  // The outbox: the write that marked a settled version carries its event; a failed put throws, and
  // the record comes back until the event is put.
  if (record.announced) await publishSettled(record.announced, deps);
  const { copy, remove } = workFor(record);
  await Promise.all(
    remove.map(async (image) => {
      if (image.content_sha256) await releaseContent(image.content_sha256, image.id, deps);
      // Bytes its URL served at an earlier attempt, not let go of yet.
      if (image.previous_sha256) await releaseContent(image.previous_sha256, image.id, deps);
      // Copies made before content addressing live under the image's own key; `npm run rerender`
      // records the hash on such an image before it moves it, so both may be there.
      const legacy = legacyCopyKey(image);
      if (legacy || !image.content_sha256)
        await deps.objects.delete(legacy ?? objectKey(record.sku, image.id));
    }),
  );
  const jobs: ImageJob[] = copy
    .filter((image) => image.status === 'pending')
    .map((image) => ({ sku: record.sku, imageId: image.id, origin: 'stream' }));
  if (jobs.length > 0) await deps.jobs.enqueue(jobs);
}

/**
 * Processes a batch of stream records: each SKU's records in order, different SKUs in parallel. A SKU
 * stops at its first record that must be retried; that record is reported, and the event source
 * mapping delivers it again with what follows it. Records already done are done again harmlessly.
 */
export async function processChanges(
  records: readonly ImageSetChangeRecord[],
  deps: PipelineDependencies,
): Promise<BatchOutcome> {
  const failed: string[] = [];
  await mapWithConcurrency(groupBySku(records), deps.skuConcurrency, async (group) => {
    for (const record of group) {
      try {
        await processRecord(record, deps);
      } catch (error) {
        deps.logger.warn('record will be retried', {
          sku: record.sku,
          sequenceNumber: record.sequenceNumber,
          error,
        });
        failed.push(record.sequenceNumber);
        return;
      }
    }
    const last = group[group.length - 1];
    // A set with pending images is announced by the renderer that settles its last one; a mark's own
    // record was announced already (it carries the event), so it needs no second read.
    if (
      !last ||
      last.announced ||
      last.after.length === 0 ||
      last.after.some((image) => image.status === 'pending')
    )
      return;
    try {
      await announceSettled(last.sku, deps);
    } catch (error) {
      // Checked again when the record comes back; the conditional mark keeps it to one event.
      deps.logger.warn('settlement check will be retried', { sku: last.sku, error });
      failed.push(last.sequenceNumber);
    }
  });
  return { failed };
}

/**
 * Marks the SKU's set announced if it is settled and was not marked yet. Its `ProductImagesSettled`
 * event is published from that mark's stream record (`publishSettled`), so it is never lost to a stop
 * between the two.
 */
export async function announceSettled(
  sku: string,
  deps: Pick<PipelineDependencies, 'statuses' | 'logger'>,
): Promise<void> {
  const marked = await markIfSettled(sku, deps.statuses);
  if (!marked) return;
  deps.logger.info('set settled', { sku, version: marked.version, images: marked.images.length });
}

/** Puts the event of a set marked announced: at least once, with the same `id` every time. */
export async function publishSettled(set: ImageSet, deps: PipelineDependencies): Promise<void> {
  const detail = settledDetail(set, deps.cdnBaseUrl);
  await deps.events.publish(detail);
  deps.pipelineMetrics.settledEventPublished();
  deps.logger.info('settled event published', { id: detail.id, images: detail.images.length });
}
