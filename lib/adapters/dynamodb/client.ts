import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import {
  DynamoDBDocumentClient,
  GetCommand,
  ScanCommand,
  type ScanCommandInput,
} from '@aws-sdk/lib-dynamodb';
import { StorageUnavailableError } from '../../domain/errors';
import { hooked } from '../client-hooks';

export interface DynamoConnection {
  region?: string;
  /** Set in local mode and tests (DynamoDB Local); unset when deployed. */
  endpoint?: string;
}

export function createDocumentClient(connection: DynamoConnection): DynamoDBDocumentClient {
  const client = hooked(
    new DynamoDBClient({
      region: connection.region,
      ...(connection.endpoint
        ? { endpoint: connection.endpoint, credentials: { accessKeyId: 'local', secretAccessKey: 'local' } }
        : {}),
    }),
    'dynamodb',
  );
  return DynamoDBDocumentClient.from(client, { marshallOptions: { removeUndefinedValues: true } });
}

/** Transient refusals: throttling, and a write meeting a transaction in progress on its item. */
const THROTTLING = new Set([
  'ProvisionedThroughputExceededException',
  'TransactionConflictException',
  'ThrottlingException',
  'RequestLimitExceeded',
  'LimitExceededException',
]);

interface SdkErrorShape {
  name?: string;
  $fault?: string;
  $metadata?: { httpStatusCode?: number };
}

/** Throttling and server-side failures that outlived the SDK's own retries become a clean 503. */
export function isUnavailable(error: unknown): boolean {
  if (typeof error !== 'object' || error === null) return false;
  const shape = error as SdkErrorShape;
  return (
    THROTTLING.has(shape.name ?? '') ||
    shape.$fault === 'server' ||
    (shape.$metadata?.httpStatusCode ?? 0) >= 500
  );
}

export type Item = Record<string, unknown>;

/**
 * Every item of a paged read (a Scan or a Query), page after page: `page` reads the page that starts
 * at the key given (none: the first).
 */
export async function* everyItem(
  page: (start: Item | undefined) => Promise<{ Items?: Item[]; LastEvaluatedKey?: Item }>,
): AsyncIterable<Item> {
  let start: Item | undefined;
  do {
    const result = await withStorageErrors(() => page(start));
    for (const item of result.Items ?? []) yield item;
    start = result.LastEvaluatedKey;
  } while (start);
}

/** Items one Scan page reads at most: small pages keep an operator's walk from starving the API. */
const SCAN_PAGE_SIZE = 100;

/** Every item a filtered Scan finds, page after page. For operators' commands: the API and the pipeline never scan. */
export function scanEvery(
  client: DynamoDBDocumentClient,
  scan: Pick<ScanCommandInput, 'TableName' | 'FilterExpression' | 'ExpressionAttributeValues'>,
): AsyncIterable<Item> {
  return everyItem((start) =>
    client.send(new ScanCommand({ ...scan, ExclusiveStartKey: start, Limit: SCAN_PAGE_SIZE })),
  );
}

/** A conditional write whose condition did not hold. */
export function isConditionFailure(error: unknown): boolean {
  return (error as Error | undefined)?.name === 'ConditionalCheckFailedException';
}

/** One item by key, read strongly consistent; undefined when there is none. */
export function readItem(
  client: DynamoDBDocumentClient,
  tableName: string,
  key: Record<string, unknown>,
): Promise<Record<string, unknown> | undefined> {
  return withStorageErrors(async () => {
    const { Item } = await client.send(
      new GetCommand({ TableName: tableName, Key: key, ConsistentRead: true }),
    );
    return Item;
  });
}

export async function withStorageErrors<T>(operation: () => Promise<T>): Promise<T> {
  try {
    return await operation();
  } catch (error) {
    if (isUnavailable(error)) throw new StorageUnavailableError((error as SdkErrorShape).name ?? 'unknown');
    throw error;
  }
}
