import { parseArgs } from 'node:util';
import { APIGatewayClient } from '@aws-sdk/client-api-gateway';
import { DynamoTokenStore } from '../lib/adapters/dynamodb/token-store';
import { apiKeyRecord, generateApiKey } from '../lib/auth/keys';
import type { TokenStore } from '../lib/auth/token-store';
import { deploymentName } from './stages';
import { openTable } from './table-target';
import { UsagePlans } from './usage-plans';

const USAGE = `Usage: npm run token -- <command>

A key is one integration of this catalogue (the ERP, the PIM, an import script): every key reads and
writes the same products. Several merchants are several stacks (cdk synth -c merchants=...).

  create <name> [--plan P]  create a key; it is printed once and stored only as its SHA-256 hash.
                            e.g. create erp, create pim --plan large
                            Deployed, it is put on the usage plan P (default: "default")
  plan <name> <P>           put the key(s) of that name on the usage plan P (deployed)
  list                      names, plans, creation times and last 4 characters of every key
  revoke <name>             delete the key(s) of that name, and their usage-plan keys

Target: the deployed table named by TABLE_NAME (with AWS_REGION and AWS credentials from the
environment; STAGE names the stack's stage, default prod, and MERCHANT the merchant of a stack of one), or else the running local service
(npm start), which has no usage plans.`;

function openStore(): TokenStore {
  const { client, tableName } = openTable();
  return new DynamoTokenStore(client, tableName);
}

/** Usage plans exist only deployed: with TABLE_NAME set, the stage's plans in API Gateway. */
function openUsagePlans(): UsagePlans | null {
  if (!process.env.TABLE_NAME) return null;
  return new UsagePlans(
    new APIGatewayClient({ region: process.env.AWS_REGION }),
    // A merchant's own stack (-c merchants=…) names its plans after the merchant too.
    deploymentName(process.env.STAGE || 'prod', process.env.MERCHANT || undefined),
  );
}

export async function runTokenCommand(
  args: readonly string[],
  store: () => TokenStore = openStore,
  usagePlans: () => UsagePlans | null = openUsagePlans,
): Promise<string> {
  const { positionals, values } = parseArgs({
    args: [...args],
    allowPositionals: true,
    strict: true,
    options: { plan: { type: 'string' } },
  });
  const [command, name, planArgument] = positionals;
  switch (command) {
    case 'create': {
      if (!name) throw new Error('create needs a name');
      const key = generateApiKey();
      const plans = usagePlans();
      const plan = values.plan ?? 'default';
      const usage = plans ? await plans.assign(name, plan) : null;
      try {
        await store().create({ ...apiKeyRecord(name, key), ...(usage ?? {}) });
      } catch (error) {
        if (usage) await plans?.remove(usage.usageKeyId);
        throw error;
      }
      const where = usage ? `on the usage plan "${plan}"` : 'local mode meters nothing';
      return `${key}\n(key "${name}" created, ${where}; it is not shown again)`;
    }
    case 'plan': {
      if (!name || !planArgument) throw new Error('plan needs a key name and a plan name');
      const plans = usagePlans();
      if (!plans) throw new Error('usage plans exist only deployed: set TABLE_NAME, AWS_REGION and STAGE');
      const before = (await store().list()).filter((record) => record.name === name);
      if (before.length === 0) throw new Error(`no key named "${name}"`);
      const previous = before.flatMap((record) => (record.usageKeyId ? [record.usageKeyId] : []));
      const usage = await plans.assign(name, planArgument);
      await store().setUsage(name, usage);
      for (const usageKeyId of previous) await plans.remove(usageKeyId);
      return `key "${name}" is on the usage plan "${planArgument}"`;
    }
    case 'list': {
      const records = await store().list();
      if (records.length === 0) return '(no keys)';
      return records
        .map(
          (record) => `${record.name}\t${record.usagePlan ?? '-'}\t${record.createdAt}\t…${record.lastFour}`,
        )
        .join('\n');
    }
    case 'revoke': {
      if (!name) throw new Error('revoke needs a name');
      const records = (await store().list()).filter((record) => record.name === name);
      const deleted = await store().revoke(name);
      if (deleted === 0) throw new Error(`no key named "${name}"`);
      // The usage-plan key goes too, so the name's API Gateway key cannot be metered or reused.
      const plans = usagePlans();
      for (const record of records) if (record.usageKeyId) await plans?.remove(record.usageKeyId);
      return `revoked ${deleted} key(s) named "${name}"`;
    }
    default:
      throw new Error(USAGE);
  }
}
