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
import { failPendingImage } from './image-failure';
import type { OpenedImage } from './image-fetcher';
import {
  type ContentFacts,
  type DeadLetterSink,
  type ImageOpener,
  type ImageProgress,
  type ImageStatusStore,
  type KnownUrl,
  type KnownUrlStore,
  type PendingState,
  pendingStateOf,
} from './ports';

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

/** Writes the image's next status only over the state this job read and wrote last (`advance`). */
type Advance = (progress: ImageProgress, lastRead?: ImageSet | null) => Promise<boolean>;

/** One job's attempt at one image: what each of its steps reads and writes through. */
interface Attempt {
  request: CopyRequest;
  image: StoredImage;
  /** The image's set as the job read it: the first status write needs no read of its own. */
  read: ImageSet;
  /**
   * What this job expects the image to be: pending, with these attempts and this recorded hash (the
   * content it holds, or may hold, a reference to). `advance` keeps it current.
   */
  state: PendingState;
  advance: Advance;
  deps: CopyDependencies;
  log: Logger;
}

/**
 * Downloads one pending image, hashes it, stores and renders its content (or finds it done) and marks
 * the image `ready`; or records the failure: `failed` for good, or `pending` with one more attempt.
 * Every status write states what it replaces (the image pending, with the attempts and hash this job
 * read or wrote last), so a stale job, a duplicate or the sweeper that wrote since never undoes it; a
 * reference taken for a write that was refused is released unless the image holds it.
 */
