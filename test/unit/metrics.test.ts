import { DeleteObjectCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import {
  SendMessageBatchCommand,
  type SendMessageBatchCommandInput,
  SendMessageCommand,
  SQSClient,
} from '@aws-sdk/client-sqs';
import { GetCommand, TransactWriteCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import type { SQSRecord } from 'aws-lambda';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { createGetImagesHandler } from '../../functions/get-images';
import { createRenderImagesHandler } from '../../functions/job-handlers';
import { createPostImagesHandler } from '../../functions/post-images';
import { createProcessStreamHandler } from '../../functions/process-stream';
import { keys } from '../../lib/adapters/dynamodb/table-schema';
import { loadPipelineConfig } from '../../lib/config';
import { createLogger } from '../../lib/logger';
import { createMetrics, DIMENSION, errorKindOf, METRIC, METRIC_NAMESPACE } from '../../lib/metrics';
import type { ImageOpener } from '../../lib/pipeline/ports';
import { createRendererDependencies } from '../../lib/renderer-service';
import { authorized, dynamoErrors, mockDynamo, storedItem, testDependencies } from '../helpers/dynamo-mock';
import { apiEvent, lambdaContext } from '../helpers/events';
import { png } from '../helpers/images';
import { failingOpen, image, openedFrom, streamEvent, streamRecord } from '../helpers/stream-events';

interface Emf {
  _aws: {
    CloudWatchMetrics: Array<{
      Namespace: string;
      Dimensions: string[][];
      Metrics: Array<{ Name: string; Unit: string }>;
    }>;
  };
  [key: string]: unknown;
}

/** The EMF lines a call writes to stdout, parsed, with metrics switched on as they are in Lambda. */
async function emfOf(call: () => Promise<unknown>): Promise<Emf[]> {
  const lines: string[] = [];
  const write = vi.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
    lines.push(String(chunk));
    return true;
  });
  try {
    await call();
  } finally {
    write.mockRestore();
  }
  return lines
    .flatMap((chunk) => chunk.split('\n'))
    .filter((line) => line.includes('"_aws"'))
    .map((line) => JSON.parse(line) as Emf);
}

/** Every metric of the lines as `name{dimension=value,…}=value`, to compare whole. */
function readings(lines: Emf[]): string[] {
  return lines.flatMap((line) =>
    line._aws.CloudWatchMetrics.flatMap((directive) => {
      expect(directive.Namespace).toBe(METRIC_NAMESPACE);
      const dimensions = (directive.Dimensions[0] ?? [])
        .filter((name) => name !== 'service')
        .map((name) => `${name}=${line[name]}`)
        .join(',');
      return directive.Metrics.map((metric) => `${metric.Name}{${dimensions}}`);
    }),
  );
}

let ddb: ReturnType<typeof mockDynamo>;
beforeEach(() => {
  vi.stubEnv('POWERTOOLS_METRICS_DISABLED', 'false');
  ddb = mockDynamo();
  ddb.on(UpdateCommand, { Key: keys.imageIdCounter }).resolves({ Attributes: { value: 1000 } });
});
afterEach(() => {
  vi.unstubAllEnvs();
  ddb.restore();
});

const SKU = 'metered';
const body = { product_sku: SKU, images: [{ url: 'https://e/a.png' }, { url: 'https://e/b.png' }] };

async function post(options: Parameters<typeof apiEvent>[0] = {}) {
  const handler = createPostImagesHandler(testDependencies());
  return emfOf(() =>
    handler(apiEvent({ method: 'POST', headers: authorized, body, ...options }), lambdaContext()),
  );
}

