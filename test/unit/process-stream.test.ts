import { createHash } from 'node:crypto';
import { EventBridgeClient, PutEventsCommand } from '@aws-sdk/client-eventbridge';
import {
  DeleteObjectCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  S3Client,
  S3ServiceException,
} from '@aws-sdk/client-s3';
import {
  SendMessageBatchCommand,
  type SendMessageBatchCommandInput,
  SendMessageCommand,
  SQSClient,
} from '@aws-sdk/client-sqs';
import { DeleteCommand, GetCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import type { DynamoDBStreamEvent, SQSEvent } from 'aws-lambda';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createDeadJobsHandler, createRenderImagesHandler } from '../../functions/job-handlers';
import { createProcessStreamHandler } from '../../functions/process-stream';
import { keys } from '../../lib/adapters/dynamodb/table-schema';
import type { StoredImage } from '../../lib/domain/image';
import type { ImageOpener } from '../../lib/pipeline/ports';
import { createPipelineDependencies } from '../../lib/pipeline-service';
import { createRendererDependencies } from '../../lib/renderer-service';
import { dynamoErrors, mockDynamo } from '../helpers/dynamo-mock';
import { lambdaContext } from '../helpers/events';
import { png } from '../helpers/images';
import { mockedPipelineConfig } from '../helpers/pipeline-config';
import {
  announcementRecord,
  failingOpen,
  image,
  openedFrom,
  streamEvent,
  streamRecord,
} from '../helpers/stream-events';

const config = mockedPipelineConfig({ MAX_COPY_ATTEMPTS: '3' });

let ddb: ReturnType<typeof mockDynamo>;
const s3 = mockClient(S3Client);
const sqs = mockClient(SQSClient);

beforeEach(() => {
  ddb = mockDynamo();
  s3.reset();
  sqs.reset();
  s3.on(PutObjectCommand).resolves({});
  s3.on(DeleteObjectCommand).resolves({});
  ddb.on(UpdateCommand).resolves({});
  sqs.on(SendMessageCommand).resolves({});
  sqs.on(SendMessageBatchCommand).callsFake((input: SendMessageBatchCommandInput) => {
    sent.push(input);
    return { Successful: [], Failed: [] };
  });
});
/** Every SendMessageBatch the pipeline made: the image jobs it enqueued. */
let sent: SendMessageBatchCommandInput[] = [];
beforeEach(() => {
  sent = [];
});
afterEach(() => {
  ddb.restore();
});

const bytes = png(8, 6);
const sha = createHash('sha256').update(bytes).digest('hex');

/** The inputs of the status writes to one SKU's item, in order. */
function skuUpdates(sku: string) {
  return ddb
    .commandCalls(UpdateCommand)
    .map((call) => call.args[0].input)
    .filter((input) => (input.Key as { pk: string }).pk === keys.sku(sku).pk);
}

function contentUpdates() {
  return ddb
    .commandCalls(UpdateCommand)
    .map((call) => call.args[0].input)
    .filter((input) => (input.Key as { pk: string }).pk.startsWith('CONTENT#'));
}
const openPng: ImageOpener = async () => openedFrom(bytes);

/** The jobs enqueued since `from` (an index into `sent`), as the SQS event the renderer receives. */
function jobsEvent(from: number): SQSEvent {
  const entries = sent.slice(from).flatMap((batch) => batch.Entries ?? []);
  return {
    Records: entries.map((entry, index) => ({
      messageId: `message-${from}-${index}`,
      receiptHandle: `receipt-${index}`,
      body: entry.MessageBody ?? '',
      attributes: {
        ApproximateReceiveCount: '1',
        SentTimestamp: '0',
        SenderId: 'test',
        ApproximateFirstReceiveTimestamp: '0',
      },
      messageAttributes: {},
      md5OfBody: '',
      eventSource: 'aws:sqs',
      eventSourceARN: 'arn:aws:sqs:eu-west-1:123456789012:render-jobs',
      awsRegion: 'eu-west-1',
    })),
  };
}

