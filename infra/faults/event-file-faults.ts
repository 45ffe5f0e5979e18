import type { SettledSinkHook } from '../../lib/adapters/client-hooks';
import type { FaultPlan } from './fault-plan';

/**
 * `FAULTS=events=p` where events go to a file (local mode), which no SDK middleware reaches: that share
 * of the puts fails as the EventBridge sink fails once PutEvents has answered an entry failed (the
 * publish throws `EventNotPut`), so the outbox's redelivery and the sweeper's re-announcement run as
 * deployed. Deployed-like clients get the SDK middleware's failed entries instead (sdk-faults.ts).
 */
export function settledSinkFaultHook(plan: FaultPlan): SettledSinkHook {
  return (sink) => ({
    publish: async (detail) => {
      plan.countOperation('events');
      if (plan.shouldFail('events')) {
        plan.record('events', 'FailedEntries');
        throw Object.assign(new Error(`ProductImagesSettled ${detail.id} not put: InternalFailure`), {
          name: 'EventNotPut',
        });
      }
      await sink.publish(detail);
    },
  });
}
