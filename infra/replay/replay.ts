import { toChangeRecord } from '../../lib/adapters/dynamodb/stream-records';
import type { ImageSetChangeRecord } from '../../lib/pipeline/changes';
import { type PipelineDependencies, processChanges } from '../../lib/pipeline/process-changes';
import type { FailedBatch } from './failed-records';

export interface ReplayOutcome {
  replayed: number;
  /** Batches whose replay failed again: left where they were, for the next run. */
  failed: number;
  records: number;
}

/**
 * Hands each failed batch's records to the stream consumer's own logic, as if the stream delivered
 * them again: the jobs of images still pending are enqueued (a job whose image moved on does nothing),
 * removed images' contents are released (twice is harmless), and a settled set is announced. A batch
 * leaves its queue or file only once all its records went through.
 */
export async function replayBatches(
  batches: readonly FailedBatch[],
  deps: PipelineDependencies,
  say: (line: string) => void = () => undefined,
): Promise<ReplayOutcome> {
  const outcome: ReplayOutcome = { replayed: 0, failed: 0, records: 0 };
  for (const batch of batches) {
    try {
      const records = (await batch.records())
        .map(toChangeRecord)
        .filter((record): record is ImageSetChangeRecord => record !== null);
      const { failed } = await processChanges(records, deps);
      if (failed.length > 0) throw new Error(`${failed.length} of its records failed again`);
      await batch.done();
      outcome.replayed++;
      outcome.records += records.length;
      say(`replayed ${batch.describe}: ${records.length} records`);
    } catch (error) {
      outcome.failed++;
      await batch.leave().catch(() => undefined);
      say(`left ${batch.describe}: ${(error as Error).message}`);
    }
  }
  return outcome;
}
