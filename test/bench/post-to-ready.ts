/**
 * Child process of the variants bench: local mode's whole path, from a POST of one 3 MP JPEG to the GET
 * that first shows it `ready` (DynamoDB Local, s3rver behind the local CDN, the stream poller).
 */
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import { startCdnProxy } from '../../infra/local/cdn-proxy';
import { startDynamoDbLocal } from '../../infra/local/dynamodb-local';
import { startS3Local } from '../../infra/local/s3-local';
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
import { FIXTURES_DIR } from '../helpers/fixtures';
import { photoJpeg } from '../helpers/photos';

const RUNS = 5;
const dynamo = await startDynamoDbLocal();
const s3 = await startS3Local({ bucket: 'bench-variants' });
const cdn = await startCdnProxy({ originBaseUrl: s3.publicBaseUrl });
// The phone photo of the fixtures at 3 MP (as the render-cost figures use), else a drawn one.
const phone = join(FIXTURES_DIR, 'images', 'libavif-dog_exif_extended_xmp_icc.jpg');
const base = existsSync(phone)
  ? await sharp(readFileSync(phone))
      .autoOrient()
      .resize(2000, 2000, { fit: 'inside' })
      .jpeg({ quality: 90 })
      .toBuffer()
  : await photoJpeg(2000, 1500);
// Distinct bytes each time, so every POST renders.
const photos = await Promise.all(
  Array.from({ length: RUNS }, (_, index) =>
    sharp(base)
      .modulate({ hue: index * 40 })
      .jpeg({ quality: 90 })
      .toBuffer(),
  ),
);
const origin = createServer((request, response) =>
  response.writeHead(200, { 'Content-Type': 'image/jpeg' }).end(photos[Number(request.url?.slice(1))]),
);
await new Promise<void>((resolve) => origin.listen(0, '127.0.0.1', resolve));
const originUrl = `http://127.0.0.1:${(origin.address() as AddressInfo).port}`;
const tableName = 'bench-variants';
await prepareTable(dynamo.endpoint, tableName);
const apiKey = await registerApiKey(dynamo.endpoint, tableName, 'bench');
const deadLetterFile = join(mkdtempSync(join(tmpdir(), 'bench-dlq-')), 'dead-letters.jsonl');
const environment = {
  ...localEnvironment(dynamo.endpoint, tableName, cdn.baseUrl),
  ...localPipelineEnvironment(s3, deadLetterFile, true, undefined, cdn.baseUrl),
  LOG_LEVEL: 'silent',
};
const poller = await startLocalPipeline(environment, {
  dynamodbEndpoint: dynamo.endpoint,
  tableName,
  deadLetterFile,
  logger: createLogger({ level: 'silent' }),
});
const { baseUrl, server } = await startApiServer(await loadApiRoutes(environment), 0);
const headers = { Authorization: `Token ${apiKey}`, 'Content-Type': 'application/json' };
const resource = `${baseUrl}/api/i1/downloadable_image/`;
const samples: number[] = [];
for (const index of photos.keys()) {
  const sku = `ready-${index}`;
  const started = performance.now();
  const posted = await fetch(resource, {
    method: 'POST',
    headers,
    body: JSON.stringify({ product_sku: sku, images: [{ url: `${originUrl}/${index}` }] }),
  });
  if (posted.status !== 201) throw new Error(`POST answered ${posted.status}`);
  for (;;) {
    const answer = (await (await fetch(`${resource}?product_sku=${sku}`, { headers })).json()) as {
      results: Array<{ images: Array<{ status: string; error: string | null }> }>;
    };
    const [first] = answer.results[0]?.images ?? [];
    const status = first?.status;
    if (status === 'failed') throw new Error(`image failed: ${first?.error}`);
    if (status === 'ready') break;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  samples.push(performance.now() - started);
}
process.stdout.write(`${JSON.stringify({ samples })}\n`);
server.close();
origin.close();
await poller.stop();
await cdn.stop();
await s3.stop();
await dynamo.stop();
process.exit(0);
