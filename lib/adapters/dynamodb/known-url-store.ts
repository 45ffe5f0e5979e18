import { createHash } from 'node:crypto';
import { type DynamoDBDocumentClient, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import type { Validators } from '../../pipeline/image-fetcher';
import type { KnownUrl, KnownUrlStore } from '../../pipeline/ports';
import { isConditionFailure, readItem, withStorageErrors } from './client';
import { keys } from './table-schema';

/** The item of a URL: keyed by the URL's hash, so any URL (up to the API's length limit) fits a key. */
const urlKey = (url: string) => keys.knownUrl(createHash('sha256').update(url, 'utf8').digest('hex'));

/**
 * Image URLs the pipeline fetched, one `URL#<sha256 of the URL>` item each (see table-schema.ts). Not a
 * SKU item and written without `writer`, so its writes start nothing on the table's stream.
 */
export class DynamoKnownUrlStore implements KnownUrlStore {
  constructor(
    private readonly client: DynamoDBDocumentClient,
    private readonly tableName: string,
  ) {}

  async find(url: string): Promise<KnownUrl | null> {
    const item = await readItem(this.client, this.tableName, urlKey(url));
    // A hash collision would need two URLs with one SHA-256: the stored URL is compared all the same.
    if (!item || item.url !== url) return null;
    return {
      url,
      sha256: typeof item.sha256 === 'string' ? item.sha256 : null,
      validators: {
        etag: typeof item.etag === 'string' ? item.etag : undefined,
        lastModified: typeof item.lastModified === 'string' ? item.lastModified : undefined,
      },
    };
  }

  async claimFirstFetch(url: string, holder: string, now: number, leaseMs: number): Promise<boolean> {
    try {
      await withStorageErrors(() =>
        this.client.send(
          new UpdateCommand({
            TableName: this.tableName,
            Key: urlKey(url),
            UpdateExpression: 'SET #url = :url, #lease = :until, #holder = :holder',
            ConditionExpression:
              'attribute_not_exists(#sha256) AND (attribute_not_exists(#lease) OR #lease < :now OR #holder = :holder)',
            ExpressionAttributeNames: {
              '#url': 'url',
              '#lease': 'fetchLeaseUntil',
              '#holder': 'fetchLeaseHolder',
              '#sha256': 'sha256',
            },
            ExpressionAttributeValues: {
              ':url': url,
              ':until': now + leaseMs,
              ':now': now,
              ':holder': holder,
            },
          }),
        ),
      );
      return true;
    } catch (error) {
      if (isConditionFailure(error)) return false;
      throw error;
    }
  }

  async remember(url: string, sha256: string, validators: Validators): Promise<void> {
    const set = ['#url = :url', '#sha256 = :sha256', '#updatedAt = :now'];
    const remove = ['#lease', '#holder'];
    const values: Record<string, unknown> = {
      ':url': url,
      ':sha256': sha256,
      ':now': new Date().toISOString(),
    };
    for (const name of ['etag', 'lastModified'] as const) {
      const value = validators[name];
      if (value === undefined) remove.push(`#${name}`);
      else {
        set.push(`#${name} = :${name}`);
        values[`:${name}`] = value;
      }
    }
    await withStorageErrors(() =>
      this.client.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: urlKey(url),
          UpdateExpression: `SET ${set.join(', ')} REMOVE ${remove.join(', ')}`,
          ExpressionAttributeNames: {
            '#url': 'url',
            '#sha256': 'sha256',
            '#updatedAt': 'updatedAt',
            '#lease': 'fetchLeaseUntil',
            '#holder': 'fetchLeaseHolder',
            '#etag': 'etag',
            '#lastModified': 'lastModified',
          },
          ExpressionAttributeValues: values,
        }),
      ),
    );
  }

  async releaseFirstFetch(url: string): Promise<void> {
    await withStorageErrors(() =>
      this.client.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: urlKey(url),
          UpdateExpression: 'REMOVE #lease, #holder',
          ConditionExpression: 'attribute_exists(#url)',
          ExpressionAttributeNames: {
            '#lease': 'fetchLeaseUntil',
            '#holder': 'fetchLeaseHolder',
            '#url': 'url',
          },
        }),
      ),
    ).catch((error: unknown) => {
      if (!isConditionFailure(error)) throw error;
    });
  }
}
