import {
  DeleteCommand,
  type DynamoDBDocumentClient,
  UpdateCommand,
  type UpdateCommandInput,
  type UpdateCommandOutput,
} from '@aws-sdk/lib-dynamodb';
import type { ContentFacts, ContentRecord, ContentStore } from '../../pipeline/ports';
import { readItem, withStorageErrors } from './client';
import { pendingEntriesBefore } from './pending-index';
import { contentOfKey, DELETION_PARTITIONS, deletionPartition, keys, TABLE_SCHEMA } from './table-schema';

export interface ContentItem {
  refs?: Set<number>;
  facts?: ContentFacts;
  renderError?: string;
  leaseUntil?: number;
  deletingSince?: number;
}

export function toRecord(sha256: string, item: ContentItem): ContentRecord {
  return {
    sha256,
    references: [...(item.refs ?? [])].map(Number),
    facts: item.facts ?? null,
    renderError: item.renderError ?? null,
    leaseUntil: item.leaseUntil ?? null,
    deletingSince: item.deletingSince ?? null,
  };
}

/** A conditional write's outcome: null when its condition did not hold, nothing written. */
async function unlessConditionFailed<T>(write: Promise<T>): Promise<T | null> {
  try {
    return await write;
  } catch (error) {
    if ((error as Error).name === 'ConditionalCheckFailedException') return null;
    throw error;
  }
}

type ContentUpdate = Omit<UpdateCommandInput, 'TableName' | 'Key'>;

const PENDING = TABLE_SCHEMA.pendingIndex;

/**
 * A content being deleted carries the sparse pending index's keys, in a partition of its own per
 * first hex digit of its hash, so the sweeper finds deletions a stopped worker left without a scan;
 * `finishDeletion` removes the item and its entry with it.
 */
const DELETION_INDEX_SET =
  '#deletionPk = if_not_exists(#deletionPk, :deletionPk), #deletionSince = if_not_exists(#deletionSince, :deletionSince)';
const DELETION_INDEX_NAMES = { '#deletionPk': PENDING.partitionKey, '#deletionSince': PENDING.sortKey };
function deletionIndexValues(sha256: string, now = Date.now()) {
  return { ':deletionPk': deletionPartition(sha256), ':deletionSince': new Date(now).toISOString() };
}

/**
 * One `CONTENT#<sha256>` item per distinct original. References are a number set of image ids: DynamoDB
 * applies `ADD` and `DELETE` on a set atomically, and removes the attribute when the set empties, so
 * "unreferenced" is `attribute_not_exists(refs)`. A content marked `deletingSince` refuses new references
 * until `finishDeletion` removes the item, which happens only after its objects are gone: an image can
 * therefore never hold a reference to a content whose objects are being deleted.
 */
export class DynamoContentStore implements ContentStore {
  constructor(
    private readonly client: DynamoDBDocumentClient,
    private readonly tableName: string,
  ) {}

  async acquire(sha256: string, imageId: number): Promise<ContentRecord | null> {
    const written = await unlessConditionFailed(
      this.update(sha256, {
        UpdateExpression: 'ADD #refs :ref',
        ConditionExpression: 'attribute_not_exists(#deleting)',
        ExpressionAttributeNames: { '#refs': 'refs', '#deleting': 'deletingSince' },
        ExpressionAttributeValues: { ':ref': new Set([imageId]) },
        ReturnValues: 'ALL_NEW',
      }),
    );
    return written ? toRecord(sha256, (written.Attributes ?? {}) as ContentItem) : null;
  }

  async find(sha256: string): Promise<ContentRecord | null> {
    const item = await readItem(this.client, this.tableName, keys.content(sha256));
    return item ? toRecord(sha256, item as ContentItem) : null;
  }

  async claimRender(sha256: string, now: number, leaseMs: number, holder = ''): Promise<boolean> {
    const written = await unlessConditionFailed(
      this.update(sha256, {
        UpdateExpression: 'SET #lease = :until, #holder = :holder',
        ConditionExpression:
          'attribute_exists(#refs) AND attribute_not_exists(#facts) AND attribute_not_exists(#error) ' +
          `AND (attribute_not_exists(#lease) OR #lease < :now${holder ? ' OR #holder = :holder' : ''})`,
        ExpressionAttributeNames: {
          '#lease': 'leaseUntil',
          '#holder': 'leaseHolder',
          '#refs': 'refs',
          '#facts': 'facts',
          '#error': 'renderError',
        },
        ExpressionAttributeValues: { ':until': now + leaseMs, ':now': now, ':holder': holder },
      }),
    );
    return written !== null;
  }

  async completeRender(sha256: string, facts: ContentFacts): Promise<void> {
    await this.settle(sha256, 'SET #facts = :value REMOVE #lease, #holder', { '#facts': 'facts' }, facts);
  }

  async failRender(sha256: string, reason: string): Promise<void> {
    await this.settle(
      sha256,
      'SET #error = :value REMOVE #lease, #holder',
      { '#error': 'renderError' },
      reason,
    );
  }

