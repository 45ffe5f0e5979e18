import { type DynamoDBDocumentClient, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import type { IdAllocator } from '../../domain/ports';
import { withStorageErrors } from './client';
import { keys } from './table-schema';

/**
 * Image ids from one atomic counter, leased in blocks: a process takes `blockSize` ids with one update
 * and hands them out from memory, so the counter item is written once per block, not per request.
 * Ids left in a block when the process ends are skipped, never reused.
 */
export class LeasedBlockIdAllocator implements IdAllocator {
  private nextId = 0;
  private lastId = -1;
  private queue: Promise<unknown> = Promise.resolve();

  constructor(
    private readonly client: DynamoDBDocumentClient,
    private readonly tableName: string,
    private readonly blockSize: number,
  ) {}

  take(count: number): Promise<number[]> {
    if (count === 0) return Promise.resolve([]);
    // Serialised, so concurrent requests in one process never lease twice for the same shortfall.
    const result = this.queue.then(() => this.takeInOrder(count));
    this.queue = result.catch(() => undefined);
    return result;
  }

  private async takeInOrder(count: number): Promise<number[]> {
    const ids: number[] = [];
    while (ids.length < count) {
      if (this.nextId > this.lastId) await this.leaseBlock(Math.max(this.blockSize, count - ids.length));
      ids.push(this.nextId++);
    }
    return ids;
  }

  private async leaseBlock(size: number): Promise<void> {
    const { Attributes } = await withStorageErrors(() =>
      this.client.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: keys.imageIdCounter,
          UpdateExpression: 'ADD #value :size',
          ExpressionAttributeNames: { '#value': 'value' },
          ExpressionAttributeValues: { ':size': size },
          ReturnValues: 'UPDATED_NEW',
        }),
      ),
    );
    const highest = Number(Attributes?.value);
    if (!Number.isSafeInteger(highest)) throw new Error('image id counter returned no value');
    this.nextId = highest - size + 1;
    this.lastId = highest;
  }
}
