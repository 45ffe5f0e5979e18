import { EventBridgeClient, PutEventsCommand } from '@aws-sdk/client-eventbridge';
import { mockClient } from 'aws-sdk-client-mock';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { EventBridgeSettledSink } from '../../lib/adapters/eventbridge/settled-events';
import type { ImageSet, ImageStatus } from '../../lib/domain/image';
import type { DeadLetter } from '../../lib/pipeline/ports';
import {
  markIfSettled,
  type SettledDetail,
  type SettlementPorts,
  settledDetail,
} from '../../lib/pipeline/settlement';

/** One SKU item in memory, with the same conditional mark the DynamoDB adapter makes. */
class MemoryItem {
  set: ImageSet = { sku: 'S', version: 'v0', revision: 0, images: [] };
  announced: string | undefined;
  /** The versions marked announced, each with its set as marked: one event each goes out from the mark. */
  readonly events: ImageSet[] = [];
  /** Versions that were current while every image had settled. */
  readonly settledVersions = new Set<string>();

  ports(): SettlementPorts {
    return {
      find: async () => structuredClone(this.set),
      markAnnounced: async (_sku, version) => {
        if (this.set.version !== version || this.announced === version) return false;
        this.announced = version;
        this.events.push(structuredClone(this.set));
        return true;
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

describe('ProductImagesSettled: exactly one mark (so one event id) per settled version', () => {
  it('whatever the order and duplication of status writes and checks', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(step, { minLength: 1, maxLength: 40 }), async (steps) => {
        const item = new MemoryItem();
        let versions = 0;
        for (const each of steps) {
          if (each.kind === 'post') item.post(`v${++versions}`, each.images);
          else if (each.kind === 'settle') item.settle(each.index, each.status);
          else {
            const checks = Array.from({ length: each.times }, () => markIfSettled('S', item.ports()));
            await Promise.all(checks);
          }
        }
        // The record of the last write is always delivered at least once more.
        await markIfSettled('S', item.ports());

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
    id: 'S/v1',
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
        thumbhash: null,
        dominant_color: null,
        variants: [],
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

  it('dead-letters the whole event when every attempt fails, and fails, so its record is delivered again', async () => {
    const eventBridge = mockClient(EventBridgeClient);
    eventBridge
      .on(PutEventsCommand)
      .resolves({ FailedEntryCount: 1, Entries: [{ ErrorCode: 'InternalFailure', ErrorMessage: 'boom' }] });
    const { sink, letters } = sinkWithDeadLetters();
    await expect(sink.publish(detail)).rejects.toThrow('ProductImagesSettled S/v1 not put');
    expect(eventBridge.commandCalls(PutEventsCommand)).toHaveLength(3);
    expect(letters).toEqual([
      expect.objectContaining({ kind: 'settled-event-undelivered', detail, reason: 'InternalFailure: boom' }),
    ]);
    eventBridge.restore();
  });
});

describe('the detail within EventBridge’s 256 KB', () => {
  const set = (images: number, urlLength: number): ImageSet => ({
    sku: 'big',
    version: 'v9',
    revision: 1,
    images: Array.from({ length: images }, (_, index) => ({
      id: index + 1,
      url: `https://example.com/${'x'.repeat(urlLength)}/${index}.jpg`,
      order: index,
      image_type: 'default' as const,
      status: 'ready' as const,
      object_key: `o/${'a'.repeat(64)}/jpeg/352-832-1200-1920`,
      content_sha256: 'a'.repeat(64),
      width: 1920,
      height: 1080,
      thumbhash: 'HBkSHYSIeHiPiHh8eJd4eTN0EEQG',
      dominant_color: '#405060',
      variants: [352, 832, 1200, 1920].flatMap((width) =>
        (['avif', 'webp', 'jpeg'] as const).map((format) => ({ width, height: width / 2, format })),
      ),
    })),
  });

  it('carries the same id on every delivery, and everything a storefront shows when it fits', () => {
    const detail = settledDetail(set(3, 10), 'https://cdn.example');
    expect(detail).toMatchObject({ id: 'big/v9', sku: 'big', version: 'v9' });
    expect(settledDetail(set(3, 10), 'https://cdn.example')).toEqual(detail);
    expect(detail.images[0]?.variants).toHaveLength(12);
    expect(detail.variantsOmitted).toBeUndefined();
  });

  it('leaves out the variants first, then the source URLs, and always stays under the limit', () => {
    const withoutVariants = settledDetail(set(100, 1_000), 'https://cdn.example');
    expect(withoutVariants).toMatchObject({ variantsOmitted: true });
    expect(withoutVariants.urlsOmitted).toBeUndefined();
    expect(withoutVariants.images[0]).toMatchObject({
      cdn_url: expect.any(String),
      thumbhash: expect.any(String),
    });
    expect(withoutVariants.images[0]?.variants).toBeUndefined();

    // Beyond what the API accepts (URLs of at most 2,048 characters), so the last resort is tested too.
    const bare = settledDetail(set(100, 3_000), 'https://cdn.example');
    expect(bare).toMatchObject({ variantsOmitted: true, urlsOmitted: true });
    expect(bare.images[0]?.url).toBeUndefined();
    for (const detail of [withoutVariants, bare])
      expect(Buffer.byteLength(JSON.stringify(detail))).toBeLessThanOrEqual(240 * 1024);
  });
});
