import { parseArgs } from 'node:util';
import { loadPipelineConfig } from '../lib/config';
import { slotSignature } from '../lib/domain/storefront-slots';
import { createRerenderDependencies } from '../lib/renderer-service';
import { planRerender, type RerenderProgress, runRerender } from '../lib/rerender/rerender';
import { targetEnvironment } from './operator-target';

process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';

const USAGE = `npm run rerender -- [--dry-run] [--rate N] [--concurrency N]

Renders what the ladder in force (VARIANT_WIDTHS) has and stored images lack: the rungs an older
ladder did not have, and the renditions of images copied before renditions existed. Image ids, URLs
and order never change; the API and the pipeline keep working meanwhile. Run it again after a stop:
it plans afresh and does only what is left.

  --dry-run         count what would be done, change nothing
  --rate N          start at most N images a second (default 5)
  --concurrency N   work on at most N images at once (default 2)

Deployed: TABLE_NAME, BUCKET_NAME, AWS_REGION and AWS credentials in the environment, and the
VARIANT_WIDTHS the stack was deployed with (unset: the default ladder). Locally: the running
npm start is found by itself. Exit code: 0 when nothing failed, 1 when some image failed, 2 when it
could not run.`;

function positive(name: string, raw: string | undefined, fallback: number): number {
  if (raw === undefined) return fallback;
  const value = Number(raw);
  if (!(value > 0) || !Number.isFinite(value))
    throw new Error(`--${name} must be a positive number, got "${raw}"`);
  return value;
}

function duration(ms: number): string {
  const seconds = Math.round(ms / 1000);
  if (seconds < 60) return `${seconds}s`;
  const minutes = Math.floor(seconds / 60);
  return minutes < 60 ? `${minutes}m${seconds % 60}s` : `${Math.floor(minutes / 60)}h${minutes % 60}m`;
}

/** `done/total images (skipped, failed), rate, ETA`: one line, rewritten in place. */
export function progressLine(progress: RerenderProgress): string {
  const finished = progress.done + progress.skipped + progress.failed;
  const rate = progress.elapsedMs > 0 ? finished / (progress.elapsedMs / 1000) : 0;
  const eta = rate > 0 ? duration(((progress.total - finished) / rate) * 1000) : '?';
  return (
    `rerender: ${finished}/${progress.total} images (${progress.skipped} skipped, ${progress.failed} failed), ` +
    `${rate.toFixed(1)}/s, ETA ${eta}`
  );
}

async function main(): Promise<number> {
  const { values } = parseArgs({
    options: {
      'dry-run': { type: 'boolean', default: false },
      rate: { type: 'string' },
      concurrency: { type: 'string' },
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
  if (values.help) {
    process.stdout.write(`${USAGE}\n`);
    return 0;
  }
  const rate = positive('rate', values.rate, 5);
  const concurrency = Math.floor(positive('concurrency', values.concurrency, 2));
  const config = loadPipelineConfig(targetEnvironment());
  const { deps, walk } = createRerenderDependencies(config);
  process.stderr.write(`planning: ${config.tableName}, ladder ${config.variantWidths.join(', ')}\n`);
  const plan = await planRerender(
    walk,
    config.variantWidths,
    slotSignature(config.tiles, config.swatchWidths),
  );
  const counts = { move: 0, extend: 0, refresh: 0 };
  for (const task of plan.tasks) counts[task.action]++;
  process.stdout.write(
    `${plan.images} image(s) looked at; ${plan.tasks.length} to do: ${counts.move} to move onto renditions, ` +
      `${counts.extend} to get new rungs, ${counts.refresh} to update.\n`,
  );
  if (values['dry-run']) return 0;
  let shown = 0;
  const report = await runRerender(plan, deps, {
    ratePerSecond: rate,
    concurrency,
    onProgress: (progress) => {
      if (performance.now() - shown < 500) return;
      shown = performance.now();
      process.stderr.write(`\r${progressLine(progress)}`);
    },
  });
  process.stderr.write(`\r${progressLine(report)}\n`);
  process.stdout.write(
    `${report.done} done, ${report.skipped} skipped (changed meanwhile), ${report.failed} failed in ${duration(report.elapsedMs)}.\n`,
  );
  return report.failed > 0 ? 1 : 0;
}

try {
  process.exitCode = await main();
} catch (error) {
  process.stderr.write(`${(error as Error).message}\n`);
  process.exitCode = 2;
}
