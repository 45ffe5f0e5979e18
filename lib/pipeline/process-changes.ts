import type { Metrics } from '@aws-lambda-powertools/metrics';
import type { ImageSet, StoredImage } from '../domain/image';

import { childLogger, type Logger } from '../logger';
import { RenderError } from '../rendering/render-image';
import { groupBySku, type ImageSetChangeRecord, workFor } from './changes';
import { mapWithConcurrency } from './concurrency';
import { type DigestedBytes, readDigested } from './content-digest';
import { type ContentDependencies, publishContent, readyProgress, releaseContent } from './content-publisher';
import { ImageCopyError, permanent, transient } from './fetch-errors';
import { legacyCopyKey, objectKey } from './object-key';
import type { DeadLetterSink, ImageOpener, ImageStatusStore, SettledEventSink } from './ports';
import { announceIfSettled, type SettlementPorts } from './settlement';

export interface PipelineDependencies extends ContentDependencies {
  statuses: ImageStatusStore;
  open: ImageOpener;
  deadLetters: DeadLetterSink;
  /** Powertools' metrics buffer (flushed by its middleware); the pipeline counts into `pipelineMetrics`. */
  metrics: Metrics;
  /** Where `ProductImagesSettled` events go, and the CDN base their `cdn_url`s are built on. */
  events: SettledEventSink;
  cdnBaseUrl: string;
  /** Transient failures an image may have before it is failed for good and dead-lettered. */
  maxAttempts: number;
  /** SKUs processed at once. */
  skuConcurrency: number;
  /** Images of one record copied at once. */
  imageConcurrency: number;
  /**
   * Bounds the images held in memory at once in this process, from their download to their `ready`
   * (each up to `MAX_IMAGE_BYTES`), whatever the SKU and image concurrency multiply to.
   */
  inFlightLimit: <R>(work: () => Promise<R>) => Promise<R>;
}

export interface BatchOutcome {
  /** Sequence numbers to report as batch item failures: each SKU's first record that must be retried. */
  failed: string[];
}

type CopyOutcome = 'settled' | 'retry';

function copyError(error: unknown): ImageCopyError {
  if (error instanceof ImageCopyError) return error;
  if (error instanceof RenderError) return permanent(error.reason);
  const cause = (error as { cause?: unknown })?.cause;
  if (cause instanceof ImageCopyError) return cause;
  return transient('storage error');
}

async function copyImage(
  record: ImageSetChangeRecord,
  image: StoredImage,
  current: ImageSet,
  deps: PipelineDependencies,
): Promise<CopyOutcome> {
  const log = childLogger(deps.logger, {
    sku: record.sku,
    imageId: image.id,
    sequenceNumber: record.sequenceNumber,
  });
  const started = performance.now();
  // The content this image holds (or may hold) a reference to: the hash recorded on it.
  let sha256 = image.content_sha256;
  try {
    const opened = await deps.open(image.url);
    let original: DigestedBytes;
    try {
      original = await readDigested(opened.body);
    } catch (error) {
      opened.abort();
      throw error;
    }
    const fetchMs = performance.now() - started;
    if (!opened.summary().dimensions) throw permanent('image dimensions unreadable');
    if (sha256 !== original.sha256) {
      // Recorded before the reference is taken, so a removal of this image always knows what to release.
      const noted = await deps.statuses.record(
        record.sku,
        image.id,
        { status: 'pending', attempts: image.attempts, content_sha256: original.sha256 },
        current,
      );
      if (!noted) return 'settled';
      const previous = sha256;
      sha256 = original.sha256;
      // The URL serves other bytes than at an earlier attempt: the image lets go of those.
      if (previous) await releaseContent(previous, image.id, deps);
    }
    await publish(original.sha256, image, original, deps, log, fetchMs, record);
    return 'settled';
  } catch (error) {
    const failure = copyError(error);
    if (failure.reason === 'storage error') log.warn('storage failed during copy', { error });
    const attempts = (image.attempts ?? 0) + 1;
    if (failure.permanent || attempts >= deps.maxAttempts) {
      // The dead letter first: a worker that stops between the two leaves the image pending, to be tried
      // and dead-lettered again, rather than failed with no letter.
      if (!failure.permanent) {
        await deps.deadLetters.send({
          kind: 'image-copy-failed',
          sku: record.sku,
          imageId: image.id,
          url: image.url,
          reason: failure.reason,
          attempts,
          sequenceNumber: record.sequenceNumber,
          failedAt: new Date().toISOString(),
        });
      }
      const recorded = await deps.statuses.record(
        record.sku,
        image.id,
        { status: 'failed', error: failure.reason, attempts, content_sha256: sha256 },
        current,
      );
      if (recorded) deps.pipelineMetrics.failed(failure.reason);
      log.warn('image failed', { reason: failure.reason, attempts, permanent: failure.permanent });
      return 'settled';
    }
    await deps.statuses.record(
      record.sku,
      image.id,
      { status: 'pending', attempts, content_sha256: sha256 },
      current,
    );
    log.warn('image copy will be retried', { reason: failure.reason, attempts });
    return 'retry';
  }
}