/**
 * The deployed pipeline with mocked AWS clients: the stream consumer's invocation, then the renderer's
 * on the jobs it enqueued. `batchItemFailures` are the stream's; `jobFailures` the renderer's.
 */
function handlerWith(open: ImageOpener) {
  const deps = {
    ...createRendererDependencies(config, {
      s3: new S3Client({ region: 'eu-west-1' }),
      sqs: new SQSClient({ region: 'eu-west-1' }),
    }),
    open,
  };
  const stream = createProcessStreamHandler(deps);
  const renderer = createRenderImagesHandler(deps);
  return async (event: DynamoDBStreamEvent, context: ReturnType<typeof lambdaContext>) => {
    const result = await stream(event, context);
    const enqueued = sent.length;
    const jobs = jobsEvent(0);
    const rendered = jobs.Records.length > 0 ? await renderer(jobs, context) : { batchItemFailures: [] };
    return {
      batchItemFailures: result.batchItemFailures,
      jobs,
      jobFailures: rendered.batchItemFailures.map((failure) => failure.itemIdentifier),
      /** Jobs the renderer enqueued again (transient failures), with their delays. */
      retried: sent.slice(enqueued).flatMap((batch) => batch.Entries ?? []),
    };
  };
}

function stored(sku: string, images: StoredImage[]) {
  ddb.on(GetCommand, { Key: keys.sku(sku) }).resolves({
    Item: { ...keys.sku(sku), sku, version: 'v', revision: 3, writer: 'api', images },
  });
}

const s3Error = () =>
  new S3ServiceException({
    name: 'InternalError',
    $fault: 'server',
    $metadata: { httpStatusCode: 500 },
    message: 'We encountered an internal error',
  });

