import type { DynamoDBRecord } from 'aws-lambda';
import type { ImageSetChangeRecord } from '../../lib/pipeline/changes';

/** The line for a write that marked a set version announced: its `ProductImagesSettled` event went out. */
export function announcementLine(record: DynamoDBRecord, eventsFile: string): string | null {
  const now = record.dynamodb?.NewImage?.announcedVersion?.S;
  if (!now || now === record.dynamodb?.OldImage?.announcedVersion?.S) return null;
  const sku = record.dynamodb?.NewImage?.sku?.S ?? '?';
  return `event ProductImagesSettled: ${sku}, version ${now} → ${eventsFile}`;
}

function seconds(fromIso: string | undefined, nowMs: number): string {
  const from = fromIso ? Date.parse(fromIso) : Number.NaN;
  return Number.isNaN(from) ? '' : `, ${((nowMs - from) / 1000).toFixed(1)} s after the POST`;
}

function kilobytes(bytes: number | undefined): string {
  return bytes === undefined ? '' : `, ${bytes < 1024 ? `${bytes} B` : `${(bytes / 1024).toFixed(0)} KB`}`;
}

/**
 * What local mode tells the terminal about one change of a SKU item: a line per image that settled in
 * it (`ready` with size and time since the POST that added it, or `failed` with its reason), and one for
 * the SKU when that leaves its whole set settled. Nothing for changes that settle nothing.
 */
export function settlementLines(change: ImageSetChangeRecord, nowMs: number): string[] {
  const statusBefore = new Map(change.before.map((image) => [image.id, image.status]));
  const lines: string[] = [];
  for (const image of change.after) {
    if (image.status === 'pending' || statusBefore.get(image.id) === image.status) continue;
    const label = `image ${image.id} of ${change.sku}`;
    lines.push(
      image.status === 'ready'
        ? `${label} ready: ${image.width}×${image.height} ${image.content_type ?? ''}${kilobytes(image.bytes)}${seconds(image.requested_at, nowMs)}`
        : `${label} failed: ${image.error ?? 'unknown reason'}${seconds(image.requested_at, nowMs)}`,
    );
  }
  if (lines.length > 0 && change.after.every((image) => image.status !== 'pending')) {
    const ready = change.after.filter((image) => image.status === 'ready').length;
    lines.push(
      `${change.sku}: all ${change.after.length} image${change.after.length === 1 ? '' : 's'} settled (${ready} ready, ${change.after.length - ready} failed)`,
    );
  }
  return lines;
}
