/** The SQS-fed pipeline functions' middy wiring (the renderer and the dead-job consumer share it). */
import middy from '@middy/core';
import type { Context, SQSBatchResponse, SQSEvent } from 'aws-lambda';
import { observability } from '../lib/http/observability';
import type { SettlingDependencies } from '../lib/pipeline/image-failure';
import { parseJob } from '../lib/pipeline/image-jobs';
import {
  failDeadJobs,
  type JobBatchOutcome,
  processImageJobs,
  type ReceivedJob,
  type RenderingDependencies,
} from '../lib/pipeline/render-jobs';

type JobBatchRunner<D> = (jobs: readonly ReceivedJob[], deps: D) => Promise<JobBatchOutcome>;

/** An SQS-fed function over image jobs: one summary line per invocation, failures as batch item failures. */
function createJobHandler<D extends SettlingDependencies>(deps: D, run: JobBatchRunner<D>, summary: string) {
  return middy<SQSEvent, SQSBatchResponse, Error, Context>()
    .use(observability(deps))
    .handler(async (event, context) => {
      const started = performance.now();
      const jobs = event.Records.map((record) => ({
        messageId: record.messageId,
        job: parseJob(record.body),
      }));
      const outcome = await run(jobs, deps);
      deps.logger.info(summary, {
        requestId: context.awsRequestId,
        jobs: jobs.length,
        settled: outcome.settled,
        skipped: outcome.skipped,
        retried: outcome.retried,
        failed: outcome.failed.length,
        durationMs: Math.round(performance.now() - started),
      });
      return { batchItemFailures: outcome.failed.map((itemIdentifier) => ({ itemIdentifier })) };
    });
}

/** The renderer: fetches, hashes and renders each image job's image (see lib/pipeline/render-jobs.ts). */
export function createRenderImagesHandler(deps: RenderingDependencies) {
  return createJobHandler(deps, processImageJobs, 'render batch processed');
}

/** The jobs' dead-letter queue: fails the image of each job SQS gave up on. */
export function createDeadJobsHandler(deps: SettlingDependencies) {
  return createJobHandler(deps, failDeadJobs, 'dead jobs processed');
}