describe('POST metrics (EMF on stdout)', () => {
  it('counts a creation with the images it added, and the cold start', async () => {
    ddb.on(TransactWriteCommand).resolves({});
    const emitted = readings(await post());
    expect(emitted).toContain(`${METRIC.posts}{${DIMENSION.outcome}=created}`);
    expect(emitted).toContain(`${METRIC.imagesAdded}{}`);
    expect(emitted).not.toContain(`${METRIC.imagesRemoved}{}`);
  });

  it('counts a replacement, an unchanged restatement and a deletion', async () => {
    ddb
      .on(GetCommand, { Key: keys.sku(SKU) })
      .resolves({ Item: storedItem(SKU, 'v1', [{ id: 7, url: 'https://e/old.png' }]) });
    ddb.on(UpdateCommand, { Key: keys.sku(SKU) }).resolves({});
    const replaced = readings(await post());
    expect(replaced).toEqual(
      expect.arrayContaining([
        `${METRIC.posts}{${DIMENSION.outcome}=replaced}`,
        `${METRIC.imagesAdded}{}`,
        `${METRIC.imagesRemoved}{}`,
      ]),
    );

    ddb
      .on(GetCommand, { Key: keys.sku(SKU) })
      .resolves({ Item: storedItem(SKU, 'v1', [{ id: 7, url: 'https://e/a.png' }]) });
    const unchanged = readings(
      await post({ body: { product_sku: SKU, images: [{ url: 'https://e/a.png' }] } }),
    );
    expect(unchanged).toContain(`${METRIC.posts}{${DIMENSION.outcome}=unchanged}`);

    ddb.on(TransactWriteCommand).resolves({});
    const deleted = readings(await post({ body: { product_sku: SKU, images: [] } }));
    expect(deleted).toEqual(
      expect.arrayContaining([`${METRIC.posts}{${DIMENSION.outcome}=deleted}`, `${METRIC.imagesRemoved}{}`]),
    );
  });

  it.each([
    ['invalid', { body: { product_sku: '', images: [] } }],
    ['unauthenticated', { headers: { 'Content-Type': 'application/json' } }],
    ['unsupported_media_type', { headers: { ...authorized, 'Content-Type': 'text/plain' } }],
    ['precondition_failed', { headers: { ...authorized, 'If-Match': '"nope"' } }],
  ])('counts a refusal by its kind: %s', async (outcome, options) => {
    expect(readings(await post(options))).toContain(`${METRIC.posts}{${DIMENSION.outcome}=${outcome}}`);
  });

  it('counts 409 and 503 too', async () => {
    ddb.on(GetCommand, { Key: keys.sku(SKU) }).resolves({ Item: storedItem(SKU, 'v1', []) });
    ddb.on(UpdateCommand, { Key: keys.sku(SKU) }).rejects(dynamoErrors.conditionFailed());
    const handler = createPostImagesHandler(testDependencies({ MAX_WRITE_ATTEMPTS: '2' }));
    const conflict = await emfOf(() =>
      handler(apiEvent({ method: 'POST', headers: authorized, body }), lambdaContext()),
    );
    expect(readings(conflict)).toContain(`${METRIC.posts}{${DIMENSION.outcome}=conflict}`);
    ddb.on(GetCommand, { Key: keys.sku(SKU) }).rejects(dynamoErrors.throttled());
    expect(readings(await post())).toContain(`${METRIC.posts}{${DIMENSION.outcome}=unavailable}`);
  });
});

