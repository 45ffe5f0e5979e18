import { UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createDocumentClient } from '../../lib/adapters/dynamodb/client';
import { LeasedBlockIdAllocator } from '../../lib/adapters/dynamodb/id-allocator';
import { StorageUnavailableError } from '../../lib/domain/errors';
import { dynamoErrors, mockDynamo } from '../helpers/dynamo-mock';

let ddb: ReturnType<typeof mockDynamo>;
let counter: number;
beforeEach(() => {
  ddb = mockDynamo();
  counter = 0;
  ddb.on(UpdateCommand).callsFake((input: { ExpressionAttributeValues: { ':size': number } }) => {
    counter += input.ExpressionAttributeValues[':size'];
    return { Attributes: { value: counter } };
  });
});
afterEach(() => ddb.restore());

const allocator = (blockSize: number) =>
  new LeasedBlockIdAllocator(createDocumentClient({ region: 'eu-west-1' }), 'unit-test-table', blockSize);

describe('LeasedBlockIdAllocator', () => {
  it('writes the counter once per block, not per request', async () => {
    const ids = allocator(10);
    const taken = [];
    for (let i = 0; i < 9; i++) taken.push(...(await ids.take(3)));
    expect(taken).toEqual(Array.from({ length: 27 }, (_, i) => i + 1));
    expect(ddb.commandCalls(UpdateCommand)).toHaveLength(3);
  });

  it('never hands out an id twice to concurrent callers, nor across processes', async () => {
    const first = allocator(5);
    const second = allocator(5);
    const batches = await Promise.all(
      Array.from({ length: 20 }, (_, i) => (i % 2 ? first : second).take((i % 4) + 1)),
    );
    const all = batches.flat();
    expect(new Set(all).size).toBe(all.length);
    expect(Math.min(...all)).toBeGreaterThan(0);
  });

  it('leases a bigger block when one request needs more than a block', async () => {
    const ids = await allocator(2).take(7);
    expect(ids).toEqual([1, 2, 3, 4, 5, 6, 7]);
  });

  it('surfaces throttling as unavailability and recovers on the next call', async () => {
    ddb
      .on(UpdateCommand)
      .rejectsOnce(dynamoErrors.throttled())
      .resolves({ Attributes: { value: 100 } });
    const ids = allocator(100);
    await expect(ids.take(1)).rejects.toBeInstanceOf(StorageUnavailableError);
    await expect(ids.take(1)).resolves.toEqual([1]);
  });
});
