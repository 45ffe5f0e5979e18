import { EventBridgeClient, PutEventsCommand } from '@aws-sdk/client-eventbridge';
import { mockClient } from 'aws-sdk-client-mock';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { EventBridgeSettledSink } from '../../lib/adapters/eventbridge/settled-events';
import type { ImageSet, ImageStatus } from '../../lib/domain/image';
import type { DeadLetter } from '../../lib/pipeline/ports';
import { announceIfSettled, type SettledDetail, type SettlementPorts } from '../../lib/pipeline/settlement';

/** One SKU item in memory, with the same conditional mark the DynamoDB adapter makes. */
class MemoryItem {
  set: ImageSet = { sku: 'S', version: 'v0', revision: 0, images: [] };
  announced: string | undefined;
  readonly events: SettledDetail[] = [];
  /** Versions that were current while every image had settled. */
  readonly settledVersions = new Set<string>();

  ports(): SettlementPorts {
    return {
      find: async () => structuredClone(this.set),
      markAnnounced: async (_sku, version) => {
        if (this.set.version !== version || this.announced === version) return false;
        this.announced = version;
        return true;
      },
      publish: async (detail) => {
        this.events.push(detail);
      },
    };
  }

  post(version: string, imageCount: number): void {
    this.set = {
      ...this.set,
      version,
      images: Array.from({ length: imageCount }, (_, i) => ({
        id: i + 1,
        url: `https://e/${i}`,
        order: i,
        image_type: 'default',
        status: 'pending' as const,
      })),
    };
  }

  settle(index: number, status: ImageStatus): void {
    const image = this.set.images[index % Math.max(1, this.set.images.length)];
    if (image && image.status === 'pending') image.status = status;
    if (this.set.images.length > 0 && this.set.images.every((each) => each.status !== 'pending')) {
      this.settledVersions.add(this.set.version);
    }
  }
}

type Step =
  | { kind: 'post'; images: number }
  | { kind: 'settle'; index: number; status: 'ready' | 'failed' }
  | { kind: 'check'; times: number };

const step: fc.Arbitrary<Step> = fc.oneof(
  {
    weight: 1,
    arbitrary: fc.record({ kind: fc.constant('post' as const), images: fc.integer({ min: 1, max: 3 }) }),
  },
  {
    weight: 4,
    arbitrary: fc.record({
      kind: fc.constant('settle' as const),
      index: fc.nat(5),
      status: fc.constantFrom('ready' as const, 'failed' as const),
    }),
  },
  // A stream record delivered once, twice or more: each delivery checks again.
  {
    weight: 3,
    arbitrary: fc.record({ kind: fc.constant('check' as const), times: fc.integer({ min: 1, max: 3 }) }),
  },
);

describe('ProductImagesSettled: exactly one event per settled version', () => {
  it('whatever the order and duplication of status writes and checks', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(step, { minLength: 1, maxLength: 40 }), async (steps) => {
        const item = new MemoryItem();
        let versions = 0;
        for (const each of steps) {
          if (each.kind === 'post') item.post(`v${++versions}`, each.images);
          else if (each.kind === 'settle') item.settle(each.index, each.status);
          else {
            const checks = Array.from({ length: each.times }, () =>
              announceIfSettled('S', item.ports(), 'https://cdn.example'),
            );
            await Promise.all(checks);
          }
        }
        // The record of the last write is always delivered at least once more.
        await announceIfSettled('S', item.ports(), 'https://cdn.example');

        const perVersion = new Map<string, number>();
        for (const event of item.events)
          perVersion.set(event.version, (perVersion.get(event.version) ?? 0) + 1);
        for (const [version, count] of perVersion) {
          expect(count, version).toBe(1);
          expect(item.settledVersions.has(version), `${version} announced but never settled`).toBe(true);
        }
        for (const event of item.events)
          expect(event.images.every((image) => image.status !== ('pending' as string))).toBe(true);
        // The version that is current at the end is announced once if it settled; a superseded version
        // that never settled while current is never announced.
        if (item.settledVersions.has(item.set.version)) expect(perVersion.get(item.set.version)).toBe(1);
        for (const version of perVersion.keys()) expect(item.settledVersions.has(version)).toBe(true);
      }),
      { numRuns: 300 },
    );
  });
});

/** The EventBridge sink with 1 ms backoff, and the dead letters it sends. */
function sinkWithDeadLetters() {
  const letters: DeadLetter[] = [];
  const sink = new EventBridgeSettledSink(
    new EventBridgeClient({ region: 'eu-west-1' }),
    'bus',
    { send: async (letter) => void letters.push(letter) },
    1,
  );
  return { sink, letters };
}

describe('delivering the event to EventBridge', () => {
  const detail: SettledDetail = {
    sku: 'S',
    version: 'v1',
    images: [
      {
        id: 1,
        url: 'https://e/1',
        status: 'ready',
        cdn_url: 'https://cdn/1',
        error: null,
        width: 1,
        height: 1,
      },
    ],
  };

  it('puts the event, trying a failed entry again', async () => {
    const eventBridge = mockClient(EventBridgeClient);
    eventBridge
      .on(PutEventsCommand)
      .resolvesOnce({
        FailedEntryCount: 1,
        Entries: [{ ErrorCode: 'ThrottlingException', ErrorMessage: 'slow down' }],
      })
      .resolves({ FailedEntryCount: 0, Entries: [{ EventId: 'e1' }] });
    const { sink, letters } = sinkWithDeadLetters();
    await sink.publish(detail);
    const calls = eventBridge.commandCalls(PutEventsCommand);
    expect(calls).toHaveLength(2);
    expect(calls[1]?.args[0].input.Entries?.[0]).toMatchObject({
      EventBusName: 'bus',
      Source: 'product-images',
      DetailType: 'ProductImagesSettled',
      Detail: JSON.stringify(detail),
    });
    expect(letters).toEqual([]);
    eventBridge.restore();
  });

  it('dead-letters the whole event when every attempt fails', async () => {
    const eventBridge = mockClient(EventBridgeClient);
    eventBridge
      .on(PutEventsCommand)
      .resolves({ FailedEntryCount: 1, Entries: [{ ErrorCode: 'InternalFailure', ErrorMessage: 'boom' }] });
    const { sink, letters } = sinkWithDeadLetters();
    await sink.publish(detail);
    expect(eventBridge.commandCalls(PutEventsCommand)).toHaveLength(3);
    expect(letters).toEqual([
      expect.objectContaining({ kind: 'settled-event-undelivered', detail, reason: 'InternalFailure: boom' }),
    ]);
    eventBridge.restore();
  });
});
