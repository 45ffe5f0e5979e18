import type { Server } from 'node:http';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { createDocumentClient } from '../../lib/adapters/dynamodb/client';
import { DynamoTokenStore } from '../../lib/adapters/dynamodb/token-store';
import { API_KEY_PATTERN, generateApiKey, hashApiKey } from '../../lib/auth/keys';
import { createLocalServer, type LocalRoutes } from './http-server';
import { ensureTable } from './table';

export const LOCAL_REGION = 'local';

/** The environment the Lambda entry points read, pointed at a local engine. */
export function localEnvironment(dynamodbEndpoint: string, tableName: string): Record<string, string> {
  return {
    TABLE_NAME: tableName,
    DYNAMODB_ENDPOINT: dynamodbEndpoint,
    AWS_REGION: LOCAL_REGION,
    AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
  };
}

export async function prepareTable(dynamodbEndpoint: string, tableName: string): Promise<void> {
  const client = new DynamoDBClient({
    endpoint: dynamodbEndpoint,
    region: LOCAL_REGION,
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
  });
  try {
    await ensureTable(client, tableName);
  } finally {
    client.destroy();
  }
}

/** Stores `key` (or a new one) under `name` unless a key of that hash is there already; answers the key. */
export async function registerApiKey(
  dynamodbEndpoint: string,
  tableName: string,
  name: string,
  key: string = generateApiKey(),
): Promise<string> {
  if (!API_KEY_PATTERN.test(key)) throw new Error('API_TOKEN must be 40 hexadecimal characters');
  const store = new DynamoTokenStore(
    createDocumentClient({ endpoint: dynamodbEndpoint, region: LOCAL_REGION }),
    tableName,
  );
  if (await store.findByHash(hashApiKey(key))) return key;
  const existing = (await store.list()).filter((record) => record.name === name).length;
  await store.create({
    name: existing === 0 ? name : `${name}-${Date.now()}`,
    keyHash: hashApiKey(key),
    lastFour: key.slice(-4),
    createdAt: new Date().toISOString(),
  });
  return key;
}

/**
 * The API's Lambda entry points, imported after the environment is set: they read it once, at import,
 * exactly as they do in Lambda.
 */
export async function loadApiRoutes(environment: Record<string, string>): Promise<LocalRoutes> {
  Object.assign(process.env, environment);
  const [get, post] = await Promise.all([
    import('../../functions/get-images'),
    import('../../functions/post-images'),
  ]);
  return { post: post.handler, other: get.handler };
}

export function listen(server: Server, port: number, host = '127.0.0.1'): Promise<string> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      const address = server.address();
      if (typeof address !== 'object' || address === null) return reject(new Error('server has no address'));
      resolve(`http://${host === '0.0.0.0' ? '127.0.0.1' : host}:${address.port}`);
    });
  });
}

export async function startApiServer(
  routes: LocalRoutes,
  port: number,
): Promise<{ baseUrl: string; server: Server }> {
  const server = createLocalServer(routes);
  return { baseUrl: await listen(server, port), server };
}
