import { readFile } from 'node:fs/promises';
import { GetQueueAttributesCommand } from '@aws-sdk/client-sqs';
import { DynamoTableWalk } from './adapters/dynamodb/table-walk';
import { S3ImageObjectStore } from './adapters/s3/image-object-store';
import { SqsImageJobQueue } from './adapters/sqs/image-job-queue';
import type { AuditPorts } from './audit/audit';
import type { RepairPorts } from './audit/repair';
import { type PipelineConfig, requireRenderQueue } from './config';
import { markIfSettled } from './pipeline/settlement';
import { createS3Client, createSqsClient, documentClientFor } from './pipeline-service';
import { createRerenderDependencies } from './renderer-service';

/**
 * An object no content refers to is an orphan once it is older than this: far longer than a render's
 * lease (150 s), so a render still writing its objects is never counted.
 */
export const ORPHAN_GRACE_MS = 60 * 60_000;

/** Dead letters waiting: the queue's approximate count deployed, the file's lines locally. */
async function deadLetters(config: PipelineConfig): Promise<number> {
  if (config.deadLetterQueueUrl) {
    const { Attributes } = await createSqsClient(config).send(
      new GetQueueAttributesCommand({
        QueueUrl: config.deadLetterQueueUrl,
        AttributeNames: ['ApproximateNumberOfMessages', 'ApproximateNumberOfMessagesNotVisible'],
      }),
    );
    return (
      Number(Attributes?.ApproximateNumberOfMessages ?? 0) +
      Number(Attributes?.ApproximateNumberOfMessagesNotVisible ?? 0)
    );
  }
  if (!config.deadLetterFile) return 0;
  try {
    return (await readFile(config.deadLetterFile, 'utf8')).split('\n').filter((line) => line.trim()).length;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return 0;
    throw error;
  }
}

/** What `npm run audit` reads: the table, the bucket and the dead letters of the configured stack. */
export function createAuditPorts(config: PipelineConfig): AuditPorts {
  const objects = new S3ImageObjectStore(createS3Client(config), config.bucketName);
  return {
    walk: new DynamoTableWalk(documentClientFor(config), config.tableName),
    objects: (prefix) => objects.list(prefix),
    deadLetters: () => deadLetters(config),
    now: () => Date.now(),
    pendingPatienceMs: config.backlogPatienceMinutes * 60_000,
    orphanGraceMs: ORPHAN_GRACE_MS,
  };
}

/**
 * What `npm run audit -- --fix` changes: the renderer's stores and renderer (to render missing objects
 * again), the jobs queue (stuck images) and the settlement's mark (unannounced sets).
 */
export function createRepairPorts(config: PipelineConfig): RepairPorts {
  const { deps } = createRerenderDependencies(config);
  const jobs = new SqsImageJobQueue(createSqsClient(config), requireRenderQueue(config).renderQueueUrl);
  return {
    ...deps,
    find: (sku) => deps.statuses.find(sku),
    enqueue: (list) => jobs.enqueue(list),
    announce: async (sku) => (await markIfSettled(sku, deps.statuses)) !== null,
  };
}
