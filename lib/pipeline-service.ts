import { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import { S3Client } from '@aws-sdk/client-s3';
import { SQSClient } from '@aws-sdk/client-sqs';
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { hooked, hookedOpener, hookedSettledSink } from './adapters/client-hooks';
import { createDocumentClient } from './adapters/dynamodb/client';
import { DynamoContentStore } from './adapters/dynamodb/content-store';
import { DynamoImageStatusStore } from './adapters/dynamodb/image-status-store';
import { DynamoKnownUrlStore } from './adapters/dynamodb/known-url-store';
import { DynamoPendingIndex } from './adapters/dynamodb/pending-index';
import { EventBridgeSettledSink } from './adapters/eventbridge/settled-events';
import { FileDeadLetterSink } from './adapters/file/dead-letter-file';
import { FileSettledSink } from './adapters/file/settled-events-file';
import { S3ImageObjectStore } from './adapters/s3/image-object-store';
import { SqsDeadLetterSink } from './adapters/sqs/dead-letter-queue';
import { SqsImageJobQueue } from './adapters/sqs/image-job-queue';
import type { PipelineConfig } from './config';
import { createLogger } from './logger';
import { createMetrics, METRIC_SERVICE, PipelineMetrics } from './metrics';
import { createLimiter } from './pipeline/concurrency';
import { DEFAULT_CONTENT_TIMING } from './pipeline/content-publisher';
import type { SettlingDependencies } from './pipeline/image-failure';
import { type FetchPolicy, openImage } from './pipeline/image-fetcher';
import type { ImageJobQueue } from './pipeline/image-jobs';
import type { SweepDependencies } from './pipeline/pending-sweep';
import type { DeadLetterSink, SettledEventSink } from './pipeline/ports';
import type { PipelineDependencies } from './pipeline/process-changes';

/*
 * Apart from `service.ts` (the API functions' wiring), whose bundles hold no pipeline code. Nothing
 * here loads sharp: the renderer's wiring (renderer-service.ts) adds it, so the stream consumer, the
 * dead-job consumer and the sweeper start without it.
 */

/** AWS clients a caller (a test, a benchmark) brings; the rest are made from the configuration. */
export interface PipelineClients {
  dynamo?: DynamoDBDocumentClient;
  s3?: S3Client;
  sqs?: SQSClient;
  eventBridge?: EventBridgeClient;
}

/**
 * What the dead-job consumer and the sweeper need, built once per process: no S3 or EventBridge client,
 * so their bundles hold neither (esbuild leaves out what nothing here reaches).
 */
export function createSettlingDependencies(
  config: PipelineConfig,
  clients: PipelineClients = {},
): SettlingDependencies {
  const logger = createLogger({ level: config.logLevel });
  const metrics = createMetrics(METRIC_SERVICE.pipeline, logger);
  const dynamo = clients.dynamo ?? documentClientFor(config);
  const sqs = clients.sqs ?? createSqsClient(config);
  const jobs: ImageJobQueue = config.renderQueueUrl
    ? new SqsImageJobQueue(sqs, config.renderQueueUrl)
    : {
        enqueue: async () => {
          throw new Error('no image job queue: RENDER_QUEUE_URL is not set');
        },
      };
  const deadLetters: DeadLetterSink = config.deadLetterQueueUrl
    ? new SqsDeadLetterSink(sqs, config.deadLetterQueueUrl)
    : new FileDeadLetterSink(config.deadLetterFile ?? '.local/dead-letters.jsonl', logger);
  return {
    statuses: new DynamoImageStatusStore(dynamo, config.tableName),
    deadLetters,
    jobs,
    logger,
    metrics,
    pipelineMetrics: new PipelineMetrics(metrics),
  };
}

/** The image pipeline's dependencies (the stream consumer's, and the renderer's but for sharp). */
export function createPipelineDependencies(
  config: PipelineConfig,
  clients: PipelineClients = {},
): PipelineDependencies {
  const dynamo = clients.dynamo ?? documentClientFor(config);
  const sqs = clients.sqs ?? createSqsClient(config);
  const settling = createSettlingDependencies(config, { ...clients, dynamo, sqs });
  const s3 = clients.s3 ?? createS3Client(config);
  const policy: FetchPolicy = {
    allowPrivate: config.allowPrivateImageHosts,
    maxBytes: config.maxImageBytes,
    maxRedirects: 3,
    connectTimeoutMs: config.connectTimeoutMs,
    totalTimeoutMs: config.totalTimeoutMs,
  };
  const events: SettledEventSink = config.eventBusName
    ? new EventBridgeSettledSink(
        clients.eventBridge ?? hooked(new EventBridgeClient({ region: config.region }), 'events'),
        config.eventBusName,
        settling.deadLetters,
      )
    : hookedSettledSink(new FileSettledSink(config.settledEventsFile ?? '.local/events.jsonl'));
  return {
    ...settling,
    events,
    cdnBaseUrl: config.cdnBaseUrl,
    objects: new S3ImageObjectStore(s3, config.bucketName),
    contents: new DynamoContentStore(dynamo, config.tableName),
    renderLimit: createLimiter(config.renderConcurrency),
    inFlightLimit: createLimiter(config.imagesInFlight),
    contentTiming: DEFAULT_CONTENT_TIMING,
    open: hookedOpener((url, known) => openImage(url, policy, undefined, known), policy),
    urls: new DynamoKnownUrlStore(dynamo, config.tableName),
    maxAttempts: config.maxCopyAttempts,
    retryBaseDelaySeconds: config.retryBaseDelaySeconds,
    skuConcurrency: config.skuConcurrency,
    imageConcurrency: config.imageConcurrency,
  };
}

/**
 * The pending sweeper's dependencies: the settling ones, the pending index, the jobs queue's backlog,
 * and the contents and their objects (it finishes deletions a stopped worker left).
 */
export function createSweepDependencies(
  config: PipelineConfig & { renderQueueUrl: string },
  clients: PipelineClients = {},
): SweepDependencies {
  const dynamo = clients.dynamo ?? documentClientFor(config);
  const sqs = clients.sqs ?? createSqsClient(config);
  const queue = new SqsImageJobQueue(sqs, config.renderQueueUrl);
  return {
    ...createSettlingDependencies(config, { ...clients, dynamo, sqs }),
    // To finish deletions a stopped worker left: the content items and their objects.
    contents: new DynamoContentStore(dynamo, config.tableName),
    objects: new S3ImageObjectStore(clients.s3 ?? createS3Client(config), config.bucketName),
    contentTiming: DEFAULT_CONTENT_TIMING,
    jobs: queue,
    pending: new DynamoPendingIndex(dynamo, config.tableName),
    jobBacklog: () => queue.backlog(),
  };
}

/** The bucket's client: S3 deployed, the S3-compatible server locally. */
export function createS3Client(config: PipelineConfig): S3Client {
  return hooked(
    new S3Client({
      region: config.region,
      ...(config.s3Endpoint
        ? {
            endpoint: config.s3Endpoint,
            forcePathStyle: true,
            credentials: config.s3Credentials,
            // S3-compatible servers store aws-chunked checksum framing as part of a streamed body.
            requestChecksumCalculation: 'WHEN_REQUIRED' as const,
          }
        : {}),
    }),
    's3',
  );
}

export function documentClientFor(config: PipelineConfig): DynamoDBDocumentClient {
  return createDocumentClient({ region: config.region, endpoint: config.dynamodbEndpoint });
}

export function createSqsClient(config: PipelineConfig): SQSClient {
  return hooked(
    new SQSClient({
      region: config.region,
      ...(config.sqsEndpoint
        ? { endpoint: config.sqsEndpoint, credentials: { accessKeyId: 'local', secretAccessKey: 'local' } }
        : {}),
    }),
    'sqs',
  );
}