export async function copyImage(
  request: CopyRequest,
  image: StoredImage,
  current: ImageSet,
  deps: CopyDependencies,
): Promise<CopyOutcome> {
  const started = performance.now();
  const state = pendingStateOf(image);
  const attempt: Attempt = {
    request,
    image,
    read: current,
    state,
    deps,
    log: childLogger(deps.logger, { sku: request.sku, imageId: image.id, jobId: request.jobId }),
    advance: async (progress, lastRead) => {
      const done = await deps.statuses.advance(request.sku, image.id, state, progress, lastRead);
      if (done && progress.status === 'pending') {
        state.attempts = progress.attempts ?? 0;
        state.sha256 = progress.content_sha256 ?? null;
        state.previous = progress.previous_sha256 ?? null;
      }
      return done;
    },
  };
  let claimed = false;
  let remember: (() => Promise<void>) | null = null;
  try {
    const found = await knownUrl(image.url, `${request.sku}/${image.id}`, deps);
    claimed = found.claimed;
    const known = found.known;
    const answer = await deps.open(image.url, known?.validators);
    let opened: OpenedImage;
    if ('notModified' in answer) {
      // The origin says the bytes it served before are current: their content is reused, not fetched.
      const fetchMs = performance.now() - started;
      const reused = known?.sha256 ? await reuseKnown(attempt, known.sha256, fetchMs) : 'stale';
      if (reused !== 'stale') return 'settled';
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
    if (!(await holdOnly(attempt, original.sha256))) return 'settled';
    if (!(await publish(attempt, original, fetchMs))) return 'settled';
    const validators = opened.validators ?? {};
    remember = () => deps.urls.remember(image.url, original.sha256, validators);
  } catch (error) {
    const failure = copyError(error);
    // What storage failed with, for a person: the image's reason stays a plain "storage error".
    if (failure.reason === 'storage error') attempt.log.warn('storage failed during copy', { error });
    return await recordFailure(attempt, failure);
  } finally {
    // Whatever ended the copy before the URL could be remembered (a failure, the image removed
    // meanwhile), the next worker may download it now rather than wait out the lease.
    if (claimed && !remember) await deps.urls.releaseFirstFetch(image.url).catch(() => undefined);
  }
  // The image is ready: what follows is bookkeeping that fails on its own, never through its status.
  await rememberUrl(remember, image.url, deps, attempt.log);
  if (claimed) await deps.urls.releaseFirstFetch(image.url).catch(() => undefined);
  return 'settled';
}

/**
 * Makes `sha256` the content the image records. The hash it recorded before (its URL served other bytes
 * at an earlier attempt) is kept as `previous_sha256` in the same write, then let go of, then
 * forgotten: a release that fails, or a worker that stops, leaves it recorded for the next attempt (or
 * the removal of the image) to release. The new hash is recorded before its reference is taken, so a
 * removal always knows what to release. False when the image moved on meanwhile.
 */
async function holdOnly(attempt: Attempt, sha256: string): Promise<boolean> {
  const { state, advance } = attempt;
  const previous = state.previous ?? (state.sha256 !== sha256 ? state.sha256 : null);
  if (state.sha256 === sha256 && !previous) return true;
  const noted = await advance(
    {
      status: 'pending',
      attempts: state.attempts,
      content_sha256: sha256,
      ...(previous && previous !== sha256 ? { previous_sha256: previous } : {}),
    },
    attempt.read,
  );
  if (!noted) return false;
  if (previous && previous !== sha256) {
    await releaseContent(previous, attempt.image.id, attempt.deps);
    if (!(await advance({ status: 'pending', attempts: state.attempts, content_sha256: sha256 }))) {
      await releaseUnlessHeld(attempt, sha256);
      return false;
    }
  }
  return true;
}

/** Remembers the URL's bytes for the next conditional GET, a few tries; a failure is only logged. */
async function rememberUrl(
  remember: (() => Promise<void>) | null,
  url: string,
  deps: CopyDependencies,
  log: Logger,
): Promise<void> {
  if (!remember) return;
  for (let attempt = 1; ; attempt++) {
    try {
      await remember();
      return;
    } catch (error) {
      if (attempt >= REMEMBER_ATTEMPTS) {
        // The next image with this URL downloads it again, and remembers it then.
        log.warn('URL not remembered: the image is ready, the next copy of this URL downloads it', {
          url,
          error,
        });
        return;
      }
      await sleep(deps.contentTiming.pollMs * attempt);
    }
  }
}

/** Tries at remembering a URL after its image is ready. */
const REMEMBER_ATTEMPTS = 3;

/**
 * Records a failure: `failed` for good (a transient one with its dead letter, as the pipeline's other
 * give-ups, `failPendingImage`) or `pending` with one more attempt, each only over the state this job
 * expects. Refused, the job has nothing left to do: another moved the image on (or it was removed), and
 * the reference this job may have taken is released unless the image holds it.
 */
async function recordFailure(attempt: Attempt, failure: ImageCopyError): Promise<CopyOutcome> {
  const { request, image, state, deps, log } = attempt;
  const attempts = state.attempts + 1;
  const movedOn = async (): Promise<CopyOutcome> => {
    await releaseUnlessHeld(attempt, state.sha256);
    log.info('image moved on meanwhile: this job stops', { reason: failure.reason });
    return 'settled';
  };
  if (!failure.permanent && attempts < deps.maxAttempts) {
    const retried = await attempt.advance({
      status: 'pending',
      attempts,
      content_sha256: state.sha256 ?? undefined,
      previous_sha256: state.previous ?? undefined,
    });
    if (!retried) return movedOn();
    log.warn('image copy will be retried', { reason: failure.reason, attempts });
    return 'retry';
  }
  // A transient failure past its attempts is lettered first (read again, only for an image still as
  // this job left it); a permanent one is the origin's answer, for the merchant rather than a person.
  const failed = failure.permanent
    ? await attempt.advance({
        status: 'failed',
        error: failure.reason,
        attempts,
        content_sha256: state.sha256 ?? undefined,
        previous_sha256: state.previous ?? undefined,
      })
    : await failPendingImage(
        request.sku,
        image,
        { reason: failure.reason, jobId: request.jobId, at: new Date() },
        deps,
        state,
      );
  if (!failed) return movedOn();
  if (failure.permanent) deps.pipelineMetrics.failed(failure.reason);
  log.warn('image failed', { reason: failure.reason, attempts, permanent: failure.permanent });
  return 'settled';
}

/**
 * Releases the image's reference to `sha256` unless the image (read now) records that hash: a write
 * of this job was refused because another moved the image on, or a POST removed it. With `sha256`
 * null, nothing was taken.
 */
async function releaseUnlessHeld(attempt: Attempt, sha256: string | null): Promise<void> {
  if (!sha256) return;
  const { request, image, deps } = attempt;
  const now = (await deps.statuses.find(request.sku))?.images.find((each) => each.id === image.id);
  if (now?.content_sha256 === sha256) return;
  await releaseContent(sha256, image.id, deps);
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
async function reuseKnown(attempt: Attempt, sha256: string, fetchMs: number): Promise<'settled' | 'stale'> {
  // Recorded before the reference is taken, as for downloaded bytes.
  if (!(await holdOnly(attempt, sha256))) return 'settled';
  const facts = await reuseContent(sha256, attempt.image.id, attempt.deps);
  if (!facts) return 'stale';
  // Settled like a downloaded image, with nothing copied.
  if (await markReady(attempt, sha256, facts, { bytes: 0, fetchMs }, { revalidated: true })) {
    attempt.deps.pipelineMetrics.revalidated();
  }
  return 'settled';
}

/** From the POST that added the image until now; null for an image written before that was recorded. */
function sinceRequest(image: StoredImage): number | null {
  const requestedAt = image.requested_at ? Date.parse(image.requested_at) : Number.NaN;
  return Number.isNaN(requestedAt) ? null : Date.now() - requestedAt;
}

/**
 * Stores and renders the content (or finds it done), then marks the image `ready` with its facts. False
 * when the image moved on meanwhile (a later POST removed it, or another job settled it).
 */
async function publish(attempt: Attempt, original: DigestedBytes, fetchMs: number): Promise<boolean> {
  const { facts, rendered } = await publishContent(
    original.sha256,
    attempt.image.id,
    original.bytes,
    attempt.deps,
  );
  return markReady(
    attempt,
    original.sha256,
    facts,
    { bytes: facts.bytes, fetchMs },
    { bytes: facts.bytes, contentType: facts.content_type, rendered },
  );
}

/**
 * Marks the image `ready` on `sha256`'s facts, with its metrics and log line. False when the image
 * moved on meanwhile: the reference goes unless the image holds it.
 */
async function markReady(
  attempt: Attempt,
  sha256: string,
  facts: ContentFacts,
  copied: { bytes: number; fetchMs: number },
  logged: Record<string, unknown>,
): Promise<boolean> {
  if (!(await attempt.advance(readyProgress(sha256, facts)))) {
    await releaseUnlessHeld(attempt, sha256);
    return false;
  }
  attempt.deps.pipelineMetrics.ready({ ...copied, sinceRequestMs: sinceRequest(attempt.image) });
  attempt.log.info('image ready', { ...logged, sha256, variants: facts.variants.length });
  return true;
}
