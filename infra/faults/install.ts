import {
  registerClientHook,
  registerOriginHook,
  registerSettledSinkHook,
} from '../../lib/adapters/client-hooks';
import { settledSinkFaultHook } from './event-file-faults';
import type { FaultPlan } from './fault-plan';
import { originFaultHook } from './origin-faults';
import { sdkFaultHook } from './sdk-faults';

/**
 * Hangs `plan` on every hook point of this process: the AWS clients, the fetcher of image origins and
 * the settled events' file built from now on fail as `FAULTS` says.
 */
export function installFaults(plan: FaultPlan): void {
  registerClientHook(sdkFaultHook(plan));
  registerOriginHook(originFaultHook(plan));
  registerSettledSinkHook(settledSinkFaultHook(plan));
}
