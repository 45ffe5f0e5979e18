import { randomBytes } from 'node:crypto';
import { appendFile, mkdir } from 'node:fs/promises';
import type { Server } from 'node:http';
import { dirname, join } from 'node:path';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { SweepEvent } from '../../functions/sweep-pending';
import { createDocumentClient } from '../../lib/adapters/dynamodb/client';
import { DynamoTokenStore } from '../../lib/adapters/dynamodb/token-store';
import { API_KEY_PATTERN, apiKeyRecord, generateApiKey, hashApiKey } from '../../lib/auth/keys';
import type { Logger } from '../../lib/logger';
import { LOCAL_REGION } from './dynamodb-local';
import { createLocalServer, type LocalRoutes } from './http-server';
import { localLambdaContext } from './lambda-context';
import { startQueuePoller } from './queue-poller';
import { type RunningS3Local, S3RVER_CREDENTIALS } from './s3-local';
import { type LocalQueueSettings, startSqsLocal } from './sqs-local';
import { type StreamPollerOptions, startStreamPoller } from './stream-poller';
import { ensureTable } from './table';

/** The environment the Lambda entry points read, pointed at a local engine and the local CDN origin. */
export function localEnvironment(
  dynamodbEndpoint: string,
  tableName: string,
  cdnBaseUrl: string,
): Record<string, string> {
  return {
    TABLE_NAME: tableName,
    DYNAMODB_ENDPOINT: dynamodbEndpoint,
    CDN_BASE_URL: cdnBaseUrl,
    // Listing links made before a restart fall back to offset reads, which answer the same pages.
    PAGE_CURSOR_KEY: randomBytes(24).toString('base64url'),
    // CloudWatch metrics are EMF lines meant for Lambda's log stream; locally they would only be noise.
    POWERTOOLS_METRICS_DISABLED: 'true',
    // No authentication cache locally: a key revoked with `npm run token` stops working at once.
    AUTH_CACHE_TTL_SECONDS: '0',
    AWS_REGION: LOCAL_REGION,
    AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
  };
}

/**
 * What the pipeline function reads besides the table: the local S3 server as CDN origin. Images served
 * from this machine may be used unless `allowPrivateImageHosts` is false (the deployed rules).
 */
export function localPipelineEnvironment(
  s3: RunningS3Local,
  deadLetterFile: string,
  allowPrivateImageHosts = true,
  settledEventsFile = join(dirname(deadLetterFile), 'events.jsonl'),
  cdnBaseUrl = s3.publicBaseUrl,
): Record<string, string> {
  return {
    CDN_BASE_URL: cdnBaseUrl,
    SETTLED_EVENTS_FILE: settledEventsFile,
    BUCKET_NAME: s3.bucket,
    S3_ENDPOINT: s3.endpoint,
    S3_ACCESS_KEY_ID: S3RVER_CREDENTIALS.accessKeyId,
    S3_SECRET_ACCESS_KEY: S3RVER_CREDENTIALS.secretAccessKey,
    ALLOW_PRIVATE_IMAGE_HOSTS: String(allowPrivateImageHosts),
    DEAD_LETTER_FILE: deadLetterFile,
    // A laptop's origin is this machine: a retry need not wait the deployed 30 s.
    RETRY_BASE_DELAY_SECONDS: '1',
  };
}

/** How local mode's renderer consumes the jobs queue: the deployed event source's shape, sized for a laptop. */
export const LOCAL_RENDERER = { batchSize: 2, maxConcurrency: 2 } as const;

export interface RunningLocalPipeline {
  stop(): Promise<void>;
}

/**
 * The pipeline's Lambda entry points, imported after the environment is set: the stream consumer
 * behind a local stream poller, and the renderer and the dead-job consumer behind pollers of an
 * SQS-compatible engine in this process, as the deployed event source mappings feed them. Records the
 * stream poller gives up on are appended to the dead-letter file, as the deployed mapping sends them to
 * its on-failure queue.
 */
