import { setTimeout as sleep } from 'node:timers/promises';
import type { ImageSet, StoredImage } from '../domain/image';
import { childLogger, type Logger } from '../logger';
import { RenderError } from '../rendering/rendition';
import { type DigestedBytes, readDigested } from './content-digest';
import {
  type ContentDependencies,
  publishContent,
  readyProgress,
  releaseContent,
  reuseContent,
} from './content-publisher';
import { ImageCopyError, permanent, transient } from './fetch-errors';
import type { OpenedImage } from './image-fetcher';
import type { DeadLetterSink, ImageOpener, ImageStatusStore, KnownUrl, KnownUrlStore } from './ports';

/** What copying one image needs besides the content stores. */
export interface CopyDependencies extends ContentDependencies {
  statuses: ImageStatusStore;
  open: ImageOpener;
  /** URLs fetched before: revalidated with a conditional GET instead of downloaded again. */
  urls: KnownUrlStore;
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
  let claimed = false;
  try {
    const found = await knownUrl(image.url, `${request.sku}/${image.id}`, deps);
    claimed = found.claimed;
    const known = found.known;
    const answer = await deps.open(image.url, known?.validators);
    let opened: OpenedImage;
    if ('notModified' in answer) {
      // The origin says the bytes it served before are current: their content is reused, not fetched.
      const fetchMs = performance.now() - started;
      const reused = known?.sha256
        ? await reuseKnown(known.sha256, request, image, current, deps, log, fetchMs)
        : 'stale';
      if (reused !== 'stale') return 'settled';
      sha256 = known?.sha256 ?? sha256;
      // Known bytes whose content is gone (deleted since, or its render failed midway): fetch them.
      opened = (await deps.open(image.url)) as OpenedImage;
    } else opened = answer;
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
    // Remembered once the content is published: a 304 for this URL can then always reuse it.
    await deps.urls.remember(image.url, original.sha256, opened.validators ?? {});
    claimed = false;
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
  } finally {
    // Whatever ended the copy before the URL was remembered (a failure, the image removed meanwhile),
    // the next worker may download it now rather than wait out the lease.
    if (claimed) await deps.urls.releaseFirstFetch(image.url).catch(() => undefined);
  }
}

/**
 * What is known of the URL before fetching it. A URL nobody fetched yet is downloaded by one worker
 * (the lease's holder, `claimed`); the others wait for what it finds, then revalidate it, so the same
 * URL on a hundred SKUs is downloaded once. Waiting too long, a worker downloads it itself.
 */
async function knownUrl(
  url: string,
  holder: string,
  deps: CopyDependencies,
): Promise<{ known: KnownUrl | null; claimed: boolean }> {
  const deadline = Date.now() + deps.contentTiming.maxWaitMs;
  for (;;) {
    const known = await deps.urls.find(url);
    if (known?.sha256) return { known, claimed: false };
    if (await deps.urls.claimFirstFetch(url, holder, Date.now(), deps.contentTiming.leaseMs))
      return { known: null, claimed: true };
    if (Date.now() > deadline) return { known: null, claimed: false };
    await sleep(deps.contentTiming.pollMs);
  }
}

/**
 * Marks the image `ready` on content the URL served before (the origin answered 304). 'stale' when that
 * content is no longer rendered: the caller downloads the bytes again.
 */
async function reuseKnown(
  sha256: string,
  request: CopyRequest,
  image: StoredImage,
  current: ImageSet,
  deps: CopyDependencies,
  log: Logger,
  fetchMs: number,
): Promise<'settled' | 'stale'> {
  if (image.content_sha256 !== sha256) {
    // Recorded before the reference is taken, as for downloaded bytes.
    const noted = await deps.statuses.record(
      request.sku,
      image.id,
      { status: 'pending', attempts: image.attempts, content_sha256: sha256 },
      current,
    );
    if (!noted) return 'settled';
    if (image.content_sha256) await releaseContent(image.content_sha256, image.id, deps);
  }
  const facts = await reuseContent(sha256, image.id, deps);
  if (!facts) return 'stale';
  const recorded = await deps.statuses.record(request.sku, image.id, readyProgress(sha256, facts));
  if (!recorded) {
    await releaseContent(sha256, image.id, deps);
    return 'settled';
  }
  deps.pipelineMetrics.revalidated();
  // Settled like a downloaded image, with nothing copied.
  deps.pipelineMetrics.ready({ bytes: 0, fetchMs, sinceRequestMs: sinceRequest(image) });
  log.info('image ready', { sha256, revalidated: true, variants: facts.variants.length });
  return 'settled';
}

/** From the POST that added the image until now; null for an image written before that was recorded. */
function sinceRequest(image: StoredImage): number | null {
  const requestedAt = image.requested_at ? Date.parse(image.requested_at) : Number.NaN;
  return Number.isNaN(requestedAt) ? null : Date.now() - requestedAt;
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
  deps.pipelineMetrics.ready({
    bytes: facts.bytes,
    fetchMs,
    sinceRequestMs: sinceRequest(image),
  });
  log.info('image ready', {
    bytes: facts.bytes,
    contentType: facts.content_type,
    sha256,
    rendered,
    variants: facts.variants.length,
  });
}
