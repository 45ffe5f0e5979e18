import {
  type AttributeDefinition,
  CreateTableCommand,
  type CreateTableCommandInput,
  DescribeTableCommand,
  type DynamoDBClient,
  type GlobalSecondaryIndex,
  ResourceNotFoundException,
  UpdateTableCommand,
} from '@aws-sdk/client-dynamodb';
import { TABLE_SCHEMA } from '../../lib/adapters/dynamodb/table-schema';

const LIST = TABLE_SCHEMA.listIndex;
const PENDING = TABLE_SCHEMA.pendingIndex;

const ATTRIBUTES: AttributeDefinition[] = [
  { AttributeName: TABLE_SCHEMA.partitionKey, AttributeType: 'S' },
  { AttributeName: LIST.partitionKey, AttributeType: 'S' },
  { AttributeName: LIST.sortKey, AttributeType: 'S' },
  { AttributeName: PENDING.partitionKey, AttributeType: 'S' },
  { AttributeName: PENDING.sortKey, AttributeType: 'S' },
];

const PENDING_INDEX: GlobalSecondaryIndex = {
  IndexName: PENDING.name,
  KeySchema: [
    { AttributeName: PENDING.partitionKey, KeyType: 'HASH' },
    { AttributeName: PENDING.sortKey, KeyType: 'RANGE' },
  ],
  Projection: { ProjectionType: PENDING.projection, NonKeyAttributes: [...PENDING.nonKeyAttributes] },
};

/** The CreateTable request for local mode, made from the same schema as the CDK stack's table. */
export function createTableInput(tableName: string): CreateTableCommandInput {
  return {
    TableName: tableName,
    BillingMode: 'PAY_PER_REQUEST',
    AttributeDefinitions: ATTRIBUTES,
    KeySchema: [{ AttributeName: TABLE_SCHEMA.partitionKey, KeyType: 'HASH' }],
    GlobalSecondaryIndexes: [
      {
        IndexName: LIST.name,
        KeySchema: [
          { AttributeName: LIST.partitionKey, KeyType: 'HASH' },
          { AttributeName: LIST.sortKey, KeyType: 'RANGE' },
        ],
        Projection: { ProjectionType: LIST.projection },
      },
      PENDING_INDEX,
    ],
    StreamSpecification: { StreamEnabled: true, StreamViewType: TABLE_SCHEMA.stream },
  };
}

/**
 * Creates the table unless it exists (a kept local database already has it); a table kept from before
 * the pending index gets it added, as a deploy adds it to the deployed table.
 */
export async function ensureTable(client: DynamoDBClient, tableName: string): Promise<void> {
  let indexes: string[];
  try {
    const { Table } = await client.send(new DescribeTableCommand({ TableName: tableName }));
    indexes = (Table?.GlobalSecondaryIndexes ?? []).map((index) => index.IndexName ?? '');
  } catch (error) {
    if (!(error instanceof ResourceNotFoundException)) throw error;
    await client.send(new CreateTableCommand(createTableInput(tableName)));
    return;
  }
  if (indexes.includes(PENDING.name)) return;
  await client.send(
    new UpdateTableCommand({
      TableName: tableName,
      AttributeDefinitions: ATTRIBUTES,
      GlobalSecondaryIndexUpdates: [{ Create: PENDING_INDEX }],
    }),
  );
}
