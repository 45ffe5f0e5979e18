import { MAX_JOB_DELAY_SECONDS } from './image-jobs';

/**
 * An image's retry budget and the times derived from it, in one place: how long a worker may live, how
 * long an attempt waits on another worker, how many attempts an image has and how far apart, and so
 * when a deletion left half-done must be taken over for an image that meets it not to run out.
 */

/** The renderer's timeout, the longest any pipeline worker lives: no deletion stays live longer. */
export const RENDERER_TIMEOUT_MS = 120_000;

/** How long one attempt waits on another worker (a render, a deletion) before it is retried later. */
export const ATTEMPT_WAIT_MS = 45_000;

/** Attempts an image has (`MAX_COPY_ATTEMPTS`) and the first retry's delay (`RETRY_BASE_DELAY_SECONDS`). */
export const DEFAULT_MAX_ATTEMPTS = 3;
export const DEFAULT_RETRY_BASE_DELAY_SECONDS = 30;

/**
 * How long a job waits before its next attempt: `baseSeconds` (30 s deployed), then twice that, … at
 * most SQS's 15 minutes. An origin that answered 503 gets time to recover.
 */
export function retryDelaySeconds(attempts: number, baseSeconds: number): number {
  return Math.min(MAX_JOB_DELAY_SECONDS, baseSeconds * 2 ** Math.max(0, attempts - 1));
}

/**
 * The earliest an image's last attempt starts after its first, when every earlier attempt met a
 * deletion: each waited `ATTEMPT_WAIT_MS` on it, then its backoff.
 */
export function lastAttemptStartMs(
  maxAttempts = DEFAULT_MAX_ATTEMPTS,
  baseDelaySeconds = DEFAULT_RETRY_BASE_DELAY_SECONDS,
): number {
  let elapsed = 0;
  for (let attempt = 1; attempt < maxAttempts; attempt++) {
    elapsed += ATTEMPT_WAIT_MS + retryDelaySeconds(attempt, baseDelaySeconds) * 1000;
  }
  return elapsed;
}

/**
 * A deletion older than this was left by a worker that stopped: longer than any worker lives (so a
 * live deletion is never taken over), and shorter than the start of an image's last attempt (so an
 * image that meets a deletion left half-done takes it over before it runs out of attempts).
 */
export const STALE_DELETION_MS = RENDERER_TIMEOUT_MS + 15_000;
