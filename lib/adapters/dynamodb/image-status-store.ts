import { type DynamoDBDocumentClient, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import type { ImageSet, StoredImage } from '../../domain/image';
import {
  type ImageProgress,
  type ImageStatusStore,
  isPendingAs,
  type PendingState,
} from '../../pipeline/ports';
import { withStorageErrors } from './client';
import { DynamoImageSetRepository } from './image-set-repository';
import { keys, TABLE_SCHEMA, WRITERS } from './table-schema';

/** Every field the pipeline owns on an image; a field not given in a record is removed. */
const PROGRESS_FIELDS = [
  'status',
  'object_key',
  'cdn_url',
  'error',
  'width',
  'height',
  'bytes',
  'content_type',
  'content_sha256',
  'previous_sha256',
  'thumbhash',
  'dominant_color',
  'variants',
  'tiles',
  'swatches',
  'attempts',
] as const;

/** What a conditional write expects the image to be: `ready` on a hash, or `pending` as a writer read it. */
type Unchanged =
  | { status: 'ready'; expectedSha256: string | null }
  | { status: 'pending'; from: PendingState };

/** A POST may move the image between our read and our write; this many reads to find it again. */
const MAX_LOCATE_ATTEMPTS = 5;

/**
 * Records pipeline progress on one image inside its SKU's item. The write is conditional on the image
 * still sitting at the index we found it, so it never lands on another image; it raises `revision`, so
 * a POST computed before it retries instead of overwriting it, and leaves `version` (the ETag) alone.
 */
export class DynamoImageStatusStore implements ImageStatusStore {
  private readonly sets: DynamoImageSetRepository;

  constructor(
    private readonly client: DynamoDBDocumentClient,
    private readonly tableName: string,
  ) {
    this.sets = new DynamoImageSetRepository(client, tableName);
  }

  find(sku: string): Promise<ImageSet | null> {
    return this.sets.find(sku);
  }

  record(
    sku: string,
    imageId: number,
    progress: ImageProgress,
    lastRead?: ImageSet | null,
  ): Promise<boolean> {
    return this.writeLocated(sku, imageId, progress, { lastRead });
  }

  recordIfUnchanged(
    sku: string,
    imageId: number,
    expectedSha256: string | null,
    progress: ImageProgress,
  ): Promise<boolean> {
    return this.writeLocated(sku, imageId, progress, {
      expected: (image) => image?.status === 'ready' && (image.content_sha256 ?? null) === expectedSha256,
      unchanged: { status: 'ready', expectedSha256 },
    });
  }

  advance(
    sku: string,
    imageId: number,
    from: PendingState,
    progress: ImageProgress,
    lastRead?: ImageSet | null,
  ): Promise<boolean> {
    return this.writeLocated(sku, imageId, progress, {
      lastRead,
      // The condition is the judge; a read after a refusal tells a moved image from one moved on.
      expected: (image, attempt) => attempt === 0 || isPendingAs(image, from),
      unchanged: { status: 'pending', from },
    });
  }

  /**
   * Finds the image (in `lastRead` first, then read again), and writes `progress` at its index under
   * `unchanged`'s condition. A refused write is read again: an image a POST moved is written where it
   * now is; one that is gone, or no longer `expected`, is left alone (false).
   */
  private async writeLocated(
    sku: string,
    imageId: number,
    progress: ImageProgress,
    options: {
      lastRead?: ImageSet | null;
      expected?: (image: StoredImage | undefined, attempt: number) => boolean;
      unchanged?: Unchanged;
    },
  ): Promise<boolean> {
    for (let attempt = 0; attempt < MAX_LOCATE_ATTEMPTS; attempt++) {
      const set = attempt === 0 && options.lastRead !== undefined ? options.lastRead : await this.find(sku);
      const index = set?.images.findIndex((image) => image.id === imageId) ?? -1;
      if (index < 0) return false;
      if (options.expected && !options.expected(set?.images[index], attempt)) return false;
      try {
        await withStorageErrors(() =>
          this.client.send(this.update(sku, index, imageId, progress, options.unchanged)),
        );
        return true;
      } catch (error) {
        if ((error as Error).name !== 'ConditionalCheckFailedException') throw error;
      }
    }
    throw Object.assign(new Error('image kept moving while its status was recorded'), {
      name: 'ThrottlingException',
    });
  }

  /**
   * `announcedVersion` is set to `version` only while `version` is the item's and differs from what was
   * announced: of any number of workers checking the same settled version, exactly one wins. Written as
   * the announcer: its stream record, and only it, makes the stream consumer publish the event (the
   * outbox), so a stop right after the mark loses nothing. Leaves `version` and the ETag alone; a
   * settled set leaves the pending index with the same write.
   */
  async markAnnounced(sku: string, version: string): Promise<boolean> {
    try {
      await withStorageErrors(() =>
        this.client.send(
          new UpdateCommand({
            TableName: this.tableName,
            Key: keys.sku(sku),
            UpdateExpression:
              'SET #announced = :version, #announcedAt = :now, #revision = #revision + :one, #writer = :announcer REMOVE #pendingPk, #pendingSince, #sweeps',
            ConditionExpression:
              '#version = :version AND (attribute_not_exists(#announced) OR #announced <> :version)',
            ExpressionAttributeNames: {
              '#announced': 'announcedVersion',
              '#announcedAt': 'announcedAt',
              '#version': 'version',
              '#revision': 'revision',
              '#writer': 'writer',
              '#pendingPk': TABLE_SCHEMA.pendingIndex.partitionKey,
              '#pendingSince': TABLE_SCHEMA.pendingIndex.sortKey,
              '#sweeps': 'sweeps',
            },
            ExpressionAttributeValues: {
              ':version': version,
              ':one': 1,
              ':announcer': WRITERS.announcer,
              ':now': new Date().toISOString(),
            },
          }),
        ),
      );
      return true;
    } catch (error) {
      if ((error as Error).name === 'ConditionalCheckFailedException') return false;
      throw error;
    }
  }

  private update(
    sku: string,
    index: number,
    imageId: number,
    progress: ImageProgress,
    unchanged?: Unchanged,
  ): UpdateCommand {
    const names: Record<string, string> = {
      '#images': 'images',
      '#id': 'id',
      '#revision': 'revision',
      '#writer': 'writer',
    };
    const values: Record<string, unknown> = { ':id': imageId, ':one': 1, ':pipeline': WRITERS.pipeline };
    const set = ['#revision = #revision + :one', '#writer = :pipeline'];
    const remove: string[] = [];
    for (const field of PROGRESS_FIELDS) {
      names[`#${field}`] = field;
      const value = progress[field];
      if (value === undefined) remove.push(`#images[${index}].#${field}`);
      else {
        values[`:${field}`] = value;
        set.push(`#images[${index}].#${field} = :${field}`);
      }
    }
    const conditions = [`#images[${index}].#id = :id`];
    if (unchanged) {
      values[':expected_status'] = unchanged.status;
      conditions.push(`#images[${index}].#status = :expected_status`);
      const expectedSha256 = unchanged.status === 'ready' ? unchanged.expectedSha256 : unchanged.from.sha256;
      if (expectedSha256 === null) {
        conditions.push(`attribute_not_exists(#images[${index}].#content_sha256)`);
      } else {
        values[':expected_sha256'] = expectedSha256;
        conditions.push(`#images[${index}].#content_sha256 = :expected_sha256`);
      }
      if (unchanged.status === 'pending') {
        // Attempts start absent: none so far.
        values[':expected_attempts'] = unchanged.from.attempts;
        conditions.push(
          unchanged.from.attempts === 0
            ? `(attribute_not_exists(#images[${index}].#attempts) OR #images[${index}].#attempts = :expected_attempts)`
            : `#images[${index}].#attempts = :expected_attempts`,
        );
      }
    }
    return new UpdateCommand({
      TableName: this.tableName,
      Key: keys.sku(sku),
      UpdateExpression: `SET ${set.join(', ')}${remove.length ? ` REMOVE ${remove.join(', ')}` : ''}`,
      ConditionExpression: conditions.join(' AND '),
      ExpressionAttributeNames: names,
      ExpressionAttributeValues: values,
    });
  }
}