  async extendRender(sha256: string, previousKey: string | null, facts: ContentFacts): Promise<boolean> {
    const written = await unlessConditionFailed(
      this.update(sha256, {
        UpdateExpression: 'SET #facts = :facts',
        ConditionExpression:
          'attribute_exists(#refs) AND attribute_not_exists(#deleting) AND attribute_exists(#facts) AND ' +
          (previousKey === null ? 'attribute_not_exists(#facts.#key)' : '#facts.#key = :previous'),
        ExpressionAttributeNames: {
          '#facts': 'facts',
          '#key': 'original_key',
          '#refs': 'refs',
          '#deleting': 'deletingSince',
        },
        ExpressionAttributeValues: {
          ':facts': facts,
          ...(previousKey === null ? {} : { ':previous': previousKey }),
        },
      }),
    );
    return written !== null;
  }

  async dropLease(sha256: string): Promise<void> {
    await unlessConditionFailed(
      this.update(sha256, {
        UpdateExpression: 'REMOVE #lease, #holder',
        ConditionExpression: 'attribute_exists(pk)',
        ExpressionAttributeNames: { '#lease': 'leaseUntil', '#holder': 'leaseHolder' },
      }),
    );
  }

  async release(sha256: string, imageId: number): Promise<number> {
    for (;;) {
      // The last reference: removed, and the deletion marked, in one write.
      const last = await unlessConditionFailed(
        this.update(sha256, {
          UpdateExpression: `DELETE #refs :ref SET #deleting = if_not_exists(#deleting, :now), ${DELETION_INDEX_SET}`,
          ConditionExpression: 'attribute_exists(pk) AND size(#refs) = :one AND contains(#refs, :id)',
          ExpressionAttributeNames: {
            '#refs': 'refs',
            '#deleting': 'deletingSince',
            ...DELETION_INDEX_NAMES,
          },
          ExpressionAttributeValues: {
            ':ref': new Set([imageId]),
            ':id': imageId,
            ':one': 1,
            ':now': Date.now(),
            ...deletionIndexValues(sha256),
          },
        }),
      );
      if (last) return 0;
      // Not the last (or not held at all): removed alone.
      const other = await unlessConditionFailed(
        this.update(sha256, {
          UpdateExpression: 'DELETE #refs :ref',
          ConditionExpression: 'attribute_exists(pk) AND (NOT contains(#refs, :id) OR size(#refs) > :one)',
          ExpressionAttributeNames: { '#refs': 'refs' },
          ExpressionAttributeValues: { ':ref': new Set([imageId]), ':id': imageId, ':one': 1 },
          ReturnValues: 'ALL_NEW',
        }),
      );
      if (other) return (other.Attributes as ContentItem | undefined)?.refs?.size ?? 0;
      // Neither held: the content is gone, or its references changed between the two; read again.
      if (!(await this.find(sha256))) return 0;
    }
  }

  async *deletionsBefore(before: number): AsyncIterable<string> {
    for (const partition of DELETION_PARTITIONS) {
      const items = pendingEntriesBefore(
        this.client,
        this.tableName,
        partition,
        new Date(before).toISOString(),
      );
      for await (const item of items) {
        const sha = contentOfKey(String(item[TABLE_SCHEMA.partitionKey]));
        if (sha) yield sha;
      }
    }
  }

  async beginDeletion(sha256: string, now: number): Promise<boolean> {
    const written = await unlessConditionFailed(
      this.update(sha256, {
        UpdateExpression: `SET #deleting = if_not_exists(#deleting, :now), ${DELETION_INDEX_SET}`,
        ConditionExpression: 'attribute_exists(pk) AND attribute_not_exists(#refs)',
        ExpressionAttributeNames: { '#deleting': 'deletingSince', '#refs': 'refs', ...DELETION_INDEX_NAMES },
        ExpressionAttributeValues: { ':now': now, ...deletionIndexValues(sha256, now) },
      }),
    );
    return written !== null;
  }

  async finishDeletion(sha256: string): Promise<void> {
    await unlessConditionFailed(
      withStorageErrors(() =>
        this.client.send(
          new DeleteCommand({
            TableName: this.tableName,
            Key: keys.content(sha256),
            ConditionExpression: 'attribute_exists(#deleting) AND attribute_not_exists(#refs)',
            ExpressionAttributeNames: { '#deleting': 'deletingSince', '#refs': 'refs' },
          }),
        ),
      ),
    );
  }

  private update(sha256: string, input: ContentUpdate): Promise<UpdateCommandOutput> {
    return withStorageErrors(() =>
      this.client.send(new UpdateCommand({ TableName: this.tableName, Key: keys.content(sha256), ...input })),
    );
  }

  /** A render's outcome lands only while the content is referenced (its renderer holds a reference). */
  private async settle(
    sha256: string,
    expression: string,
    names: Record<string, string>,
    value: unknown,
  ): Promise<void> {
    await this.update(sha256, {
      UpdateExpression: expression,
      ConditionExpression: 'attribute_exists(#refs)',
      ExpressionAttributeNames: {
        ...names,
        '#refs': 'refs',
        '#lease': 'leaseUntil',
        '#holder': 'leaseHolder',
      },
      ExpressionAttributeValues: { ':value': value },
    });
  }
}
