import { type EventBridgeClient, PutEventsCommand } from '@aws-sdk/client-eventbridge';
import type { DeadLetterSink, SettledEventSink } from '../../pipeline/ports';
import { SETTLED_EVENT, type SettledDetail } from '../../pipeline/settlement';

const MAX_PUT_ATTEMPTS = 3;

/**
 * `ProductImagesSettled` events on the stack's EventBridge bus. PutEvents answers per entry: a failed
 * entry (or a failed call) is tried again with backoff, up to 3 times. What still fails goes to the
 * dead-letter queue with the whole detail (enough to re-send it), and the publish throws, so the
 * stream record carrying the event is delivered again: the event is put at least once.
 */
export class EventBridgeSettledSink implements SettledEventSink {
  constructor(
    private readonly client: EventBridgeClient,
    private readonly busName: string,
    private readonly deadLetters: DeadLetterSink,
    private readonly backoffMs = 100,
  ) {}

  async publish(detail: SettledDetail): Promise<void> {
    let reason = 'unknown';
    for (let attempt = 1; attempt <= MAX_PUT_ATTEMPTS; attempt++) {
      if (attempt > 1) await new Promise((done) => setTimeout(done, this.backoffMs * 2 ** (attempt - 2)));
      try {
        const result = await this.client.send(
          new PutEventsCommand({
            Entries: [
              {
                EventBusName: this.busName,
                Source: SETTLED_EVENT.source,
                DetailType: SETTLED_EVENT.detailType,
                Detail: JSON.stringify(detail),
              },
            ],
          }),
        );
        const failed = result.Entries?.find((entry) => entry.ErrorCode);
        if (!result.FailedEntryCount && !failed) return;
        reason = `${failed?.ErrorCode ?? 'failed entry'}: ${failed?.ErrorMessage ?? ''}`.trim();
      } catch (error) {
        reason = (error as Error).name || 'PutEvents failed';
      }
    }
    await this.deadLetters.send({
      kind: 'settled-event-undelivered',
      detail,
      reason,
      failedAt: new Date().toISOString(),
    });
    throw Object.assign(new Error(`ProductImagesSettled ${detail.id} not put: ${reason}`), {
      name: 'EventNotPut',
    });
  }
}
