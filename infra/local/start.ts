import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { toChangeRecord } from '../../lib/adapters/dynamodb/stream-records';
import { flag } from '../../lib/config';
import { parseVariantWidths } from '../../lib/domain/variant-ladder';
import { createLogger, parseLogLevel } from '../../lib/logger';
import { parseFaultPlan } from '../faults/fault-plan';
import { installFaults } from '../faults/install';
import { apiReferenceFiles } from './api-reference';
import { localSiteFiles } from './catalogue-page';
import { startCdnProxy } from './cdn-proxy';
import { startDynamoDbLocal } from './dynamodb-local';
import { GUIDE_PATH } from './guide-pages';
import { announcementLine, settlementLines } from './pipeline-report';
import { reportPrerequisites } from './prerequisites';
import { type LocalRuntime, RUNTIME_FILE } from './runtime-file';
import { startS3Local } from './s3-local';
import { sampleImages } from './sample-images';
import {
  loadApiRoutes,
  localEnvironment,
  localPipelineEnvironment,
  prepareTable,
  registerApiKey,
  startApiServer,
  startLocalPipeline,
} from './service';

const RESOURCE = '/api/i1/downloadable_image/';
const BUCKET = 'product-images';

function say(line = ''): void {
  process.stderr.write(`${line}\n`);
}

/** The walkthrough: a POST of the sample images, then a GET of that product, as ready-to-paste commands. */
function walkthrough(
  baseUrl: string,
  apiKey: string,
  images: Array<{ url: string; order: number; type: string }>,
) {
  const body = JSON.stringify({
    product_sku: 'shirt-red',
    images: images.map((image) => ({ url: image.url, order: image.order, image_type: image.type })),
  });
  return [
    `  curl -s -X POST ${baseUrl}${RESOURCE} -H 'Authorization: Token ${apiKey}' -H 'Content-Type: application/json' \\`,
    `    -d '${body}'`,
    `  curl -s '${baseUrl}${RESOURCE}?product_sku=shirt-red' -H 'Authorization: Token ${apiKey}'`,
  ];
}

