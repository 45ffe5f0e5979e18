import { existsSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import { DynamoAnnouncedSets } from '../lib/adapters/dynamodb/announced-sets';
import { EventBridgeSettledSink } from '../lib/adapters/eventbridge/settled-events';
import { FileSettledSink } from '../lib/adapters/file/settled-events-file';
import { type ResendEntry, resendSettled } from '../lib/events/resend';
import type { SettledEventSink } from '../lib/pipeline/ports';
import { type LocalRuntime, RUNTIME_FILE } from './local/runtime-file';
import { openTable } from './table-target';

process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';

const USAGE = `npm run events -- resend (--sku SKU ... | --since TIME)

Publishes ProductImagesSettled again for each SKU's current version, if it settled and was
announced: the same detail and id as the first delivery, so a consumer that has it drops the copy.
For an endpoint that was down past EventBridge's own retries.

  --sku SKU      a SKU to re-send (repeat for more)
  --since TIME   every SKU announced at or after TIME (ISO 8601, e.g. 2026-12-01T00:00:00Z); reads
                 the whole table, a page at a time

Deployed: TABLE_NAME, EVENT_BUS_NAME, CDN_BASE_URL, AWS_REGION and AWS credentials in the environment.
Locally: the running npm start is found by itself, and events go to .local/events.jsonl. Exit code: 0
when every SKU asked for was sent, 1 when some was skipped, 2 when it could not run.`;

/** Where events go: the deployed bus, or local mode's events file; and the CDN base their URLs use. */
function destination(): { sink: SettledEventSink; cdnBaseUrl: string } {
  if (process.env.TABLE_NAME) {
    const busName = process.env.EVENT_BUS_NAME;
    const cdnBaseUrl = process.env.CDN_BASE_URL;
    if (!busName || !cdnBaseUrl)
      throw new Error('EVENT_BUS_NAME and CDN_BASE_URL are required with TABLE_NAME');
    const letters = {
      send: async (letter: unknown) => void process.stderr.write(`undelivered: ${JSON.stringify(letter)}\n`),
    };
    const client = new EventBridgeClient({ region: process.env.AWS_REGION });
    return { sink: new EventBridgeSettledSink(client, busName, letters), cdnBaseUrl };
  }
  if (!existsSync(RUNTIME_FILE)) {
    throw new Error('no local service is running (start it with npm start) and TABLE_NAME is not set');
  }
  const runtime = JSON.parse(readFileSync(RUNTIME_FILE, 'utf8')) as LocalRuntime;
  return { sink: new FileSettledSink(resolve('.local', 'events.jsonl')), cdnBaseUrl: runtime.cdnBaseUrl };
}

async function main(): Promise<number> {
  const { values, positionals } = parseArgs({
    options: {
      sku: { type: 'string', multiple: true },
      since: { type: 'string' },
      help: { type: 'boolean' },
    },
    allowPositionals: true,
  });
  if (values.help) {
    process.stdout.write(`${USAGE}\n`);
    return 0;
  }
  const skus = values.sku ?? [];
  if (positionals[0] !== 'resend' || positionals.length > 1 || skus.length > 0 === Boolean(values.since)) {
    process.stderr.write(`${USAGE}\n`);
    return 2;
  }
  if (values.since && Number.isNaN(Date.parse(values.since))) {
    process.stderr.write(`--since must be an ISO 8601 time, got "${values.since}"\n`);
    return 2;
  }
  const { client, tableName } = openTable();
  const sets = new DynamoAnnouncedSets(client, tableName);
  const { sink, cdnBaseUrl } = destination();
  async function* wanted(): AsyncIterable<ResendEntry> {
    if (values.since) {
      yield* sets.since(new Date(values.since as string).toISOString());
      return;
    }
    for (const sku of skus) yield (await sets.find(sku)) ?? { sku, missing: true };
  }
  const outcome = await resendSettled(wanted(), sink, cdnBaseUrl);
  for (const id of outcome.sent) process.stdout.write(`sent ProductImagesSettled ${id}\n`);
  for (const { sku, reason } of outcome.skipped) process.stdout.write(`skipped ${sku}: ${reason}\n`);
  process.stdout.write(`${outcome.sent.length} sent, ${outcome.skipped.length} skipped\n`);
  return outcome.skipped.length > 0 ? 1 : 0;
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    process.stderr.write(`npm run events: ${error instanceof Error ? error.message : String(error)}\n`);
    process.exit(2);
  },
);
