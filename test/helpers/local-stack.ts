import { randomUUID } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import type { Server } from 'node:http';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import type { FaultPlan } from '../../infra/faults/fault-plan';
import { installFaults } from '../../infra/faults/install';
import { localSiteFiles } from '../../infra/local/catalogue-page';
import { startCdnProxy } from '../../infra/local/cdn-proxy';
import { type RunningS3Local, startS3Local } from '../../infra/local/s3-local';
import {
  loadApiRoutes,
  localEnvironment,
  localPipelineEnvironment,
  prepareTable,
  registerApiKey,
  startApiServer,
  startLocalPipeline,
} from '../../infra/local/service';
import { createLogger } from '../../lib/logger';

export const RESOURCE_PATH = '/api/i1/downloadable_image/';

export interface TestApi {
  baseUrl: string;
  /** The resource's absolute URL, as the original document's examples use it. */
  url: string;
  apiKey: string;
  tableName: string;
  dynamodbEndpoint: string;
  /** With `withPipeline`: the S3-compatible CDN origin and the dead-letter file. */
  s3?: RunningS3Local;
  /** With `withPipeline`: the local CDN (the CloudFront Function in front of the S3 server). */
  cdnBaseUrl?: string;
  deadLetterFile?: string;
  /** With `withPipeline`: the JSON-lines file local mode writes `ProductImagesSettled` events to. */
  eventsFile?: string;
  close(): Promise<void>;
}

/**
 * A fresh table in the shared DynamoDB Local and the local HTTP server in front of the real handlers;
 * with `withPipeline`, also an S3-compatible server and the stream poller feeding the pipeline handler,
 * as `npm start` runs them.
 */
export async function startLocalStack(
  dynamodbEndpoint: string,
  options: {
    withPipeline?: boolean;
    /** Hung on every hook point once the table, the key and the bucket are made: the functions fail as it says. */
    faults?: FaultPlan;
  } = {},
): Promise<TestApi> {
  const tableName = `test-${randomUUID()}`;
  await prepareTable(dynamodbEndpoint, tableName);
  const apiKey = await registerApiKey(dynamodbEndpoint, tableName, 'test');
  const stops: Array<() => Promise<void>> = [];
  let s3: RunningS3Local | undefined;
  let deadLetterFile: string | undefined;
  let cdnBaseUrl: string | undefined;
  // Without the pipeline nothing is copied, so no answer shows a CDN URL on this reserved host.
  const environment = localEnvironment(dynamodbEndpoint, tableName, 'http://cdn.invalid');
  if (options.withPipeline) {
    s3 = await startS3Local({ bucket: 'cdn-origin' });
    stops.push(s3.stop);
    const cdn = await startCdnProxy({ originBaseUrl: s3.publicBaseUrl });
    stops.unshift(cdn.stop);
    cdnBaseUrl = cdn.baseUrl;
    deadLetterFile = join(mkdtempSync(join(tmpdir(), 'product-images-dlq-')), 'dead-letters.jsonl');
    if (options.faults) installFaults(options.faults);
    Object.assign(
      environment,
      localPipelineEnvironment(
        s3,
        deadLetterFile,
        true,
        join(dirname(deadLetterFile), 'events.jsonl'),
        cdnBaseUrl,
      ),
    );
    const poller = await startLocalPipeline(environment, {
      dynamodbEndpoint,
      tableName,
      deadLetterFile,
      logger: createLogger({ level: 'silent' }),
    });
    stops.unshift(poller.stop);
  }
  if (options.faults && !options.withPipeline) installFaults(options.faults);
  const routes = { ...(await loadApiRoutes(environment)), files: localSiteFiles() };
  const { baseUrl, server } = await startApiServer(routes, 0);
  return {
    baseUrl,
    url: `${baseUrl}${RESOURCE_PATH}`,
    apiKey,
    tableName,
    dynamodbEndpoint,
    s3,
    cdnBaseUrl,
    deadLetterFile,
    eventsFile: deadLetterFile && join(dirname(deadLetterFile), 'events.jsonl'),
    close: async () => {
      await closeServer(server);
      for (const stop of stops) await stop();
    },
  };
}

function closeServer(server: Server): Promise<void> {
  return new Promise((resolve) => {
    server.closeAllConnections();
    server.close(() => resolve());
  });
}
