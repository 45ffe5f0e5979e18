import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { DynamoDBClient, GetItemCommand, PutItemCommand } from '@aws-sdk/client-dynamodb';
import { EventBridgeClient, PutEventsCommand } from '@aws-sdk/client-eventbridge';
import { GetObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { SendMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { type FaultPlan, parseFaultPlan } from '../../infra/faults/fault-plan';
import { ORIGIN_FAULT_REASONS, ORIGIN_FAULTS, originFaultHook } from '../../infra/faults/origin-faults';
import { SERVICE_FAULTS, sdkFaultHook } from '../../infra/faults/sdk-faults';
import { type SampleImage, sampleImages } from '../../infra/local/sample-images';
import {
  type AwsService,
  clearClientHooks,
  hooked,
  hookedOpener,
  registerClientHook,
  registerOriginHook,
} from '../../lib/adapters/client-hooks';
import { createDocumentClient, isUnavailable } from '../../lib/adapters/dynamodb/client';
import { ImageCopyError } from '../../lib/pipeline/fetch-errors';
import { type FetchPolicy, type OpenedImage, openImage } from '../../lib/pipeline/image-fetcher';
import type { ImageOpener } from '../../lib/pipeline/ports';

// Nothing listens here: a call that is not failed by the plan would fail to connect instead.
const NOWHERE = 'http://127.0.0.1:9';
const credentials = { accessKeyId: 'test', secretAccessKey: 'test' };
const settings = { region: 'eu-west-1', endpoint: NOWHERE, credentials, maxAttempts: 2 };

function planOf(faults: string, seed = '7'): FaultPlan {
  const plan = parseFaultPlan({ FAULTS: faults, FAULTS_SEED: seed });
  if (!plan) throw new Error('no plan');
  return plan;
}

async function failure(
  call: Promise<unknown>,
): Promise<Error & { $metadata?: { attempts?: number; httpStatusCode?: number } }> {
  try {
    await call;
  } catch (error) {
    return error as Error & { $metadata?: { attempts?: number } };
  }
  throw new Error('the call succeeded');
}

afterEach(() => clearClientHooks());

describe('FAULTS: the plan', () => {
  it('is off without FAULTS, and refuses what it cannot read', () => {
    expect(parseFaultPlan({})).toBeNull();
    expect(parseFaultPlan({ FAULTS: ' ' })).toBeNull();
    for (const bad of ['dynamodb', 'dynamodb=2', 'dynamo=0.1', 'dynamodb=-1', 's3=x']) {
      expect(() => parseFaultPlan({ FAULTS: bad })).toThrow(/FAULTS must be/);
    }
    expect(() => parseFaultPlan({ FAULTS: 's3=0.1', FAULTS_SEED: '-3' })).toThrow(/FAULTS_SEED/);
  });

  it('fails calls at the rate asked, the same calls for the same seed', () => {
    const decisions = (seed: string) => {
      const plan = planOf('dynamodb=0.05,s3=0.2', seed);
      return Array.from({ length: 10_000 }, (_, i) => plan.shouldFail(i % 2 === 0 ? 'dynamodb' : 's3'));
    };
    const first = decisions('42');
    expect(decisions('42')).toEqual(first);
    expect(decisions('43')).not.toEqual(first);
    const dynamo = first.filter((failed, i) => failed && i % 2 === 0).length / 5000;
    const s3 = first.filter((failed, i) => failed && i % 2 === 1).length / 5000;
    expect(dynamo).toBeGreaterThan(0.035);
    expect(dynamo).toBeLessThan(0.065);
    expect(s3).toBeGreaterThan(0.18);
    expect(s3).toBeLessThan(0.22);
    expect(planOf('sqs=0').shouldFail('sqs')).toBe(false);
    expect(planOf('s3=0.1', '5').describe()).toBe('FAULTS s3=0.1 (FAULTS_SEED=5)');
  });
});

describe('FAULTS: failures as each service answers them, below the SDK retries', () => {
  it('never touches a client when no hook is registered, or its service has no rate', () => {
    const client = hooked(new S3Client(settings), 's3');
    expect(client.middlewareStack.identify().some((entry) => entry.includes('faultInjection'))).toBe(false);
    registerClientHook(sdkFaultHook(planOf('dynamodb=1')));
    const other = hooked(new S3Client(settings), 's3');
    expect(other.middlewareStack.identify().some((entry) => entry.includes('faultInjection'))).toBe(false);
  });

  it('DynamoDB: throttling, 500s and transaction conflicts, each attempt of the SDK counted', async () => {
    const plan = planOf('dynamodb=1');
    registerClientHook(sdkFaultHook(plan));
    const client = hooked(new DynamoDBClient(settings), 'dynamodb');
    const seen = new Set<string>();
    const seenOnReads = new Set<string>();
    for (let i = 0; i < 24; i++) {
      // Reads and writes alike; only writes can meet a transaction in progress.
      const error = await failure(
        i % 2 === 0
          ? client.send(new GetItemCommand({ TableName: 't', Key: { pk: { S: 'a' } } }))
          : client.send(new PutItemCommand({ TableName: 't', Item: { pk: { S: 'a' } } })),
      );
      seen.add(error.name);
      if (i % 2 === 0) seenOnReads.add(error.name);
      // Throttling and 500s are retried by the SDK (2 attempts here); a conflict is not, so it ends the call.
      if (error.name !== 'TransactionConflictException') expect(error.$metadata?.attempts).toBe(2);
      else expect([1, 2]).toContain(error.$metadata?.attempts);
    }
    expect([...seen].sort()).toEqual(SERVICE_FAULTS.dynamodb.map((fault) => fault.kind).sort());
    expect(seenOnReads.has('TransactionConflictException')).toBe(false);
    const counts = plan.counts().dynamodb;
    expect(counts.injected).toBe(counts.calls);
    expect(Object.values(counts.kinds).reduce((sum, n) => sum + n, 0)).toBe(counts.injected);
    // One operation per command above the retry layer: the attempts beyond it are the SDK's retries.
    expect(counts.operations).toBe(24);
    expect(counts.calls).toBeGreaterThan(counts.operations);
  }, 30_000);

  it("DynamoDB through the document client of the service: throttling ends as the API's 503", async () => {
    registerClientHook(sdkFaultHook(planOf('dynamodb=1', '3')));
    const client = createDocumentClient({ region: 'eu-west-1', endpoint: NOWHERE });
    const error = await failure(client.send(new GetItemCommand({ TableName: 't', Key: { pk: { S: 'a' } } })));
    expect([
      'ProvisionedThroughputExceededException',
      'ThrottlingException',
      'InternalServerError',
      'TransactionConflictException',
    ]).toContain(error.name);
    // Each ends as the API's 503 with Retry-After, a write's transaction conflict too.
    expect(isUnavailable(error)).toBe(true);
    expect(isUnavailable({ name: 'TransactionConflictException', $fault: 'client' })).toBe(true);
  }, 30_000);

  it('S3: 503 SlowDown and 500 InternalError', async () => {
    registerClientHook(sdkFaultHook(planOf('s3=1')));
    const client = hooked(new S3Client({ ...settings, forcePathStyle: true }), 's3');
    const names = new Set<string>();
    for (let i = 0; i < 8; i++) {
      const error = await failure(client.send(new GetObjectCommand({ Bucket: 'b', Key: 'k' })));
      names.add(error.name);
      expect([503, 500]).toContain(error.$metadata?.httpStatusCode);
      expect(error.$metadata?.attempts).toBe(2);
    }
    expect([...names].sort()).toEqual(['InternalError', 'SlowDown']);
  });

  it('SQS: 5xx', async () => {
    registerClientHook(sdkFaultHook(planOf('sqs=1')));
    const client = hooked(new SQSClient(settings), 'sqs');
    const error = await failure(
      client.send(new SendMessageCommand({ QueueUrl: `${NOWHERE}/q`, MessageBody: 'x' })),
    );
    expect(error.$metadata?.httpStatusCode).toBeGreaterThanOrEqual(500);
    expect(error.$metadata?.attempts).toBe(2);
  });

  it('EventBridge: PutEvents answers with its entries failed', async () => {
    registerClientHook(sdkFaultHook(planOf('events=1')));
    const client = hooked(new EventBridgeClient(settings), 'events');
    const answer = await client.send(
      new PutEventsCommand({
        Entries: [
          { Source: 's', DetailType: 'd', Detail: '{}' },
          { Source: 's', DetailType: 'd', Detail: '{}' },
        ],
      }),
    );
    expect(answer.FailedEntryCount).toBe(2);
    expect(answer.Entries?.map((entry) => entry.ErrorCode)).toEqual(['InternalFailure', 'InternalFailure']);
  });

  it.each(['dynamodb', 's3', 'sqs', 'events'] as AwsService[])(
    '%s: every fault kind has an answer',
    (service) => {
      for (const fault of SERVICE_FAULTS[service])
        expect(fault.answer({ body: '{"Entries":[{}]}' }).statusCode).toBeGreaterThan(0);
    },
  );
});

describe('FAULTS: origins that reset mid-body, answer 503 or stall past the fetch deadline', () => {
  // A real origin on loopback and the real fetcher: the faults wrap the fetcher's port, as npm start's do.
  const png = (sampleImages()[0] as SampleImage).bytes;
  let origin: Server;
  let url = '';
  const policy: FetchPolicy = {
    allowPrivate: true,
    maxBytes: 10_000_000,
    maxRedirects: 1,
    connectTimeoutMs: 1000,
    totalTimeoutMs: 300,
  };
  const realOpen: ImageOpener = (address, known) => openImage(address, policy, undefined, known);

  beforeAll(async () => {
    origin = createServer((_request, response) => {
      response.writeHead(200, { 'content-type': 'image/jpeg', 'content-length': png.length });
      response.end(png);
    });
    await new Promise<void>((done) => origin.listen(0, '127.0.0.1', done));
    url = `http://127.0.0.1:${(origin.address() as AddressInfo).port}/shirt.jpg`;
  });
  afterAll(() => new Promise((done) => origin.close(done)));

  async function drained(opened: OpenedImage): Promise<number> {
    let bytes = 0;
    for await (const chunk of opened.body) bytes += (chunk as Buffer).length;
    return bytes;
  }

  async function outcome(open: ImageOpener): Promise<string> {
    try {
      const answer = await open(url);
      if ('notModified' in answer) return 'not modified';
      return `${await drained(answer)} bytes`;
    } catch (error) {
      expect(error).toBeInstanceOf(ImageCopyError);
      expect((error as ImageCopyError).permanent).toBe(false);
      return (error as Error).message;
    }
  }

  it('passes every open through untouched without a hook, or at rate 0', async () => {
    expect(hookedOpener(realOpen, policy)).toBe(realOpen);
    registerOriginHook(originFaultHook(planOf('origin=0')));
    expect(await outcome(hookedOpener(realOpen, policy))).toBe(`${png.length} bytes`);
  });

  it('fails each open as an origin does, every kind transient and worded as the fetcher words it', async () => {
    const plan = planOf('origin=1', '3');
    registerOriginHook(originFaultHook(plan));
    const open = hookedOpener(realOpen, policy);
    const seen = new Set<string>();
    for (let i = 0; i < 15; i++) {
      const started = performance.now();
      const reason = await outcome(open);
      seen.add(reason);
      // A stall lasts until the fetcher's own deadline; nothing else waits for it.
      if (reason === ORIGIN_FAULT_REASONS.stall)
        expect(performance.now() - started).toBeGreaterThanOrEqual(290);
    }
    expect([...seen].sort()).toEqual(ORIGIN_FAULTS.map((fault) => ORIGIN_FAULT_REASONS[fault]).sort());
    const counts = plan.counts().origin;
    expect(counts).toMatchObject({ operations: 15, calls: 15, injected: 15 });
    expect(Object.keys(counts.kinds).sort()).toEqual([...ORIGIN_FAULTS].sort());
  });

  it('a reset lets the first bytes through before it fails, and a 304 is reset before it answers', async () => {
    const plan = planOf('origin=1', '3');
    const resetOnly = { ...plan, pick: <T>(choices: readonly T[]) => choices[0] as T };
    registerOriginHook(originFaultHook(resetOnly));
    const open = hookedOpener(realOpen, policy);
    const answer = await open(url);
    if ('notModified' in answer) throw new Error('a 304 nobody asked for');
    let received = 0;
    answer.body.on('data', (chunk: Buffer) => {
      received += chunk.length;
    });
    const error = await new Promise<Error>((done) => answer.body.once('error', done));
    expect(error.message).toBe(ORIGIN_FAULT_REASONS.reset);
    expect(received).toBeGreaterThan(0);
    expect(received).toBeLessThan(png.length);
    const unchanged: ImageOpener = async () => ({ notModified: true });
    expect(await failure(hookedOpener(unchanged, policy)(url, { etag: '"a"' }))).toMatchObject({
      message: ORIGIN_FAULT_REASONS.reset,
    });
  });
});
