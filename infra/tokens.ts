import { existsSync, readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { createDocumentClient } from '../lib/adapters/dynamodb/client';
import { DynamoTokenStore } from '../lib/adapters/dynamodb/token-store';
import { apiKeyRecord, generateApiKey } from '../lib/auth/keys';
import type { TokenStore } from '../lib/auth/token-store';
import { LOCAL_REGION } from './local/dynamodb-local';
import { type LocalRuntime, RUNTIME_FILE } from './local/runtime-file';

const USAGE = `Usage: npm run token -- <command>
  create <name>   create a key; it is printed once and stored only as its SHA-256 hash
  list            names, creation times and last 4 characters of every key
  revoke <name>   delete the key(s) of that name

Target: the deployed table named by TABLE_NAME (with AWS_REGION and AWS credentials from the
environment), or else the running local service (npm start).`;

function openStore(): TokenStore {
  const tableName = process.env.TABLE_NAME;
  if (tableName) {
    const client = createDocumentClient({
      region: process.env.AWS_REGION,
      endpoint: process.env.DYNAMODB_ENDPOINT || undefined,
    });
    return new DynamoTokenStore(client, tableName);
  }
  if (!existsSync(RUNTIME_FILE)) {
    throw new Error('no local service is running (start it with npm start) and TABLE_NAME is not set');
  }
  const runtime = JSON.parse(readFileSync(RUNTIME_FILE, 'utf8')) as LocalRuntime;
  const client = createDocumentClient({ region: LOCAL_REGION, endpoint: runtime.dynamodbEndpoint });
  return new DynamoTokenStore(client, runtime.tableName);
}

export async function runTokenCommand(
  args: readonly string[],
  store: () => TokenStore = openStore,
): Promise<string> {
  const { positionals } = parseArgs({ args: [...args], allowPositionals: true, strict: true });
  const [command, name] = positionals;
  switch (command) {
    case 'create': {
      if (!name) throw new Error('create needs a name');
      const key = generateApiKey();
      await store().create(apiKeyRecord(name, key));
      return `${key}\n(key "${name}" created; it is not shown again)`;
    }
    case 'list': {
      const records = await store().list();
      if (records.length === 0) return '(no keys)';
      return records.map((record) => `${record.name}\t${record.createdAt}\t…${record.lastFour}`).join('\n');
    }
    case 'revoke': {
      if (!name) throw new Error('revoke needs a name');
      const deleted = await store().revoke(name);
      if (deleted === 0) throw new Error(`no key named "${name}"`);
      return `revoked ${deleted} key(s) named "${name}"`;
    }
    default:
      throw new Error(USAGE);
  }
}
