import middy from '@middy/core';
import type { Context, ScheduledEvent } from 'aws-lambda';
import { loadPipelineConfig, requireRenderQueue } from '../lib/config';
import { observability } from '../lib/http/observability';
import { type SweepDependencies, sweepPending } from '../lib/pipeline/pending-sweep';
import { createSweepDependencies } from '../lib/pipeline-service';

/**
 * What starts a sweep: the schedule's event (sets pending for `pendingSweepMinutes`), or local mode at
 * start, whose in-memory queue lost every job: `{ detail: { olderThanMinutes: 0, ignoreBacklog: true } }`.
 */
export type SweepEvent = Pick<ScheduledEvent, 'time'> & {
  detail?: { olderThanMinutes?: number; ignoreBacklog?: boolean };
};

/** The pending sweeper, run on a schedule (lib/pipeline/pending-sweep.ts). */
export function createSweepPendingHandler(
  deps: SweepDependencies,
  settings: { pendingSweepMinutes: number; maxSweeps: number; backlogPatienceMinutes: number },
) {
  return middy<SweepEvent, void, Error, Context>()
    .use(observability(deps))
    .handler(async (event, context) => {
      const started = performance.now();
      const minutes = event.detail?.olderThanMinutes ?? settings.pendingSweepMinutes;
      const outcome = await sweepPending(deps, {
        now: new Date(),
        olderThanMs: Math.max(0, minutes) * 60_000,
        maxSweeps: settings.maxSweeps,
        backlogPatienceMs: settings.backlogPatienceMinutes * 60_000,
        ignoreBacklog: event.detail?.ignoreBacklog === true,
      });
      deps.logger.info('pending sweep done', {
        requestId: context.awsRequestId,
        olderThanMinutes: minutes,
        ...outcome,
        durationMs: Math.round(performance.now() - started),
      });
    });
}

const config = requireRenderQueue(loadPipelineConfig());
export const handler = createSweepPendingHandler(createSweepDependencies(config), config);