/** Stores and renders the content (or finds it done), then marks the image `ready` with its facts. */
async function publish(
  sha256: string,
  image: StoredImage,
  original: DigestedBytes,
  deps: PipelineDependencies,
  log: Logger,
  fetchMs: number,
  record: ImageSetChangeRecord,
): Promise<void> {
  const { facts, rendered } = await publishContent(sha256, image.id, original.bytes, deps);
  const recorded = await deps.statuses.record(record.sku, image.id, readyProgress(sha256, facts));
  if (!recorded) {
    // A later POST removed the image while it was being published: its reference goes with it.
    await releaseContent(sha256, image.id, deps);
    return;
  }
  const requestedAt = image.requested_at ? Date.parse(image.requested_at) : Number.NaN;
  deps.pipelineMetrics.ready({
    bytes: facts.bytes,
    fetchMs,
    sinceRequestMs: Number.isNaN(requestedAt) ? null : Date.now() - requestedAt,
  });
  log.info('image ready', {
    bytes: facts.bytes,
    contentType: facts.content_type,
    sha256,
    rendered,
    variants: facts.variants.length,
  });
}

/** Does what one record asks; answers false when it must be retried. */
async function processRecord(record: ImageSetChangeRecord, deps: PipelineDependencies): Promise<boolean> {
  const { copy, remove } = workFor(record);
  await Promise.all(
    remove.map(async (image) => {
      if (image.content_sha256) await releaseContent(image.content_sha256, image.id, deps);
      // Copies made before content addressing live under the image's own key; `npm run rerender`
      // records the hash on such an image before it moves it, so both may be there.
      const legacy = legacyCopyKey(image);
      if (legacy || !image.content_sha256)
        await deps.objects.delete(legacy ?? objectKey(record.sku, image.id));
    }),
  );
  if (copy.length === 0) return true;

  // The newest state decides: an image a later POST removed, or one already settled, is left alone.
  const current = await deps.statuses.find(record.sku);
  if (!current) return true;
  const pending = current.images.filter(
    (image) => image.status === 'pending' && copy.some((wanted) => wanted.id === image.id),
  );
  const outcomes = await mapWithConcurrency(pending, deps.imageConcurrency, (image) =>
    deps.inFlightLimit(() => copyImage(record, image, current, deps)),
  );
  return outcomes.every((outcome) => outcome === 'settled');
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
      let done: boolean;
      try {
        done = await processRecord(record, deps);
      } catch (error) {
        deps.logger.warn('record will be retried', {
          sku: record.sku,
          sequenceNumber: record.sequenceNumber,
          error,
        });
        done = false;
      }
      if (!done) {
        failed.push(record.sequenceNumber);
        return;
      }
    }
    const last = group[group.length - 1];
    if (!last || last.after.length === 0) return;
    try {
      const announced = await announceIfSettled(last.sku, settlementPorts(deps), deps.cdnBaseUrl);
      if (announced) {
        deps.pipelineMetrics.settledEventPublished();
        deps.logger.info('set settled', {
          sku: last.sku,
          version: announced.version,
          images: announced.images.length,
        });
      }
    } catch (error) {
      // Checked again when the record comes back; the conditional mark keeps it to one event.
      deps.logger.warn('settlement check will be retried', { sku: last.sku, error });
      failed.push(last.sequenceNumber);
    }
  });
  return { failed };
}

function settlementPorts(deps: PipelineDependencies): SettlementPorts {
  return {
    find: (sku) => deps.statuses.find(sku),
    markAnnounced: (sku, version) => deps.statuses.markAnnounced(sku, version),
    publish: (detail) => deps.events.publish(detail),
  };
}