describe('a function with nothing to count', () => {
  it('writes no warning per invocation (a GET records no metric of its own)', async () => {
    const written: string[] = [];
    const capture = (chunk: string | Uint8Array) => {
      written.push(String(chunk));
      return true;
    };
    const stdout = vi.spyOn(process.stdout, 'write').mockImplementation(capture);
    const stderr = vi.spyOn(process.stderr, 'write').mockImplementation(capture);
    try {
      ddb.on(GetCommand, { Key: keys.sku('A') }).resolves({ Item: storedItem('A', 'v1', []) });
      const get = createGetImagesHandler(testDependencies());
      for (let i = 0; i < 3; i++) {
        await get(apiEvent({ headers: authorized, query: { product_sku: 'A' } }), lambdaContext());
      }
    } finally {
      stdout.mockRestore();
      stderr.mockRestore();
    }
    expect(written.join('')).not.toMatch(/No application metrics/);
  });

  it("logs Powertools' other warnings through the function's logger", () => {
    const logger = createLogger({ level: 'silent' });
    const warn = vi.spyOn(logger, 'warn');
    const metrics = createMetrics('test', logger);
    metrics.addDimension('', 'no name');
    metrics.publishStoredMetrics();
    expect(warn.mock.calls.map(([message]) => String(message))).toEqual([
      expect.stringMatching(/dimension .* doesn't meet the requirements/),
    ]);
  });
});

describe('pipeline metrics (EMF on stdout)', () => {
  const s3 = mockClient(S3Client);
  const sqs = mockClient(SQSClient);
  const config = loadPipelineConfig({
    TABLE_NAME: 'unit-test-table',
    AWS_REGION: 'eu-west-1',
    BUCKET_NAME: 'b',
    CDN_BASE_URL: 'https://cdn.example',
    RENDER_QUEUE_URL: 'https://sqs.eu-west-1.amazonaws.com/123456789012/jobs',
    LOG_LEVEL: 'silent',
  });

  async function run(open: ImageOpener) {
    s3.reset();
    sqs.reset();
    s3.on(PutObjectCommand).resolves({});
    s3.on(DeleteObjectCommand).resolves({});
    sqs.on(SendMessageCommand).resolves({});
    ddb.on(UpdateCommand).resolves({});
    const requestedAt = new Date(Date.now() - 1500).toISOString();
    ddb.on(GetCommand, { Key: keys.sku('P') }).resolves({
      Item: {
        ...keys.sku('P'),
        sku: 'P',
        version: 'v',
        revision: 1,
        writer: 'api',
        images: [image(1, { requested_at: requestedAt })],
      },
    });
    const deps = createRendererDependencies(config, {
      s3: new S3Client({ region: 'eu-west-1' }),
      sqs: new SQSClient({ region: 'eu-west-1' }),
    });
    const bodies: string[] = [];
    sqs.on(SendMessageBatchCommand).callsFake((input: SendMessageBatchCommandInput) => {
      bodies.push(...(input.Entries ?? []).map((entry) => entry.MessageBody ?? ''));
      return { Successful: [], Failed: [] };
    });
    const handler = createProcessStreamHandler({ ...deps, open });
    const renderer = createRenderImagesHandler({ ...deps, open });
    const record = streamRecord('P', [], [image(1, { requested_at: requestedAt })]);
    (record.dynamodb as { ApproximateCreationDateTime?: number }).ApproximateCreationDateTime =
      Math.floor(Date.now() / 1000) - 2;
    // The stream consumer's metrics, then the renderer's for the job it enqueued.
    const streamLines = await emfOf(() => handler(streamEvent(record), lambdaContext()));
    const jobs = bodies.map((body, index) => ({ messageId: String(index), body }) as SQSRecord);
    const renderLines = await emfOf(() => renderer({ Records: jobs }, lambdaContext()));
    const lines = [...streamLines, ...renderLines];
    return { lines, emitted: readings(lines) };
  }

  it('counts a ready image with bytes, fetch time and the time since its POST, and the batch', async () => {
    const { lines, emitted } = await run(async () => openedFrom(png(3, 3)));
    expect(emitted).toEqual(
      expect.arrayContaining([
        `${METRIC.imagesSettled}{${DIMENSION.status}=ready}`,
        `${METRIC.bytesCopied}{}`,
        `${METRIC.originFetchTime}{}`,
        `${METRIC.postToReady}{}`,
        `${METRIC.streamBatchSize}{}`,
        `${METRIC.streamIteratorAge}{}`,
      ]),
    );
    const buffered: Record<string, unknown> = lines.find((line) => METRIC.postToReady in line) ?? {};
    expect(Number(buffered[METRIC.postToReady])).toBeGreaterThanOrEqual(1500);
    const batch: Record<string, unknown> = lines.find((line) => METRIC.streamIteratorAge in line) ?? {};
    expect(Number(batch[METRIC.streamIteratorAge])).toBeGreaterThanOrEqual(2000);
  });

  it('counts a failed image by its error kind, never by its URL', async () => {
    const { emitted, lines } = await run(failingOpen.permanent('HTTP 404 from origin'));
    expect(emitted).toContain(`${METRIC.imagesSettled}{${DIMENSION.status}=failed}`);
    expect(emitted).toContain(`${METRIC.imagesFailed}{${DIMENSION.errorKind}=origin_4xx}`);
    expect(JSON.stringify(lines)).not.toContain('https://e/');
  });

  it.each([
    ['HTTP 404 from origin', 'origin_4xx'],
    ['HTTP 503 from origin', 'origin_5xx'],
    ['not an image', 'not_an_image'],
    ['image larger than 20 MiB', 'too_large'],
    ['address not allowed', 'address_not_allowed'],
    ['host not found', 'dns'],
    ['origin timed out', 'timeout'],
    ['connection to origin failed (ECONNRESET)', 'connection'],
    ['storage error', 'storage'],
    ['more than 3 redirects', 'redirects'],
  ])('reduces %j to the kind %s', (reason, kind) => {
    expect(errorKindOf(reason)).toBe(kind);
  });
});
