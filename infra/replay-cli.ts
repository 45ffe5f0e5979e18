import { parseArgs } from 'node:util';
import { loadPipelineConfig, requireRenderQueue } from '../lib/config';
import { createPipelineDependencies, createSqsClient } from '../lib/pipeline-service';
import { targetEnvironment } from './operator-target';
import { fileBatches, queueBatches, streamsClient } from './replay/failed-records';
import { replayBatches } from './replay/replay';

process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';

const USAGE = `npm run replay -- [--dry-run]

Replays the stream records the stream consumer gave up on (after 5 retries or a day): enqueues the jobs
of their images still pending, releases the contents of the images they removed, and announces their
settled sets, as the stream would have. A batch leaves its queue (or file) once replayed.

  --dry-run   only lists what would be replayed

Deployed: TABLE_NAME, BUCKET_NAME, AWS_REGION, DEAD_LETTER_QUEUE_URL, RENDER_QUEUE_URL, EVENT_BUS_NAME and
CDN_BASE_URL in the environment (the stack's outputs); the records are read again from the table's stream,
which keeps them 24 hours. Locally: the running npm start is found by itself and the records come from its
dead-letter file. Exit code: 0 when everything was replayed, 1 when something was left, 2 when it could not
run.`;

async function main(): Promise<number> {
  const { values } = parseArgs({
    options: {
      'dry-run': { type: 'boolean', default: false },
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
  if (values.help) {
    process.stdout.write(`${USAGE}\n`);
    return 0;
  }
  const config = requireRenderQueue(loadPipelineConfig(targetEnvironment()));
  const batches = config.deadLetterQueueUrl
    ? await queueBatches(
        createSqsClient(config),
        config.deadLetterQueueUrl,
        streamsClient(config.region ?? 'eu-west-1', config.dynamodbEndpoint),
      )
    : await fileBatches(config.deadLetterFile ?? '.local/dead-letters.jsonl');
  if (values['dry-run']) {
    for (const batch of batches) process.stdout.write(`would replay ${batch.describe}\n`);
    for (const batch of batches) await batch.leave();
    process.stdout.write(`${batches.length} failed batches\n`);
    return 0;
  }
  const outcome = await replayBatches(batches, createPipelineDependencies(config), (line) =>
    process.stdout.write(`${line}\n`),
  );
  process.stdout.write(
    `${outcome.replayed} batches replayed (${outcome.records} records), ${outcome.failed} left\n`,
  );
  return outcome.failed === 0 ? 0 : 1;
}

try {
  process.exitCode = await main();
} catch (error) {
  process.stderr.write(`replay: ${(error as Error).message}\n`);
  process.exitCode = 2;
}
