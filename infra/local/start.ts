import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { flag } from '../../lib/config';
import { createLogger } from '../../lib/logger';
import { startDynamoDbLocal } from './dynamodb-local';
import { type LocalRuntime, RUNTIME_FILE } from './runtime-file';
import { startS3Local } from './s3-local';
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

async function main(): Promise<void> {
  const port = Number(process.env.PORT ?? 3000);
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    throw new Error(`PORT must be a port number, got "${process.env.PORT}"`);
  }
  const tableName = process.env.TABLE_NAME ?? 'product-images-local';
  const dataDirectory = process.env.LOCAL_DATA_DIR ? resolve(process.env.LOCAL_DATA_DIR) : undefined;
  const deadLetterFile = resolve('.local', 'dead-letters.jsonl');
  if (dataDirectory) mkdirSync(resolve(dataDirectory, 'dynamodb'), { recursive: true });
  const logger = createLogger({ service: 'product-images-local' });
  // Local mode lets images come from this machine unless told otherwise; deployed stages never do.
  const allowPrivateImageHosts = flag(process.env, 'ALLOW_PRIVATE_IMAGE_HOSTS', true);

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
    const dynamo = await startDynamoDbLocal({
      dataDirectory: dataDirectory && resolve(dataDirectory, 'dynamodb'),
    });
    stops.push(() => dynamo.stop());
    const s3 = await startS3Local({
      bucket: BUCKET,
      directory: dataDirectory && resolve(dataDirectory, 's3'),
    });
    stops.push(() => s3.stop());

    await prepareTable(dynamo.endpoint, tableName);
    const apiKey = await registerApiKey(
      dynamo.endpoint,
      tableName,
      'local',
      process.env.API_TOKEN || undefined,
    );
    const environment = {
      ...localEnvironment(dynamo.endpoint, tableName, s3.publicBaseUrl),
      ...localPipelineEnvironment(s3, deadLetterFile, allowPrivateImageHosts),
    };
    const { baseUrl, server } = await startApiServer(await loadApiRoutes(environment), port);
    stops.push(() => new Promise((done) => server.close(() => done())));
    const poller = await startLocalPipeline(environment, {
      dynamodbEndpoint: dynamo.endpoint,
      tableName,
      deadLetterFile,
      logger,
    });
    stops.push(() => poller.stop());

    const runtime: LocalRuntime = { tableName, dynamodbEndpoint: dynamo.endpoint, baseUrl, pid: process.pid };
    mkdirSync(resolve('.local'), { recursive: true });
    writeFileSync(RUNTIME_FILE, JSON.stringify(runtime, null, 2));

    say(`product-images is running at ${baseUrl}${RESOURCE}`);
    say(
      `DynamoDB Local: ${dynamo.endpoint} (table ${tableName}, ${dataDirectory ? `kept in ${dataDirectory}` : 'in memory'})`,
    );
    say(`CDN origin (S3-compatible): ${s3.publicBaseUrl}/  dead letters: ${deadLetterFile}`);
    say(`API key: ${apiKey}${process.env.API_TOKEN ? ' (from API_TOKEN)' : ''}`);
    say();
    say('Try it:');
    say(
      `  curl -s -X POST ${baseUrl}${RESOURCE} -H 'Authorization: Token ${apiKey}' -H 'Content-Type: application/json' \\\n` +
        `    -d '{"product_sku": "1182701025", "images": [{"url": "https://example.com/image1.png", "order": 0}]}'`,
    );
    say(`  curl -s ${baseUrl}${RESOURCE} -H 'Authorization: Token ${apiKey}'`);
    say();
    say('Press Ctrl-C to stop.');
  } catch (error) {
    say(`could not start: ${(error as Error).message}`);
    await stop(1);
  }
}

await main();
