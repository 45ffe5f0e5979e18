import {
  GetQueueAttributesCommand,
  SendMessageBatchCommand,
  SendMessageCommand,
  SQSClient,
  SQSServiceException,
} from '@aws-sdk/client-sqs';
import { GetCommand, QueryCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createSweepPendingHandler } from '../../functions/sweep-pending';
import {
  DELETION_PARTITIONS,
  keys,
  PENDING_PARTITIONS,
  TABLE_SCHEMA,
} from '../../lib/adapters/dynamodb/table-schema';
import { STALE_DELETION_MS } from '../../lib/pipeline/retry-budget';
import { createSweepDependencies } from '../../lib/pipeline-service';
import { dynamoErrors, mockDynamo } from '../helpers/dynamo-mock';
import { lambdaContext } from '../helpers/events';
import { mockedPipelineConfig } from '../helpers/pipeline-config';
import { image } from '../helpers/stream-events';

const config = mockedPipelineConfig();
const settings = { pendingSweepMinutes: 15, maxSweeps: 3, backlogPatienceMinutes: 360 };

let ddb: ReturnType<typeof mockDynamo>;
const sqs = mockClient(SQSClient);
const OLD = '2026-01-01T00:00:00.000Z';

beforeEach(() => {
  ddb = mockDynamo();
  sqs.reset();
  ddb.on(QueryCommand).resolves({ Items: [] });
  ddb.on(UpdateCommand).resolves({});
  sqs.on(GetQueueAttributesCommand).resolves({ Attributes: { ApproximateNumberOfMessages: '0' } });
  sqs.on(SendMessageBatchCommand).resolves({ Successful: [], Failed: [] });
  sqs.on(SendMessageCommand).resolves({});
});
afterEach(() => ddb.restore());

/** One pending-index entry in the shard of its SKU, and the item behind it. */
function pendingSet(sku: string, sweeps: number, images = [image(7), image(8, { status: 'ready' })]) {
  ddb.on(QueryCommand).callsFake((input: { ExpressionAttributeValues: Record<string, string> }) => ({
    Items:
      input.ExpressionAttributeValues[':partition'] === PENDING_PARTITIONS[0]
        ? [{ ...keys.sku(sku), pendingPk: PENDING_PARTITIONS[0], pendingSince: OLD, version: 'v', sweeps }]
        : [],
  }));
  ddb.on(GetCommand, { Key: keys.sku(sku) }).resolves({
    Item: { ...keys.sku(sku), sku, version: 'v', revision: 4, writer: 'api', images },
  });
}

const sweep = () =>
  createSweepPendingHandler(
    createSweepDependencies(
      { ...config, renderQueueUrl: config.renderQueueUrl ?? '' },
      {
        sqs: new SQSClient({ region: 'eu-west-1' }),
      },
    ),
    settings,
  )({ time: new Date().toISOString(), detail: {} }, lambdaContext());

