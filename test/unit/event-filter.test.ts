import { describe, expect, it } from 'vitest';
import { matchesPattern } from '../../infra/local/stream-poller';
import { PIPELINE_EVENT_PATTERNS } from '../../lib/adapters/dynamodb/table-schema';
import { image, streamRecord } from '../helpers/stream-events';

/** The event filter the deployed mapping and the local poller share. */
const startsPipeline = (record: unknown) =>
  PIPELINE_EVENT_PATTERNS.some((pattern) => matchesPattern(pattern, record));

describe('the pipeline event filter', () => {
  it('lets through what the API writes and every removal of a SKU item', () => {
    expect(startsPipeline(streamRecord('A', null, [image(1)]))).toBe(true);
    expect(startsPipeline(streamRecord('A', [image(1)], [image(2)]))).toBe(true);
    expect(startsPipeline(streamRecord('A', [image(1)], null))).toBe(true);
  });

  it("holds back the pipeline's own status writes", () => {
    expect(startsPipeline(streamRecord('A', [image(1)], [image(1, { status: 'ready' })], 'pipeline'))).toBe(
      false,
    );
  });

  it('holds back items without a writer (keys, counters)', () => {
    const counter = {
      eventName: 'MODIFY',
      dynamodb: { Keys: { pk: { S: 'COUNTER#products' } }, NewImage: { value: { N: '3' } } },
    };
    expect(startsPipeline(counter)).toBe(false);
  });

  it("holds back the pipeline's own content items, their deletion included", () => {
    const content = (eventName: string) => ({
      eventName,
      dynamodb: {
        Keys: { pk: { S: `CONTENT#${'ab'.repeat(32)}` } },
        OldImage: { refs: { NS: ['1'] } },
        ...(eventName === 'REMOVE' ? {} : { NewImage: { refs: { NS: ['1', '2'] } } }),
      },
    });
    for (const eventName of ['INSERT', 'MODIFY', 'REMOVE'])
      expect(startsPipeline(content(eventName))).toBe(false);
  });
});
