import {
  ConditionalCheckFailedException,
  InternalServerError,
  ProvisionedThroughputExceededException,
  TransactionCanceledException,
} from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, GetCommand } from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { keys } from '../../lib/adapters/dynamodb/table-schema';
import { generateApiKey, hashApiKey } from '../../lib/auth/keys';
import { loadConfig } from '../../lib/config';
import { createApiDependencies } from '../../lib/service';

export const TABLE = 'unit-test-table';
export const API_KEY = generateApiKey();

export function mockDynamo() {
  const ddb = mockClient(DynamoDBDocumentClient);
  ddb.on(GetCommand).resolves({});
  ddb.on(GetCommand, { Key: keys.apiKey(hashApiKey(API_KEY)) }).resolves({
    Item: {
      ...keys.apiKey(hashApiKey(API_KEY)),
      name: 'shop',
      keyHash: hashApiKey(API_KEY),
      lastFour: 'abcd',
      createdAt: 'x',
    },
  });
  return ddb;
}

export function testDependencies(env: Record<string, string> = {}) {
  return createApiDependencies(
    loadConfig({
      TABLE_NAME: TABLE,
      AWS_REGION: 'eu-west-1',
      CDN_BASE_URL: 'https://cdn.example.test',
      PAGE_CURSOR_KEY: 'unit-test-cursor-key',
      LOG_LEVEL: 'silent',
      ...env,
    }),
  );
}

export const authorized = { Authorization: `Token ${API_KEY}`, 'Content-Type': 'application/json' };

const metadata = { $metadata: { httpStatusCode: 400 } };

export const dynamoErrors = {
  conditionFailed: () =>
    new ConditionalCheckFailedException({ message: 'The conditional request failed', ...metadata }),
  transactionConditionFailed: () =>
    new TransactionCanceledException({
      message: 'Transaction cancelled',
      CancellationReasons: [{ Code: 'ConditionalCheckFailed' }, { Code: 'None' }],
      ...metadata,
    }),
  throttled: () =>
    new ProvisionedThroughputExceededException({
      message: 'Rate of requests exceeds the allowed throughput',
      ...metadata,
    }),
  serverError: () =>
    new InternalServerError({ message: 'Internal server error', $metadata: { httpStatusCode: 500 } }),
};

export function storedItem(
  sku: string,
  version: string,
  images: Array<{ id: number; url: string; order?: number }>,
  revision = 1,
) {
  return {
    ...keys.sku(sku),
    sku,
    version,
    revision,
    writer: 'api',
    listPk: 'PRODUCTS',
    listSk: sku,
    images: images.map((image) => ({ order: 0, image_type: 'default', status: 'pending', ...image })),
  };
}