describe('the pending sweeper with mocked AWS clients', () => {
  it('queries every shard of the pending index (never scans) for sets pending 15 minutes, and enqueues their pending images', async () => {
    pendingSet('A', 0);
    await sweep();
    const all = ddb.commandCalls(QueryCommand).map((call) => call.args[0].input);
    // Every deletion partition too, for deletions a stopped worker left (older than the takeover time).
    const deletions = all.filter((query) =>
      DELETION_PARTITIONS.includes(String(query.ExpressionAttributeValues?.[':partition'])),
    );
    expect(deletions).toHaveLength(DELETION_PARTITIONS.length);
    for (const query of deletions) {
      const before = Date.parse(String(query.ExpressionAttributeValues?.[':before']));
      expect(Date.now() - before).toBeGreaterThanOrEqual(STALE_DELETION_MS - 1_000);
    }
    const queries = all.filter((query) => !deletions.includes(query));
    expect(queries).toHaveLength(PENDING_PARTITIONS.length);
    for (const query of all) expect(query.IndexName).toBe(TABLE_SCHEMA.pendingIndex.name);
    for (const query of queries) {
      const before = Date.parse(String(query.ExpressionAttributeValues?.[':before']));
      expect(Date.now() - before).toBeGreaterThanOrEqual(15 * 60_000 - 1_000);
    }
    const [batch] = sqs.commandCalls(SendMessageBatchCommand).map((call) => call.args[0].input);
    expect(batch?.Entries?.map((entry) => JSON.parse(entry.MessageBody ?? ''))).toEqual([
      { v: 1, sku: 'A', imageId: 7, origin: 'sweep' },
    ]);
    const [touch] = ddb.commandCalls(UpdateCommand).map((call) => call.args[0].input);
    expect(touch?.ConditionExpression).toContain('#version = :version');
    expect(touch?.ExpressionAttributeValues).toMatchObject({ ':sweeps': 1, ':version': 'v' });
  });

  it('does not record the sweep when SQS refuses the jobs, so the next sweep enqueues them again', async () => {
    pendingSet('A', 1);
    sqs.on(SendMessageBatchCommand).resolves({
      Successful: [],
      Failed: [{ Id: '0', Code: 'InternalError', SenderFault: false }],
    });
    await sweep();
    expect(ddb.commandCalls(UpdateCommand)).toEqual([]);
  });

  it('while jobs wait in the queue, only enqueues again sets pending 6 hours and fails none; fails the run when the backlog cannot be read', async () => {
    // At its last sweep: without jobs waiting, its image would be failed.
    pendingSet('A', 3);
    sqs.on(GetQueueAttributesCommand).resolves({ Attributes: { ApproximateNumberOfMessages: '12' } });
    await sweep();
    const queries = ddb
      .commandCalls(QueryCommand)
      .map((call) => call.args[0].input)
      .filter((query) =>
        PENDING_PARTITIONS.includes(String(query.ExpressionAttributeValues?.[':partition'])),
      );
    expect(queries).toHaveLength(PENDING_PARTITIONS.length);
    for (const query of queries) {
      const before = Date.parse(String(query.ExpressionAttributeValues?.[':before']));
      expect(Date.now() - before).toBeGreaterThanOrEqual(360 * 60_000 - 1_000);
      expect(Date.now() - before).toBeLessThan(361 * 60_000);
    }
    const [batch] = sqs.commandCalls(SendMessageBatchCommand).map((call) => call.args[0].input);
    expect(batch?.Entries?.map((entry) => JSON.parse(entry.MessageBody ?? ''))).toEqual([
      { v: 1, sku: 'A', imageId: 7, origin: 'sweep' },
    ]);
    expect(sqs.commandCalls(SendMessageCommand)).toEqual([]);
    const updates = ddb.commandCalls(UpdateCommand).map((call) => call.args[0].input);
    expect(updates).toHaveLength(1);
    expect(updates[0]?.ExpressionAttributeValues).toMatchObject({ ':sweeps': 4 });

    sqs.on(GetQueueAttributesCommand).rejects(
      new SQSServiceException({
        name: 'ServiceUnavailable',
        $fault: 'server',
        $metadata: {},
        message: 'down',
      }),
    );
    await expect(sweep()).rejects.toThrow();
  });

  it('after the last sweep fails the images still pending with a dead letter first, then announces the set', async () => {
    pendingSet('A', 3);
    await sweep();
    const letter = JSON.parse(sqs.commandCalls(SendMessageCommand)[0]?.args[0].input.MessageBody ?? '{}');
    expect(letter).toMatchObject({
      kind: 'image-copy-failed',
      sku: 'A',
      imageId: 7,
      reason: 'image never settled',
    });
    const [failed] = ddb.commandCalls(UpdateCommand).map((call) => call.args[0].input);
    expect(failed?.ExpressionAttributeValues).toMatchObject({
      ':status': 'failed',
      ':error': 'image never settled',
    });
    expect(sqs.commandCalls(SendMessageBatchCommand)).toEqual([]);
  });

  it('leaves a set whose item cannot be read for the next sweep, and goes on with the run', async () => {
    pendingSet('A', 0);
    ddb.on(GetCommand, { Key: keys.sku('A') }).rejects(dynamoErrors.throttled());
    await expect(sweep()).resolves.toBeUndefined();
    expect(sqs.commandCalls(SendMessageBatchCommand)).toEqual([]);
  });
});
