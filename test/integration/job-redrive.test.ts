import { SQSClient } from '@aws-sdk/client-sqs';
import { afterEach, describe, expect, it } from 'vitest';
import { createDeadJobsHandler, createRenderImagesHandler } from '../../functions/job-handlers';
import { LOCAL_REGION } from '../../infra/local/dynamodb-local';
import { type RunningQueuePoller, startQueuePoller } from '../../infra/local/queue-poller';
import { type RunningSqsLocal, startSqsLocal } from '../../infra/local/sqs-local';
import { DynamoImageStatusStore } from '../../lib/adapters/dynamodb/image-status-store';
import { SqsImageJobQueue } from '../../lib/adapters/sqs/image-job-queue';
import { createLogger } from '../../lib/logger';
import type { DeadLetter } from '../../lib/pipeline/ports';
import type { RenderingDependencies } from '../../lib/pipeline/render-jobs';
import { DEAD_JOB_REASON } from '../../lib/pipeline/render-jobs';
import { documentClientFor, useTestApi } from '../helpers/local-api';
import { memoryPipeline } from '../helpers/memory-pipeline';

/**
 * A job the renderer crashes on every time, through the in-process SQS engine as the deployed queue
 * is set up (receive limit, redrive) and the local pollers as Lambda's event source: SQS gives up on
 * it, and the dead-job consumer fails its image with a letter.
 */
const t = useTestApi();
let sqs: RunningSqsLocal | undefined;
const pollers: RunningQueuePoller[] = [];
afterEach(async () => {
  await Promise.all(pollers.splice(0).map((poller) => poller.stop()));
  await sqs?.stop();
});

describe("the jobs' redrive to their dead-letter queue (DynamoDB Local, the local SQS engine)", () => {
  it('fails the image after 3 receives the renderer never finished, with a dead letter', async () => {
    sqs = await startSqsLocal({ visibilityTimeoutSeconds: 1, maxReceiveCount: 3 });
    const client = new SQSClient({
      endpoint: sqs.endpoint,
      region: LOCAL_REGION,
      credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
    });
    const letters: DeadLetter[] = [];
    const statuses = new DynamoImageStatusStore(documentClientFor(t.api), t.api.tableName);
    const deps: RenderingDependencies = {
      ...memoryPipeline(async () => {
        throw new Error('never downloaded: the renderer crashes first');
      }).deps,
      statuses,
      jobs: new SqsImageJobQueue(client, sqs.jobsQueueUrl),
      deadLetters: { send: async (letter) => void letters.push(letter) },
    };
    let receives = 0;
    // The renderer dies on this job every time (out of memory, say): it never answers for it.
    const crashing: RenderingDependencies = {
      ...deps,
      statuses: {
        find: async () => {
          receives++;
          throw new Error('renderer crashed');
        },
        record: statuses.record.bind(statuses),
        recordIfUnchanged: statuses.recordIfUnchanged.bind(statuses),
        advance: statuses.advance.bind(statuses),
        markAnnounced: statuses.markAnnounced.bind(statuses),
      },
    };
    const logger = createLogger({ level: 'silent' });
    pollers.push(
      startQueuePoller({
        endpoint: sqs.endpoint,
        queueUrl: sqs.jobsQueueUrl,
        handler: createRenderImagesHandler(crashing),
        functionName: 'render-images',
        logger,
        batchSize: 2,
        maxConcurrency: 1,
        pollIntervalMs: 50,
      }),
      startQueuePoller({
        endpoint: sqs.endpoint,
        queueUrl: sqs.deadJobsQueueUrl,
        handler: createDeadJobsHandler(deps),
        functionName: 'dead-jobs',
        logger,
        batchSize: 10,
        maxConcurrency: 1,
        pollIntervalMs: 50,
      }),
    );

    const posted = await t.http.post({
      product_sku: 'doomed',
      images: [{ url: 'https://img.example.test/x.jpg' }],
    });
    const imageId = posted.json.images[0].id;
    await deps.jobs.enqueue([{ sku: 'doomed', imageId, origin: 'stream' }]);

    await expect
      .poll(async () => (await statuses.find('doomed'))?.images[0]?.status, {
        timeout: 20_000,
        interval: 200,
      })
      .toBe('failed');
    expect((await statuses.find('doomed'))?.images[0]).toMatchObject({ error: DEAD_JOB_REASON });
    expect(receives).toBe(3);
    expect(letters).toEqual([
      expect.objectContaining({ kind: 'image-copy-failed', sku: 'doomed', imageId, reason: DEAD_JOB_REASON }),
    ]);
  });
});
