import {
  BatchGetCommand,
  DeleteCommand,
  type DynamoDBDocumentClient,
  PutCommand,
  QueryCommand,
  UpdateCommand,
} from '@aws-sdk/lib-dynamodb';
import { type ApiKeyRecord, DuplicateKeyNameError, type TokenStore } from '../../auth/token-store';
import { readItem } from './client';
import { keyHashOfKey, keys, LIST_PARTITION, TABLE_SCHEMA } from './table-schema';

function toRecord(item: Record<string, unknown>): ApiKeyRecord {
  return {
    name: String(item.name),
    keyHash: String(item.keyHash),
    lastFour: String(item.lastFour),
    createdAt: String(item.createdAt),
    ...(typeof item.usagePlan === 'string' ? { usagePlan: item.usagePlan } : {}),
    ...(typeof item.usageKeyId === 'string' ? { usageKeyId: item.usageKeyId } : {}),
    ...(typeof item.usageKey === 'string' ? { usageKey: item.usageKey } : {}),
  };
}

/** API keys in the service's table, found by the hash of the key; listed through the list index. */
export class DynamoTokenStore implements TokenStore {
  constructor(
    private readonly client: DynamoDBDocumentClient,
    private readonly tableName: string,
  ) {}

  async findByHash(keyHash: string): Promise<ApiKeyRecord | null> {
    const item = await readItem(this.client, this.tableName, keys.apiKey(keyHash));
    return item ? toRecord(item) : null;
  }

  async create(record: ApiKeyRecord): Promise<void> {
    if ((await this.hashesNamed(record.name)).length > 0) throw new DuplicateKeyNameError(record.name);
    await this.client.send(
      new PutCommand({
        TableName: this.tableName,
        Item: {
          ...keys.apiKey(record.keyHash),
          ...record,
          listPk: LIST_PARTITION.apiKeys,
          listSk: record.name,
        },
        ConditionExpression: 'attribute_not_exists(pk)',
      }),
    );
  }

  async list(): Promise<ApiKeyRecord[]> {
    const hashes = await this.hashesNamed();
    const records: ApiKeyRecord[] = [];
    for (let start = 0; start < hashes.length; start += 100) {
      const { Responses } = await this.client.send(
        new BatchGetCommand({
          RequestItems: { [this.tableName]: { Keys: hashes.slice(start, start + 100).map(keys.apiKey) } },
        }),
      );
      records.push(...(Responses?.[this.tableName] ?? []).map(toRecord));
    }
    return records.sort((a, b) => a.name.localeCompare(b.name));
  }

  async setUsage(
    name: string,
    usage: Pick<ApiKeyRecord, 'usagePlan' | 'usageKeyId' | 'usageKey'>,
  ): Promise<number> {
    const hashes = await this.hashesNamed(name);
    for (const hash of hashes) {
      await this.client.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: keys.apiKey(hash),
          UpdateExpression: 'SET usagePlan = :plan, usageKeyId = :id, usageKey = :key',
          ConditionExpression: 'attribute_exists(pk)',
          ExpressionAttributeValues: {
            ':plan': usage.usagePlan,
            ':id': usage.usageKeyId,
            ':key': usage.usageKey,
          },
        }),
      );
    }
    return hashes.length;
  }

  async revoke(name: string): Promise<number> {
    const hashes = await this.hashesNamed(name);
    for (const keyHash of hashes) {
      await this.client.send(new DeleteCommand({ TableName: this.tableName, Key: keys.apiKey(keyHash) }));
    }
    return hashes.length;
  }

  /** Key hashes from the list index, all of them or those of one name. */
  private async hashesNamed(name?: string): Promise<string[]> {
    const hashes: string[] = [];
    let startKey: Record<string, unknown> | undefined;
    do {
      const page = await this.client.send(
        new QueryCommand({
          TableName: this.tableName,
          IndexName: TABLE_SCHEMA.listIndex.name,
          KeyConditionExpression: name === undefined ? '#p = :p' : '#p = :p AND #s = :s',
          ExpressionAttributeNames: {
            '#p': TABLE_SCHEMA.listIndex.partitionKey,
            ...(name === undefined ? {} : { '#s': TABLE_SCHEMA.listIndex.sortKey }),
          },
          ExpressionAttributeValues: {
            ':p': LIST_PARTITION.apiKeys,
            ...(name === undefined ? {} : { ':s': name }),
          },
          ExclusiveStartKey: startKey,
        }),
      );
      for (const item of page.Items ?? []) hashes.push(keyHashOfKey(String(item.pk)));
      startKey = page.LastEvaluatedKey;
    } while (startKey);
    return hashes;
  }
}
