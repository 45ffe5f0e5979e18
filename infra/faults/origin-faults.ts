import { Transform, type TransformCallback } from 'node:stream';
import { setTimeout as sleep } from 'node:timers/promises';
import type { OriginHook } from '../../lib/adapters/client-hooks';
import { transient } from '../../lib/pipeline/fetch-errors';
import type { OpenedImage } from '../../lib/pipeline/image-fetcher';
import type { FaultPlan } from './fault-plan';

/** How a merchant's origin fails: each fault ends the attempt with the reason the fetcher gives it. */
export const ORIGIN_FAULTS = ['reset', 'http503', 'stall'] as const;
export type OriginFault = (typeof ORIGIN_FAULTS)[number];

/** The fetcher's own wording, so a failed image's reason reads as a real origin's would. */
export const ORIGIN_FAULT_REASONS: Record<OriginFault, string> = {
  reset: 'connection to origin failed (ECONNRESET)',
  http503: 'HTTP 503 from origin',
  stall: 'origin timed out',
};

/**
 * Lets the first chunk through, then fails the body as a socket reset does half-way: the pipeline has
 * started hashing and uploading by then, so a reset mid-body is what it must clean up after.
 */
class ResetMidBody extends Transform {
  private passed = 0;

  override _transform(chunk: Buffer, _encoding: BufferEncoding, done: TransformCallback): void {
    if (this.passed > 0) {
      done(transient(ORIGIN_FAULT_REASONS.reset));
      return;
    }
    this.passed += chunk.length;
    // At most half of the first chunk: a one-chunk image is cut too.
    done(null, chunk.subarray(0, Math.max(1, Math.floor(chunk.length / 2))));
  }

  override _flush(done: TransformCallback): void {
    done(transient(ORIGIN_FAULT_REASONS.reset));
  }
}

function resetMidBody(opened: OpenedImage): OpenedImage {
  const body = new ResetMidBody();
  opened.body.once('error', (error) => body.destroy(error));
  body.once('error', () => opened.abort());
  opened.body.pipe(body);
  return {
    ...opened,
    body,
    abort: () => {
      body.destroy(transient('copy aborted'));
      opened.abort();
    },
  };
}

/**
 * The origin hook of `FAULTS=origin=p`: that share of the fetcher's opens fail as origins fail, one
 * way drawn per fault: the connection reset after the first bytes, a `503`, or no answer until the
 * fetcher's own deadline has passed.
 */
export function originFaultHook(plan: FaultPlan): OriginHook {
  return (open, limits) => async (url, known) => {
    plan.countOperation('origin');
    if (!plan.shouldFail('origin')) return open(url, known);
    const fault = plan.pick(ORIGIN_FAULTS);
    plan.record('origin', fault);
    if (fault === 'http503') throw transient(ORIGIN_FAULT_REASONS.http503);
    if (fault === 'stall') {
      await sleep(limits.totalTimeoutMs);
      throw transient(ORIGIN_FAULT_REASONS.stall);
    }
    const answer = await open(url, known);
    // A 304 has no body to cut: the origin resets before answering instead.
    if ('notModified' in answer) throw transient(ORIGIN_FAULT_REASONS.reset);
    return resetMidBody(answer);
  };
}
