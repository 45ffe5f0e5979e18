import { existsSync, readFileSync } from 'node:fs';
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { createDocumentClient } from '../lib/adapters/dynamodb/client';
import { LOCAL_REGION } from './local/dynamodb-local';
import { type LocalRuntime, RUNTIME_FILE } from './local/runtime-file';

export interface TableTarget {
  client: DynamoDBDocumentClient;
  tableName: string;
}

/**
 * The table an operator's command works on: the deployed one named by TABLE_NAME (with AWS_REGION and
 * AWS credentials from the environment), or else the running local service (`npm start`).
 */
export function openTable(): TableTarget {
  const tableName = process.env.TABLE_NAME;
  if (tableName) {
    const client = createDocumentClient({
      region: process.env.AWS_REGION,
      endpoint: process.env.DYNAMODB_ENDPOINT || undefined,
    });
    return { client, tableName };
  }
  if (!existsSync(RUNTIME_FILE)) {
    throw new Error('no local service is running (start it with npm start) and TABLE_NAME is not set');
  }
  const runtime = JSON.parse(readFileSync(RUNTIME_FILE, 'utf8')) as LocalRuntime;
  return {
    client: createDocumentClient({ region: LOCAL_REGION, endpoint: runtime.dynamodbEndpoint }),
    tableName: runtime.tableName,
  };
}
