import { DynamoDBClient, GetItemCommand } from '@aws-sdk/client-dynamodb';
import { EventBridgeClient, PutEventsCommand } from '@aws-sdk/client-eventbridge';
import { GetObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { SendMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import { afterEach, describe, expect, it } from 'vitest';
import { type FaultPlan, parseFaultPlan } from '../../infra/faults/fault-plan';
import { SERVICE_FAULTS, sdkFaultHook } from '../../infra/faults/sdk-faults';
import {
  type AwsService,
  clearClientHooks,
  hooked,
  registerClientHook,
} from '../../lib/adapters/client-hooks';
import { createDocumentClient, isUnavailable } from '../../lib/adapters/dynamodb/client';

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
    for (let i = 0; i < 12; i++) {
      const error = await failure(
        client.send(new GetItemCommand({ TableName: 't', Key: { pk: { S: 'a' } } })),
      );
      seen.add(error.name);
      // Throttling and 500s are retried by the SDK (2 attempts here); a conflict is not, so it ends the call.
      if (error.name !== 'TransactionConflictException') expect(error.$metadata?.attempts).toBe(2);
      else expect([1, 2]).toContain(error.$metadata?.attempts);
    }
    expect([...seen].sort()).toEqual(SERVICE_FAULTS.dynamodb.map((fault) => fault.kind).sort());
    const counts = plan.counts().dynamodb;
    expect(counts.injected).toBe(counts.calls);
    expect(Object.values(counts.kinds).reduce((sum, n) => sum + n, 0)).toBe(counts.injected);
  });

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
    expect(isUnavailable(error) || error.name === 'TransactionConflictException').toBe(true);
  });

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
