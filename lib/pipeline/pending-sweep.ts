import { type ContentDependencies, collectStaleDeletions } from './content-publisher';
import { failPendingImage, type SettlingDependencies } from './image-failure';
import type { ImageJob } from './image-jobs';
import { announceSettled } from './process-changes';

/** A SKU whose set had a pending image when last written or swept, as the pending index lists it. */
export interface PendingSet {
  sku: string;
  /** The set's version when the index entry was read: a touch applies only while it is unchanged. */
  version: string;
  /** When the set was written with a pending image, or last swept (ISO 8601). */
  pendingSince: string;
  /** How many times the sweeper has re-enqueued the set's pending images. */
  sweeps: number;
}

/** The sparse index of SKUs with pending images (DynamoDB's `pending` index deployed and locally). */
export interface PendingIndex {
  /** Every entry pending since before `before` (ISO 8601), oldest first per shard. */
  since(before: string): AsyncIterable<PendingSet>;
  /**
   * Records a sweep: `pendingSince` becomes `now`, `sweeps` one more. Only while the set's version is
   * still `version`; false, writing nothing, otherwise (a POST replaced the set: its own clock runs).
   */
  touch(entry: PendingSet, now: string): Promise<boolean>;
  /** Takes the set out of the index, only while its revision is `revision` (nothing pending then). */
  clear(sku: string, revision: number): Promise<boolean>;
}

export interface SweepDependencies
  extends SettlingDependencies,
    Pick<ContentDependencies, 'contents' | 'objects' | 'contentTiming'> {
  pending: PendingIndex;
  /** Jobs waiting in the queue; while some wait, an old pending image may simply be waiting its turn. */
  jobBacklog(): Promise<number>;
}

export interface SweepOptions {
  now: Date;
  /** Only sets pending for longer than this are swept (0: every pending set, as local mode does at start). */
  olderThanMs: number;
  /** Sweeps a set may have; its images still pending after that many end failed. */
  maxSweeps: number;
  /** Sweeps even while jobs wait in the queue (local mode at start, whose queue did not survive). */
  ignoreBacklog?: boolean;
  /**
   * While jobs wait in the queue, sets pending for longer than this are still swept, enqueued again
   * and never failed: during imports that never let the queue drain, an image whose job was lost
   * comes back within this time. Unset: nothing is swept while jobs wait.
   */
  backlogPatienceMs?: number;
}

export interface SweepOutcome {
  /** Sets found pending for too long. */
  sets: number;
  /** Jobs enqueued again. */
  enqueued: number;
  /** Images failed after their last sweep. */
  failed: number;
  /** Sets found with nothing pending any more: taken out of the index (and announced if they were not). */
  cleared: number;
  /** Deletions a stopped worker left, finished (their objects deleted, their item removed). */
  deletionsFinished: number;
  /**
   * True when jobs were waiting in the queue: only sets pending for longer than the backlog patience
   * were swept (none without one), and nothing was failed.
   */
  deferredForBacklog: boolean;
}

/** What an image ends with when it stayed pending through every sweep. */
export const NEVER_SETTLED_REASON = 'image never settled';

/**
 * Finds every set pending for longer than `olderThanMs` through the sparse index and re-enqueues its
 * pending images' jobs (a duplicate of a job still in flight is harmless: the image decides). After
 * `maxSweeps` sweeps, the images still pending end `failed` with a dead letter, and the set is
 * announced. While jobs wait in the queue an image may wait its turn for longer than the threshold,
 * and must not be failed for it: such a sweep only enqueues again the sets pending for longer than the
 * backlog patience (hours), so a job lost during imports that never let the queue drain still comes
 * back. Each set is handled on its own; one that fails is left for the next sweep.
 */
export async function sweepPending(deps: SweepDependencies, options: SweepOptions): Promise<SweepOutcome> {
  const outcome: SweepOutcome = {
    sets: 0,
    enqueued: 0,
    failed: 0,
    cleared: 0,
    deletionsFinished: 0,
    deferredForBacklog: false,
  };
  // Whatever the backlog: a content left marked for deletion blocks every image with its bytes.
  try {
    outcome.deletionsFinished = await collectStaleDeletions(options.now.getTime(), deps);
  } catch (error) {
    deps.logger.warn('deletions left for the next sweep', { error });
  }
  const waiting = !options.ignoreBacklog && (await deps.jobBacklog()) > 0;
  outcome.deferredForBacklog = waiting;
  if (waiting && options.backlogPatienceMs === undefined) return outcome;
  const olderThanMs = waiting
    ? Math.max(options.olderThanMs, options.backlogPatienceMs ?? 0)
    : options.olderThanMs;
  const before = new Date(options.now.getTime() - olderThanMs).toISOString();
  for await (const entry of deps.pending.since(before)) {
    outcome.sets++;
    try {
      await sweepSet(entry, deps, { ...options, mayFail: !waiting }, outcome);
    } catch (error) {
      deps.logger.warn('pending set left for the next sweep', { sku: entry.sku, error });
    }
  }
  return outcome;
}

async function sweepSet(
  entry: PendingSet,
  deps: SweepDependencies,
  options: SweepOptions & { mayFail: boolean },
  outcome: SweepOutcome,
): Promise<void> {
  const set = await deps.statuses.find(entry.sku);
  if (!set) return;
  const pending = set.images.filter((image) => image.status === 'pending');
  if (pending.length === 0) {
    // Settled, but the settlement that takes it out of the index did not run. Announcing it takes it
    // out; a set announced before is taken out here (a write since then means it was handled).
    await announceSettled(entry.sku, deps);
    await deps.pending.clear(entry.sku, set.revision);
    outcome.cleared++;
    return;
  }
  if (entry.sweeps >= options.maxSweeps && options.mayFail) {
    for (const image of pending) {
      const failure = { reason: NEVER_SETTLED_REASON, jobId: `sweep-${entry.sweeps}`, at: options.now };
      if (await failPendingImage(entry.sku, image, failure, deps)) outcome.failed++;
    }
    deps.logger.error('images never settled: failed after the last sweep', {
      sku: entry.sku,
      images: pending.map((image) => image.id),
      sweeps: entry.sweeps,
    });
    await announceSettled(entry.sku, deps);
    return;
  }
  const jobs: ImageJob[] = pending.map((image) => ({ sku: entry.sku, imageId: image.id, origin: 'sweep' }));
  // Enqueued first: a stop before the touch only makes the next sweep enqueue them again.
  await deps.jobs.enqueue(jobs);
  outcome.enqueued += jobs.length;
  await deps.pending.touch({ ...entry, version: set.version }, options.now.toISOString());
  deps.logger.warn('pending images enqueued again', {
    sku: entry.sku,
    images: jobs.length,
    pendingSince: entry.pendingSince,
    sweep: entry.sweeps + 1,
  });
}