async function main(): Promise<void> {
  // Before anything is started: what is missing is told in a paragraph, and nothing is left running.
  if (!reportPrerequisites('npm start')) {
    process.exitCode = 1;
    return;
  }
  const stops: Array<() => Promise<void>> = [];
  let stopping = false;
  const stop = async (code: number) => {
    if (stopping) return;
    stopping = true;
    rmSync(RUNTIME_FILE, { force: true });
    for (const stopOne of stops.reverse()) await stopOne().catch(() => undefined);
    process.exit(code);
  };
  process.on('SIGINT', () => void stop(0));
  process.on('SIGTERM', () => void stop(0));

  try {
    const port = Number(process.env.PORT ?? 3000);
    if (!Number.isInteger(port) || port < 0 || port > 65535) {
      throw new Error(`PORT must be a port number, got "${process.env.PORT}"`);
    }
    const tableName = process.env.TABLE_NAME ?? 'product-images-local';
    const dataDirectory = process.env.LOCAL_DATA_DIR ? resolve(process.env.LOCAL_DATA_DIR) : undefined;
    const deadLetterFile = resolve('.local', 'dead-letters.jsonl');
    const eventsFile = resolve('.local', 'events.jsonl');
    if (dataDirectory) mkdirSync(resolve(dataDirectory, 'dynamodb'), { recursive: true });
    const level = parseLogLevel(process.env.LOG_LEVEL);
    const logger = createLogger({ service: 'product-images-local', level });
    // Local mode only: images may come from this machine unless told otherwise.
    const allowPrivateImageHosts = flag(process.env, 'ALLOW_PRIVATE_IMAGE_HOSTS', true);

    const dynamo = await startDynamoDbLocal({
      dataDirectory: dataDirectory && resolve(dataDirectory, 'dynamodb'),
    });
    stops.push(() => dynamo.stop());
    const s3 = await startS3Local({
      bucket: BUCKET,
      directory: dataDirectory && resolve(dataDirectory, 's3'),
    });
    stops.push(() => s3.stop());

    // The CDN: the deployed CloudFront Function's code in front of the S3 server.
    const cdn = await startCdnProxy({
      originBaseUrl: s3.publicBaseUrl,
      logger,
      port: process.env.CDN_PORT ? Number(process.env.CDN_PORT) : 0,
    });
    stops.push(() => cdn.stop());

    await prepareTable(dynamo.endpoint, tableName);
    const apiKey = await registerApiKey(
      dynamo.endpoint,
      tableName,
      'local',
      process.env.API_TOKEN || undefined,
    );
    // FAULTS: from here on, every AWS client and image fetcher the functions build fails as the real ones do.
    const faults = parseFaultPlan(process.env);
    if (faults) {
      installFaults(faults);
      say(
        `${faults.describe()}: calls fail as the services fail them, below the SDK's retries; image origins reset, answer 503 or stall`,
      );
    }
    const environment = {
      ...localEnvironment(dynamo.endpoint, tableName, cdn.baseUrl),
      ...localPipelineEnvironment(s3, deadLetterFile, allowPrivateImageHosts, eventsFile, cdn.baseUrl),
      // The functions' JSON lines (as deployed) only when asked for; the terminal tells the story below.
      LOG_LEVEL: process.env.LOG_LEVEL || 'warn',
    };
    const samples = sampleImages();
    const routes = {
      ...(await loadApiRoutes(environment)),
      files: new Map([
        ...samples.map((sample) => [sample.path, sample] as const),
        ...apiReferenceFiles(),
        ...localSiteFiles(),
      ]),
    };
    const { baseUrl, server } = await startApiServer(routes, port, logger);
    stops.push(() => new Promise((done) => server.close(() => done())));
    const tellsProgress = level === 'debug' || level === 'info';
    const poller = await startLocalPipeline(environment, {
      dynamodbEndpoint: dynamo.endpoint,
      tableName,
      deadLetterFile,
      logger,
      streamCheckpointFile: dataDirectory && resolve(dataDirectory, 'stream-checkpoint.json'),
      observe: (records) => {
        if (!tellsProgress) return;
        for (const record of records) {
          const change = toChangeRecord(record);
          if (change) for (const line of settlementLines(change, Date.now())) say(line);
          const announced = announcementLine(record, eventsFile);
          if (announced) say(announced);
        }
      },
    });
    stops.push(() => poller.stop());

    const runtime: LocalRuntime = {
      tableName,
      dynamodbEndpoint: dynamo.endpoint,
      baseUrl,
      pid: process.pid,
      s3Endpoint: s3.endpoint,
      bucket: s3.bucket,
      cdnBaseUrl: cdn.baseUrl,
      variantWidths: parseVariantWidths(process.env.VARIANT_WIDTHS),
      // Set by the local pipeline when it started its queue engine.
      sqsEndpoint: process.env.SQS_ENDPOINT,
      renderQueueUrl: process.env.RENDER_QUEUE_URL,
    };
    mkdirSync(resolve('.local'), { recursive: true });
    writeFileSync(RUNTIME_FILE, JSON.stringify(runtime, null, 2));

    const red = samples.filter((sample) => sample.path.includes('-red'));
    say(`product-images is running at ${baseUrl}${RESOURCE}`);
    say(
      `DynamoDB Local: ${dynamo.endpoint} (table ${tableName}, ${dataDirectory ? `kept in ${dataDirectory}` : 'in memory'})`,
    );
    say(`Catalogue page: ${baseUrl}/  (asks for the API key below once per tab)`);
    say(
      `CDN: ${cdn.baseUrl}/ (cdn_url?width=N works)  origin (S3-compatible): ${s3.publicBaseUrl}/  dead letters: ${deadLetterFile}  events: ${eventsFile}`,
    );
    say(`Sample product photos: ${samples.map((sample) => `${baseUrl}${sample.path}`).join(' ')}`);
    say(`API reference: ${baseUrl}/docs  (OpenAPI 3.1: ${baseUrl}/openapi.json)`);
    say(`Docs: ${baseUrl}${GUIDE_PATH}  (the docs/ folder of the repository; README.md maps them)`);
    say(`API key: ${apiKey}${process.env.API_TOKEN ? ' (from API_TOKEN)' : ''}`);
    if (!allowPrivateImageHosts) {
      say(
        'ALLOW_PRIVATE_IMAGE_HOSTS=false: images on this machine, the samples too, are refused as deployed.',
      );
    }
    say();
    say(
      'Try it: post the red shirt\'s photo and swatch, then read the product back (a moment later both are "ready"):',
    );
    for (const line of walkthrough(
      baseUrl,
      apiKey,
      red.map((sample, order) => ({
        url: `${baseUrl}${sample.path}`,
        order,
        type: sample.path.endsWith('-swatch.png') ? 'swatch' : 'default',
      })),
    )) {
      say(line);
    }
    say();
    say('Press Ctrl-C to stop.');
  } catch (error) {
    say(`could not start: ${(error as Error).message}`);
    await stop(1);
  }
}

await main();
