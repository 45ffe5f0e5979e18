import { describe, expect, inject, it } from 'vitest';
import { FINDING_KINDS } from '../../lib/audit/audit';
import { runFaultedImport } from '../helpers/faulted-import';

describe('a catalogue import with 5 % of every call failing (DynamoDB, S3, SQS, events, origins)', () => {
  it('loses nothing: every image ready or failed for its origin, nothing pending, every set announced, the store whole', async () => {
    const result = await runFaultedImport({
      dynamodbEndpoint: inject('dynamodbEndpoint'),
      faults: 'dynamodb=0.05,s3=0.05,sqs=0.05,events=0.05,origin=0.05',
      seed: 2026,
    });
    // Every service was called under the plan; the busy ones met faults, and the SDK retried them.
    for (const target of ['dynamodb', 's3', 'sqs', 'events', 'origin'] as const) {
      expect(result.counts[target].operations, target).toBeGreaterThan(0);
    }
    for (const target of ['dynamodb', 's3', 'origin'] as const) {
      expect(result.counts[target].injected, target).toBeGreaterThan(0);
    }
    expect(result.counts.dynamodb.calls).toBeGreaterThan(result.counts.dynamodb.operations);
    // The API answered only 2xx, 4xx or 503 with Retry-After, and a 503 left the set as it was.
    expect(result.apiViolations).toEqual([]);
    expect(result.outcome.pending).toBe(0);
    expect(result.outcome.ready).toBeGreaterThan(80);
    expect(result.outcome.failed['HTTP 404 from origin']).toBe(1);
    // Rarely, an image's three attempts all meet storage that stays down: it ends failed with its dead
    // letter (counted below), never pending, and leaves nothing behind for the audit.
    expect(result.outcome.failed['storage error'] ?? 0).toBeLessThanOrEqual(2);
    expect(result.unexplainedFailures.filter((failure) => !failure.endsWith(': storage error'))).toEqual([]);
    expect(result.unannounced).toEqual([]);
    expect(result.unexplainedDeadLetters).toEqual([]);
    // The audit finds nothing but the dead letters of images that failed for good.
    for (const kind of FINDING_KINDS.filter((each) => each !== 'deadLetters'))
      expect(result.audit.findings[kind], kind).toMatchObject({ count: 0 });
    expect(result.audit.findings.deadLetters.count).toBe(result.deadLetters);
  }, 400_000);
});
