import { parseArgs } from 'node:util';
import { DynamoTokenStore } from '../lib/adapters/dynamodb/token-store';
import { apiKeyRecord, generateApiKey } from '../lib/auth/keys';
import type { TokenStore } from '../lib/auth/token-store';
import { openTable } from './table-target';

const USAGE = `Usage: npm run token -- <command>
  create <name>   create a key; it is printed once and stored only as its SHA-256 hash
  list            names, creation times and last 4 characters of every key
  revoke <name>   delete the key(s) of that name

Target: the deployed table named by TABLE_NAME (with AWS_REGION and AWS credentials from the
environment), or else the running local service (npm start).`;

function openStore(): TokenStore {
  const { client, tableName } = openTable();
  return new DynamoTokenStore(client, tableName);
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
