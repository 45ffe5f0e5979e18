import type { ImageSet, StoredImage } from '../domain/image';
import { childLogger, type Logger } from '../logger';
import { RenderError } from '../rendering/render-image';
import { type DigestedBytes, readDigested } from './content-digest';
import { type ContentDependencies, publishContent, readyProgress, releaseContent } from './content-publisher';
import { ImageCopyError, permanent, transient } from './fetch-errors';
import type { DeadLetterSink, ImageOpener, ImageStatusStore } from './ports';

/** What copying one image needs besides the content stores. */
export interface CopyDependencies extends ContentDependencies {
  statuses: ImageStatusStore;
  open: ImageOpener;
  deadLetters: DeadLetterSink;
  /** Transient failures an image may have before it is failed for good and dead-lettered. */
  maxAttempts: number;
}

/** Which job or record asked for the copy, for logs and dead letters. */
export interface CopyRequest {
  sku: string;
  /** The SQS message id of the job (or another id of what asked). */
  jobId: string;
}

/** `settled`: ready or failed for good (or nothing to do); `retry`: a transient failure, attempts left. */
export type CopyOutcome = 'settled' | 'retry';

function copyError(error: unknown): ImageCopyError {
  if (error instanceof ImageCopyError) return error;
  if (error instanceof RenderError) return permanent(error.reason);
  const cause = (error as { cause?: unknown })?.cause;
  if (cause instanceof ImageCopyError) return cause;
  return transient('storage error');
}

/**
 * Downloads one pending image, hashes it, stores and renders its content (or finds it done) and marks
 * the image `ready`; or records the failure: `failed` for good, or `pending` with one more attempt.
 */
export async function copyImage(
  request: CopyRequest,
  image: StoredImage,
  current: ImageSet,
  deps: CopyDependencies,
): Promise<CopyOutcome> {
  const record = request;
  const log = childLogger(deps.logger, { sku: request.sku, imageId: image.id, jobId: request.jobId });
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
          jobId: request.jobId,
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
  deps: CopyDependencies,
  log: Logger,
  fetchMs: number,
  record: CopyRequest,
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
