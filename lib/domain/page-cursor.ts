import { createHmac, timingSafeEqual } from 'node:crypto';

/** Where a keyset page starts: just after one SKU (a `next` link) or just before one (`previous`). */
export type KeysetPosition = { after: string } | { before: string };

/** The position hint a `next` or `previous` link carries, for the page and page size it was made for. */
export interface PageCursor {
  page: number;
  limit: number;
  position: KeysetPosition;
}

const MAC_BYTES = 16;

function mac(payload: string, key: string): Buffer {
  return createHmac('sha256', key).update(payload).digest().subarray(0, MAC_BYTES);
}

/** `<payload>.<mac>`, both base64url: opaque to clients, and any edit to it is detected. */
export function encodeCursor(cursor: PageCursor, key: string): string {
  const position = 'after' in cursor.position ? { a: cursor.position.after } : { b: cursor.position.before };
  const payload = Buffer.from(JSON.stringify({ p: cursor.page, l: cursor.limit, ...position })).toString(
    'base64url',
  );
  return `${payload}.${mac(payload, key).toString('base64url')}`;
}

const isPositiveInteger = (value: unknown): value is number =>
  typeof value === 'number' && Number.isSafeInteger(value) && value >= 1;

/** The cursor, or null when it is malformed or was not made with `key` (edited, forged, or from elsewhere). */
export function decodeCursor(raw: string, key: string): PageCursor | null {
  const [payload, signature, ...rest] = raw.split('.');
  if (!payload || !signature || rest.length > 0 || raw.length > 2048) return null;
  const given = Buffer.from(signature, 'base64url');
  const expected = mac(payload, key);
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) return null;
  try {
    const fields = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')) as Record<string, unknown>;
    if (!isPositiveInteger(fields.p) || !isPositiveInteger(fields.l)) return null;
    if (typeof fields.a === 'string')
      return { page: fields.p, limit: fields.l, position: { after: fields.a } };
    if (typeof fields.b === 'string')
      return { page: fields.p, limit: fields.l, position: { before: fields.b } };
    return null;
  } catch {
    return null;
  }
}
