import type { ImageSet } from '../domain/image';
import type { SettledEventSink } from '../pipeline/ports';
import { isSettled, settledDetail } from '../pipeline/settlement';

/** A SKU's set with what its settlement marked: the version announced, and when. */
export interface AnnouncedSet {
  set: ImageSet;
  announcedVersion: string | null;
  announcedAt: string | null;
}

/** Where `npm run events -- resend` finds sets: by SKU, or every set announced since a time. */
export interface AnnouncedSets {
  find(sku: string): Promise<AnnouncedSet | null>;
  since(isoTime: string): AsyncIterable<AnnouncedSet>;
}

/** A SKU asked for by name that has no item. */
export interface MissingSet {
  sku: string;
  missing: true;
}

export type ResendEntry = AnnouncedSet | MissingSet;

export interface ResendOutcome {
  sent: string[];
  skipped: Array<{ sku: string; reason: string }>;
}

/**
 * Publishes again the event of each set's current version, if that version settled and was announced:
 * the same detail and `id` as its first delivery, so a consumer that got it drops the copy. For a
 * merchant whose endpoint was down past EventBridge's own retries.
 */
export async function resendSettled(
  sets: Iterable<ResendEntry> | AsyncIterable<ResendEntry>,
  sink: SettledEventSink,
  cdnBaseUrl: string,
): Promise<ResendOutcome> {
  const outcome: ResendOutcome = { sent: [], skipped: [] };
  for await (const entry of sets) {
    if (!('set' in entry)) {
      outcome.skipped.push({ sku: entry.sku, reason: 'no such SKU' });
      continue;
    }
    const { set, announcedVersion } = entry;
    const sku = set.sku;
    if (!isSettled(set)) outcome.skipped.push({ sku, reason: 'images still pending' });
    else if (announcedVersion !== set.version)
      outcome.skipped.push({ sku, reason: 'its settled version is not announced yet' });
    else {
      const detail = settledDetail(set, cdnBaseUrl);
      await sink.publish(detail);
      outcome.sent.push(detail.id);
    }
  }
  return outcome;
}