export async function startLocalPipeline(
  environment: Record<string, string>,
  options: {
    dynamodbEndpoint: string;
    tableName: string;
    deadLetterFile: string;
    logger: Logger;
    maxRetries?: number;
    observe?: StreamPollerOptions['observe'];
    /** Kept with the data (LOCAL_DATA_DIR): a restart reads the stream on from where it was. */
    streamCheckpointFile?: string;
    queue?: LocalQueueSettings;
    sweepIntervalMs?: number;
  },
): Promise<RunningLocalPipeline> {
  const sqs = await startSqsLocal(options.queue);
  Object.assign(process.env, environment, {
    SQS_ENDPOINT: sqs.endpoint,
    RENDER_QUEUE_URL: sqs.jobsQueueUrl,
  });
  const [{ handler }, renderer, deadJobs, sweeper] = await Promise.all([
    import('../../functions/process-stream'),
    import('../../functions/render-images'),
    import('../../functions/fail-dead-jobs'),
    import('../../functions/sweep-pending'),
  ]);
  const jobPollers = [
    startQueuePoller({
      endpoint: sqs.endpoint,
      queueUrl: sqs.jobsQueueUrl,
      handler: renderer.handler,
      functionName: 'render-images',
      logger: options.logger,
      ...LOCAL_RENDERER,
    }),
    startQueuePoller({
      endpoint: sqs.endpoint,
      queueUrl: sqs.deadJobsQueueUrl,
      handler: deadJobs.handler,
      functionName: 'dead-jobs',
      logger: options.logger,
      batchSize: 10,
      maxConcurrency: 1,
    }),
  ];
  const streamPoller = await startStreamPoller({
    dynamodbEndpoint: options.dynamodbEndpoint,
    tableName: options.tableName,
    handler,
    logger: options.logger,
    maxRetries: options.maxRetries,
    observe: options.observe,
    checkpointFile: options.streamCheckpointFile,
    onFailure: async (record) => {
      await mkdir(dirname(options.deadLetterFile), { recursive: true });
      await appendFile(
        options.deadLetterFile,
        `${JSON.stringify({ kind: 'stream-record-failed', record })}\n`,
      );
      options.logger.error('stream record dead-lettered', {
        sequenceNumber: record.dynamodb?.SequenceNumber,
      });
    },
  });
  const sweep = (detail: SweepEvent['detail']) =>
    sweeper
      .handler({ time: new Date().toISOString(), detail }, localLambdaContext('sweep-pending', 300_000))
      .catch((error: unknown) => options.logger.warn('pending sweep failed', { error }));
  // The local queue lives in memory: whatever jobs it held when local mode last stopped are gone, so
  // every image still pending gets its job again now, however recent (a duplicate does nothing).
  await sweep({ olderThanMinutes: 0, ignoreBacklog: true });
  // Then as deployed: the schedule's sweep, every `sweepIntervalMs`.
  const sweeps = setInterval(() => void sweep(undefined), options.sweepIntervalMs ?? SWEEP_INTERVAL_MS);
  sweeps.unref();
  return {
    stop: async () => {
      clearInterval(sweeps);
      await streamPoller.stop();
      await Promise.all(jobPollers.map((poller) => poller.stop()));
      await sqs.stop();
    },
  };
}

/** How often the deployed schedule runs the pending sweeper; local mode runs it as often. */
export const SWEEP_INTERVAL_MS = 5 * 60_000;

export async function prepareTable(dynamodbEndpoint: string, tableName: string): Promise<void> {
  const client = new DynamoDBClient({
    endpoint: dynamodbEndpoint,
    region: LOCAL_REGION,
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
  });
  try {
    await ensureTable(client, tableName);
  } finally {
    client.destroy();
  }
}

/** Stores `key` (or a new one) under `name` unless a key of that hash is there already; answers the key. */
export async function registerApiKey(
  dynamodbEndpoint: string,
  tableName: string,
  name: string,
  key: string = generateApiKey(),
): Promise<string> {
  if (!API_KEY_PATTERN.test(key)) throw new Error('API_TOKEN must be 40 hexadecimal characters');
  const store = new DynamoTokenStore(
    createDocumentClient({ endpoint: dynamodbEndpoint, region: LOCAL_REGION }),
    tableName,
  );
  if (await store.findByHash(hashApiKey(key))) return key;
  const existing = (await store.list()).filter((record) => record.name === name).length;
  await store.create(apiKeyRecord(existing === 0 ? name : `${name}-${Date.now()}`, key));
  return key;
}

/**
 * The API's Lambda entry points, imported after the environment is set: they read it once, at import,
 * exactly as they do in Lambda.
 */
export async function loadApiRoutes(environment: Record<string, string>): Promise<LocalRoutes> {
  Object.assign(process.env, environment);
  const [get, post] = await Promise.all([
    import('../../functions/get-images'),
    import('../../functions/post-images'),
  ]);
  return { post: post.handler, other: get.handler };
}

export function listen(server: Server, port: number, host = '127.0.0.1'): Promise<string> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      const address = server.address();
      if (typeof address !== 'object' || address === null) return reject(new Error('server has no address'));
      resolve(`http://${host === '0.0.0.0' ? '127.0.0.1' : host}:${address.port}`);
    });
  });
}

export async function startApiServer(
  routes: LocalRoutes,
  port: number,
  logger?: Logger,
): Promise<{ baseUrl: string; server: Server }> {
  const server = createLocalServer(routes, logger);
  return { baseUrl: await listen(server, port), server };
}
