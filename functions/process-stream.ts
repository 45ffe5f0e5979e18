import middy from '@middy/core';
import type { Context, DynamoDBBatchResponse, DynamoDBStreamEvent } from 'aws-lambda';
import { toChangeRecord } from '../lib/adapters/dynamodb/stream-records';
import { loadPipelineConfig, requireRenderQueue } from '../lib/config';
import { observability } from '../lib/http/observability';
import type { ImageSetChangeRecord } from '../lib/pipeline/changes';
import { type PipelineDependencies, processChanges } from '../lib/pipeline/process-changes';
import { createPipelineDependencies } from '../lib/pipeline-service';

/**
 * The stream consumer, fed by the table's stream: enqueues a job per image a POST added (the renderer
 * does the heavy work), releases removed images' contents, announces sets that settled without new
 * images, and reports the records to retry as partial batch failures.
 */
export function createProcessStreamHandler(deps: PipelineDependencies) {
  return middy<DynamoDBStreamEvent, DynamoDBBatchResponse, Error, Context>()
    .use(observability(deps))
    .handler(async (event, context) => {
      const records = event.Records.map(toChangeRecord).filter(
        (record): record is ImageSetChangeRecord => record !== null,
      );
      const started = performance.now();
      const created = event.Records.map((record) => record.dynamodb?.ApproximateCreationDateTime).filter(
        (seconds): seconds is number => typeof seconds === 'number',
      );
      deps.pipelineMetrics.batch(
        event.Records.length,
        created.length > 0 ? Date.now() - Math.min(...created) * 1000 : null,
      );
      const { failed } = await processChanges(records, deps);
      deps.logger.info('stream batch processed', {
        requestId: context.awsRequestId,
        records: event.Records.length,
        skuRecords: records.length,
        retried: failed.length,
        durationMs: Math.round(performance.now() - started),
      });
      return { batchItemFailures: failed.map((itemIdentifier) => ({ itemIdentifier })) };
    });
}

export const handler = createProcessStreamHandler(
  createPipelineDependencies(requireRenderQueue(loadPipelineConfig())),
);
