import { describe, expect, it } from 'vitest';
import { settlementLines } from '../../infra/local/pipeline-report';
import type { StoredImage } from '../../lib/domain/image';

const requested_at = '2026-01-01T00:00:00.000Z';
const at = (seconds: number) => Date.parse(requested_at) + seconds * 1000;
const pending = (id: number): StoredImage => ({
  id,
  url: `https://e/${id}`,
  order: id,
  image_type: 'default',
  status: 'pending',
  requested_at,
});
const ready = (id: number): StoredImage => ({
  ...pending(id),
  status: 'ready',
  width: 800,
  height: 600,
  bytes: 31_000,
  content_type: 'image/jpeg',
});
const failed = (id: number): StoredImage => ({
  ...pending(id),
  status: 'failed',
  error: 'HTTP 404 from origin',
});
const change = (before: StoredImage[], after: StoredImage[]) => ({
  sequenceNumber: '1',
  sku: 'shirt',
  before,
  after,
});

describe('what local mode tells the terminal', () => {
  it('tells each image that settles, with its size or reason and the time since its POST', () => {
    expect(settlementLines(change([pending(1), pending(2)], [ready(1), pending(2)]), at(1.25))).toEqual([
      'image 1 of shirt ready: 800×600 image/jpeg, 30 KB, 1.3 s after the POST',
    ]);
    expect(settlementLines(change([ready(1), pending(2)], [ready(1), failed(2)]), at(2))).toEqual([
      'image 2 of shirt failed: HTTP 404 from origin, 2.0 s after the POST',
      'shirt: all 2 images settled (1 ready, 1 failed)',
    ]);
  });

  it('says nothing for a POST, a retry still pending, or a change that settles nothing new', () => {
    expect(settlementLines(change([], [pending(1)]), at(0))).toEqual([]);
    expect(settlementLines(change([pending(1)], [{ ...pending(1), attempts: 1 }]), at(1))).toEqual([]);
    expect(settlementLines(change([ready(1)], [{ ...ready(1), order: 5 }]), at(1))).toEqual([]);
    expect(settlementLines(change([ready(1)], []), at(1))).toEqual([]);
  });
});