describe('the stream handler with mocked AWS clients', () => {
  it('stores the original and every rendition by content, then records the image ready', async () => {
    stored('A', [image(1), image(2, { order: 1 })]);
    const result = await handlerWith(openPng)(
      streamEvent(streamRecord('A', [image(1, { status: 'ready' })], [image(1), image(2)])),
      lambdaContext(),
    );
    expect(result.batchItemFailures).toEqual([]);
    const puts = s3.commandCalls(PutObjectCommand).map((call) => call.args[0].input);
    expect(puts.map((put) => put.Key).sort()).toEqual(
      [
        `o/${sha}/jpeg/8/1x1f90-8/s6`,
        ...['avif', 'webp', 'jpeg'].flatMap((format) => [
          `v/${sha}/8.${format}`,
          `v/${sha}/1x1f90/8.${format}`,
          `v/${sha}/s/6.${format}`,
        ]),
      ].sort(),
    );
    for (const put of puts) {
      expect(put).toMatchObject({
        Bucket: 'cdn-origin',
        CacheControl: 'public, max-age=31536000, immutable',
      });
    }
    expect(puts.find((put) => put.Key?.startsWith('o/'))?.ContentType).toBe('image/png');
    const updates = skuUpdates('A');
    expect(updates[0]?.ExpressionAttributeValues).toMatchObject({
      ':status': 'pending',
      ':content_sha256': sha,
    });
    const last = updates[updates.length - 1];
    expect(last?.ConditionExpression).toMatch(
      /^#images\[1\]\.#id = :id AND #images\[1\]\.#status = :expected_status/,
    );
    expect(last?.ExpressionAttributeValues).toMatchObject({
      ':id': 2,
      ':status': 'ready',
      ':object_key': `o/${sha}/jpeg/8/1x1f90-8/s6`,
      ':tiles': [{ aspect: '1:1', set: '1x1f90', widths: [8] }],
      ':swatches': [6],
      ':width': 8,
      ':height': 6,
      ':bytes': bytes.length,
      ':content_type': 'image/png',
      ':content_sha256': sha,
      ':variants': [
        { width: 8, height: 6, format: 'avif' },
        { width: 8, height: 6, format: 'webp' },
        { width: 8, height: 6, format: 'jpeg' },
      ],
    });
    expect(last?.UpdateExpression).toContain('#revision = #revision + :one');
    expect(last?.UpdateExpression).not.toContain('version');
    const content = contentUpdates();
    expect(content[0]?.UpdateExpression).toBe('ADD #refs :ref');
    expect(content[0]?.ExpressionAttributeValues).toEqual({ ':ref': new Set([2]) });
  });

  it('on an S3 failure counts the attempt, keeps the content hash and enqueues the job again after a backoff', async () => {
    stored('A', [image(2)]);
    s3.on(PutObjectCommand).rejects(s3Error());
    const record = streamRecord('A', [], [image(2)]);
    const result = await handlerWith(openPng)(streamEvent(record), lambdaContext());
    expect(result.batchItemFailures).toEqual([]);
    expect(result.jobFailures).toEqual([]);
    expect(result.retried).toHaveLength(1);
    expect(result.retried[0]).toMatchObject({ DelaySeconds: 30 });
    expect(JSON.parse(result.retried[0]?.MessageBody ?? '{}')).toMatchObject({
      sku: 'A',
      imageId: 2,
      origin: 'retry',
    });
    const updates = skuUpdates('A');
    expect(updates[updates.length - 1]?.ExpressionAttributeValues).toMatchObject({
      ':status': 'pending',
      ':attempts': 1,
      ':content_sha256': sha,
    });
    // The render lease is given back, so the retry (or another image) renders at once.
    expect(contentUpdates().some((update) => update.UpdateExpression === 'REMOVE #lease, #holder')).toBe(
      true,
    );
  });

  it('reports a job that met DynamoDB throttling as a batch item failure of the renderer, without copying', async () => {
    ddb.on(GetCommand, { Key: keys.sku('A') }).rejects(dynamoErrors.throttled());
    const record = streamRecord('A', [], [image(2)]);
    const result = await handlerWith(openPng)(streamEvent(record), lambdaContext());
    expect(result.batchItemFailures).toEqual([]);
    expect(result.jobFailures).toEqual([result.jobs.Records[0]?.messageId]);
    expect(s3.commandCalls(PutObjectCommand)).toHaveLength(0);
  });

  it('enqueues one job per image the write added, and retries the stream record when SQS refuses them', async () => {
    const record = streamRecord('A', [image(1, { status: 'ready' })], [image(1), image(2), image(3)]);
    stored('A', []);
    const ok = await handlerWith(openPng)(streamEvent(record), lambdaContext());
    expect(ok.jobs.Records.map((job) => JSON.parse(job.body))).toEqual([
      { v: 1, sku: 'A', imageId: 2, origin: 'stream' },
      { v: 1, sku: 'A', imageId: 3, origin: 'stream' },
    ]);
    sqs.on(SendMessageBatchCommand).resolves({
      Successful: [],
      Failed: [{ Id: '0', Code: 'InternalError', SenderFault: false }],
    });
    const refused = await handlerWith(openPng)(streamEvent(record), lambdaContext());
    expect(refused.batchItemFailures).toEqual([{ itemIdentifier: record.dynamodb?.SequenceNumber }]);
  });

  it('fails an image at once on a permanent origin failure, and does not report the record', async () => {
    stored('A', [image(2)]);
    const result = await handlerWith(failingOpen.permanent('HTTP 404 from origin'))(
      streamEvent(streamRecord('A', [], [image(2)])),
      lambdaContext(),
    );
    expect(result.batchItemFailures).toEqual([]);
    const [update] = skuUpdates('A');
    expect(update?.ExpressionAttributeValues).toMatchObject({
      ':status': 'failed',
      ':error': 'HTTP 404 from origin',
    });
    expect(sqs.commandCalls(SendMessageCommand)).toHaveLength(0);
  });

  it('after the last transient attempt fails the image and dead-letters it, without reporting', async () => {
    stored('A', [image(2, { attempts: 2 })]);
    const record = streamRecord('A', [], [image(2)]);
    const result = await handlerWith(failingOpen.transient('HTTP 503 from origin'))(
      streamEvent(record),
      lambdaContext(),
    );
    expect(result.batchItemFailures).toEqual([]);
    expect(skuUpdates('A')[0]?.ExpressionAttributeValues).toMatchObject({
      ':status': 'failed',
      ':error': 'HTTP 503 from origin',
      ':attempts': 3,
    });
    const message = JSON.parse(sqs.commandCalls(SendMessageCommand)[0]?.args[0].input.MessageBody ?? '{}');
    expect(message).toMatchObject({
      sku: 'A',
      imageId: 2,
      reason: 'HTTP 503 from origin',
      attempts: 3,
      jobId: result.jobs.Records[0]?.messageId,
    });
  });

  it('a status write that loses a race to a POST removing the image changes nothing', async () => {
    ddb
      .on(GetCommand, { Key: keys.sku('A') })
      .resolvesOnce({ Item: { ...keys.sku('A'), sku: 'A', version: 'v', revision: 3, images: [image(2)] } })
      .resolves({ Item: { ...keys.sku('A'), sku: 'A', version: 'w', revision: 4, images: [image(9)] } });
    ddb
      .on(UpdateCommand, { Key: keys.sku('A') })
      .rejectsOnce(dynamoErrors.conditionFailed())
      .resolves({});
    const result = await handlerWith(openPng)(
      streamEvent(streamRecord('A', [], [image(2)])),
      lambdaContext(),
    );
    expect(result.batchItemFailures).toEqual([]);
    expect(skuUpdates('A')).toHaveLength(1);
  });

  it('finds the image again when a POST moved it before the status write', async () => {
    ddb
      .on(GetCommand, { Key: keys.sku('A') })
      .resolvesOnce({ Item: { ...keys.sku('A'), sku: 'A', version: 'v', revision: 3, images: [image(2)] } })
      .resolves({
        Item: { ...keys.sku('A'), sku: 'A', version: 'w', revision: 4, images: [image(1), image(2)] },
      });
    ddb.on(UpdateCommand).rejectsOnce(dynamoErrors.conditionFailed()).resolves({});
    await handlerWith(openPng)(streamEvent(streamRecord('A', [], [image(2)])), lambdaContext());
    const updates = skuUpdates('A');
    expect(updates[0]?.ConditionExpression).toMatch(
      /^#images\[0\]\.#id = :id AND #images\[0\]\.#status = :expected_status/,
    );
    expect(updates[1]?.ConditionExpression).toMatch(
      /^#images\[1\]\.#id = :id AND #images\[1\]\.#status = :expected_status/,
    );
  });

  it('deletes the copies of removed images, and of every image when the SKU is removed', async () => {
    await handlerWith(openPng)(
      streamEvent(
        streamRecord('A', [image(1), image(2)], [image(2)]),
        streamRecord('B', [image(3), image(4)], null),
      ),
      lambdaContext(),
    );
    const deleted = s3.commandCalls(DeleteObjectCommand).map((call) => call.args[0].input.Key);
    expect(deleted.sort()).toEqual(['products/A/1', 'products/B/3', 'products/B/4']);
    expect(s3.commandCalls(PutObjectCommand)).toHaveLength(0);
  });

  it('does nothing for its own status writes, nor for images a newer POST already removed', async () => {
    stored('A', [image(7)]);
    await handlerWith(openPng)(
      streamEvent(
        streamRecord('A', [image(1)], [image(1, { status: 'ready' })], 'pipeline'),
        streamRecord('A', [], [image(5)]),
      ),
      lambdaContext(),
    );
    expect(s3.commandCalls(PutObjectCommand)).toHaveLength(0);
    expect(ddb.commandCalls(UpdateCommand)).toHaveLength(0);
  });

  it('stops a SKU at its first record whose jobs were not enqueued, but carries on with other SKUs', async () => {
    stored('A', [image(1), image(2)]);
    stored('B', [image(3)]);
    sqs.on(SendMessageBatchCommand).callsFake((input: SendMessageBatchCommandInput) => {
      if (input.Entries?.some((entry) => JSON.parse(entry.MessageBody ?? '{}').imageId === 1)) {
        throw Object.assign(new Error('SQS unavailable'), { name: 'ServiceUnavailable' });
      }
      sent.push(input);
      return { Successful: [], Failed: [] };
    });
    const first = streamRecord('A', [], [image(1)]);
    const second = streamRecord('A', [image(1)], [image(1), image(2)]);
    const other = streamRecord('B', [], [image(3)]);
    const result = await handlerWith(openPng)(streamEvent(first, other, second), lambdaContext());
    expect(result.batchItemFailures).toEqual([{ itemIdentifier: first.dynamodb?.SequenceNumber }]);
    // Only B's image was enqueued and stored; A's second record waits for its first.
    expect(result.jobs.Records.map((job) => JSON.parse(job.body).imageId)).toEqual([3]);
    expect(s3.commandCalls(PutObjectCommand)).toHaveLength(10);
    expect(skuUpdates('A')).toEqual([]);
    expect(skuUpdates('B').some((update) => update.ExpressionAttributeValues?.[':status'] === 'ready')).toBe(
      true,
    );
  });

  it('releases the content of a removed image, and deletes its objects with the last reference', async () => {
    s3.on(ListObjectsV2Command).resolves({
      Contents: [{ Key: `o/${sha}/jpeg/8` }, { Key: `v/${sha}/8.avif` }],
    });
    ddb.on(DeleteCommand).resolves({});
    await handlerWith(openPng)(
      streamEvent(streamRecord('A', [image(1, { status: 'ready', content_sha256: sha })], [])),
      lambdaContext(),
    );
    const content = contentUpdates();
    // The last reference goes and the deletion is marked in one write; the mark is then confirmed.
    expect(content[0]?.UpdateExpression).toMatch(/^DELETE #refs :ref SET #deleting = if_not_exists/);
    expect(content[0]?.ConditionExpression).toContain('size(#refs) = :one AND contains(#refs, :id)');
    expect(content[1]?.ConditionExpression).toBe('attribute_exists(pk) AND attribute_not_exists(#refs)');
    const listed = s3.commandCalls(ListObjectsV2Command).map((call) => call.args[0].input.Prefix);
    expect(listed.sort()).toEqual([`o/${sha}/`, `v/${sha}/`]);
    expect(s3.commandCalls(DeleteObjectCommand).length).toBeGreaterThan(0);
    expect(ddb.commandCalls(DeleteCommand)[0]?.args[0].input.Key).toEqual(keys.content(sha));
  });

  it('keeps the objects while another image still references the content', async () => {
    ddb.on(UpdateCommand).resolves({ Attributes: { refs: new Set([7]) } });
    // Not the last reference: the write that would also mark the deletion is refused.
    ddb
      .on(UpdateCommand, {
        ConditionExpression: 'attribute_exists(pk) AND size(#refs) = :one AND contains(#refs, :id)',
      })
      .rejects(Object.assign(new Error('condition'), { name: 'ConditionalCheckFailedException' }));
    await handlerWith(openPng)(
      streamEvent(streamRecord('A', [image(1, { status: 'ready', content_sha256: sha })], [])),
      lambdaContext(),
    );
    expect(s3.commandCalls(ListObjectsV2Command)).toHaveLength(0);
    expect(s3.commandCalls(DeleteObjectCommand)).toHaveLength(0);
  });

  it('enqueues the job again after a backoff when DynamoDB throttles the reference update', async () => {
    stored('A', [image(2)]);
    ddb.on(UpdateCommand, { Key: keys.content(sha) }).rejects(dynamoErrors.throttled());
    const record = streamRecord('A', [], [image(2)]);
    const result = await handlerWith(openPng)(streamEvent(record), lambdaContext());
    expect(result.batchItemFailures).toEqual([]);
    expect(result.jobFailures).toEqual([]);
    expect(result.retried).toHaveLength(1);
    expect(s3.commandCalls(PutObjectCommand)).toHaveLength(0);
  });

  it('does nothing for a job whose image was removed, replaced or already settled (duplicates are harmless)', async () => {
    stored('A', [image(2, { status: 'ready' }), image(5, { status: 'failed', error: 'x' })]);
    const record = streamRecord('A', [], [image(2), image(5), image(9)]);
    const result = await handlerWith(openPng)(streamEvent(record), lambdaContext());
    expect(result.jobs.Records).toHaveLength(3);
    expect(result.jobFailures).toEqual([]);
    expect(s3.commandCalls(PutObjectCommand)).toHaveLength(0);
    expect(ddb.commandCalls(UpdateCommand)).toHaveLength(0);
  });
});

describe("ProductImagesSettled from the mark's stream record (the outbox), with mocked AWS clients", () => {
  const settledImages = [
    image(2, {
      status: 'ready',
      object_key: 'o/abc/jpeg/352',
      content_sha256: 'abc',
      width: 800,
      height: 600,
      thumbhash: 'AAAA',
      dominant_color: '#102030',
      variants: [{ width: 352, height: 264, format: 'avif' }],
    }),
    image(3, { status: 'failed', error: 'HTTP 404 from origin' }),
  ];
  const deps = () =>
    createPipelineDependencies(
      { ...config, eventBusName: 'product-images-test' },
      {
        s3: new S3Client({ region: 'eu-west-1' }),
        sqs: new SQSClient({ region: 'eu-west-1' }),
        eventBridge: new EventBridgeClient({ region: 'eu-west-1' }),
      },
    );
  const eventBridge = mockClient(EventBridgeClient);
  beforeEach(() => eventBridge.reset());
  const details = () =>
    eventBridge
      .commandCalls(PutEventsCommand)
      .map((call) => JSON.parse(call.args[0].input.Entries?.[0]?.Detail ?? '{}'));

  it('puts the event a mark announced, with what a storefront needs, and nothing for other writes', async () => {
    eventBridge.on(PutEventsCommand).resolves({ FailedEntryCount: 0, Entries: [{ EventId: 'e' }] });
    const handler = createProcessStreamHandler(deps());
    const result = await handler(
      streamEvent(
        announcementRecord('A', settledImages),
        streamRecord('B', settledImages, settledImages, 'pipeline'),
      ),
      lambdaContext(),
    );
    expect(result.batchItemFailures).toEqual([]);
    expect(details()).toEqual([
      {
        id: 'A/v',
        sku: 'A',
        version: 'v',
        images: [
          {
            id: 2,
            url: 'https://img.example/2.png',
            status: 'ready',
            cdn_url: 'https://d123.cloudfront.net/o/abc/jpeg/352',
            error: null,
            width: 800,
            height: 600,
            thumbhash: 'AAAA',
            dominant_color: '#102030',
            variants: [
              { width: 352, height: 264, format: 'avif', url: 'https://d123.cloudfront.net/v/abc/352.avif' },
            ],
            tiles: [],
          },
          {
            id: 3,
            url: 'https://img.example/3.png',
            status: 'failed',
            cdn_url: null,
            error: 'HTTP 404 from origin',
            width: null,
            height: null,
            thumbhash: null,
            dominant_color: null,
            variants: [],
            tiles: [],
          },
        ],
      },
    ]);
  });

  it('a stop between the mark and the put loses nothing: the record comes back until the event is put, with the same id', async () => {
    const handler = createProcessStreamHandler(deps());
    const record = announcementRecord('A', settledImages);
    // The first delivery cannot put it (its function might as well have stopped): the record is reported.
    eventBridge.on(PutEventsCommand).rejects(Object.assign(new Error('gone'), { name: 'InternalException' }));
    const first = await handler(streamEvent(record), lambdaContext());
    expect(first.batchItemFailures).toEqual([{ itemIdentifier: record.dynamodb?.SequenceNumber }]);
    // Its dead letter holds everything needed to re-send it.
    const letter = JSON.parse(sqs.commandCalls(SendMessageCommand)[0]?.args[0].input.MessageBody ?? '{}');
    expect(letter).toMatchObject({ kind: 'settled-event-undelivered', detail: { id: 'A/v', sku: 'A' } });
    // Delivered again (and again: a duplicate), it is put, each time with the same id.
    eventBridge.reset();
    eventBridge.on(PutEventsCommand).resolves({ FailedEntryCount: 0, Entries: [{ EventId: 'e' }] });
    expect((await handler(streamEvent(record), lambdaContext())).batchItemFailures).toEqual([]);
    expect((await handler(streamEvent(record), lambdaContext())).batchItemFailures).toEqual([]);
    expect(details().map((detail) => detail.id)).toEqual(['A/v', 'A/v']);
  });
});

describe("the jobs' dead-letter consumer with mocked AWS clients", () => {
  it('fails the image of a job SQS gave up on, dead-letters it, and leaves settled images alone', async () => {
    stored('A', [image(2, { attempts: 1 }), image(3, { status: 'ready' })]);
    const deps = createPipelineDependencies(config, {
      s3: new S3Client({ region: 'eu-west-1' }),
      sqs: new SQSClient({ region: 'eu-west-1' }),
    });
    sent = [
      {
        QueueUrl: 'dead',
        Entries: [
          { Id: '0', MessageBody: JSON.stringify({ v: 1, sku: 'A', imageId: 2, origin: 'stream' }) },
          { Id: '1', MessageBody: JSON.stringify({ v: 1, sku: 'A', imageId: 3, origin: 'stream' }) },
          { Id: '2', MessageBody: 'not a job' },
        ],
      },
    ];
    const result = await createDeadJobsHandler(deps)(jobsEvent(0), lambdaContext());
    expect(result.batchItemFailures).toEqual([]);
    const [update] = skuUpdates('A');
    expect(update?.ConditionExpression).toMatch(
      /^#images\[0\]\.#id = :id AND #images\[0\]\.#status = :expected_status/,
    );
    expect(update?.ExpressionAttributeValues).toMatchObject({
      ':status': 'failed',
      ':error': 'rendering kept failing',
      ':attempts': 2,
    });
    expect(skuUpdates('A')).toHaveLength(1);
    const letter = JSON.parse(sqs.commandCalls(SendMessageCommand)[0]?.args[0].input.MessageBody ?? '{}');
    expect(letter).toMatchObject({
      kind: 'image-copy-failed',
      sku: 'A',
      imageId: 2,
      reason: 'rendering kept failing',
    });
  });

  it('reports a dead job whose image could not be read, so it is tried again', async () => {
    ddb.on(GetCommand, { Key: keys.sku('A') }).rejects(dynamoErrors.throttled());
    const deps = createPipelineDependencies(config, {
      s3: new S3Client({ region: 'eu-west-1' }),
      sqs: new SQSClient({ region: 'eu-west-1' }),
    });
    sent = [
      {
        QueueUrl: 'dead',
        Entries: [{ Id: '0', MessageBody: JSON.stringify({ v: 1, sku: 'A', imageId: 2 }) }],
      },
    ];
    const event = jobsEvent(0);
    const result = await createDeadJobsHandler(deps)(event, lambdaContext());
    expect(result.batchItemFailures).toEqual([{ itemIdentifier: event.Records[0]?.messageId }]);
  });
});
