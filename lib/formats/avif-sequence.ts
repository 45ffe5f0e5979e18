import { type Box, boxesIn, childBox } from './isobmff';

/*
 * An AVIF image sequence (an animated AVIF, brand `avis`) is something every current browser shows but
 * this libvips cannot decode. When its boxes are whole, it is published as it is, with no renditions:
 * serving it beats failing it. Its metadata is blanked in place first (never published: GPS), keeping
 * every offset as it was, so nothing else in the file needs rewriting.
 */

const ascii = (bytes: Buffer, start: number, end: number) => bytes.toString('latin1', start, end);

/** Whether the top-level boxes follow each other exactly to the last byte: neither cut nor run on. */
function whole(bytes: Buffer, boxes: readonly Box[]): boolean {
  const last = boxes[boxes.length - 1];
  return last !== undefined && last.declaredEnd === bytes.length;
}

function brandsOf(bytes: Buffer, ftyp: Box): string[] {
  const brands = [ascii(bytes, ftyp.start, ftyp.start + 4)];
  for (let at = ftyp.start + 8; at + 4 <= ftyp.end; at += 4) brands.push(ascii(bytes, at, at + 4));
  return brands;
}

/** A null-terminated string from `at`; its end is past the terminator. */
function cString(bytes: Buffer, at: number, end: number): { text: string; next: number } | null {
  const zero = bytes.indexOf(0, at);
  if (zero < 0 || zero >= end) return null;
  return { text: ascii(bytes, at, zero), next: zero + 1 };
}

/** Ids of the items that hold metadata: `Exif`, and `mime` items of XMP. Null when `iinf` cannot be read. */
function metadataItemIds(bytes: Buffer, meta: Box): number[] | null {
  const iinf = childBox(bytes, meta, 'iinf', true);
  if (!iinf) return [];
  const version = bytes[iinf.start] ?? 0;
  const ids: number[] = [];
  for (const infe of boxesIn(bytes, iinf.start + 4 + (version === 0 ? 2 : 4), iinf.end)) {
    if (infe.type !== 'infe') continue;
    const infeVersion = bytes[infe.start] ?? 0;
    // Versions 0 and 1 predate item types: they describe no Exif or XMP item.
    if (infeVersion < 2) continue;
    const idBytes = infeVersion === 2 ? 2 : 4;
    const typeAt = infe.start + 4 + idBytes + 2;
    if (typeAt + 4 > infe.end) return null;
    const id = bytes.readUIntBE(infe.start + 4, idBytes);
    const type = ascii(bytes, typeAt, typeAt + 4);
    const name = cString(bytes, typeAt + 4, infe.end);
    const contentType = type === 'mime' && name ? cString(bytes, name.next, infe.end) : null;
    if (type === 'Exif' || (type === 'mime' && contentType?.text.includes('xml'))) ids.push(id);
  }
  return ids;
}

/** Byte ranges in the file of each item's data (`iloc`, data in this file only); null when unreadable. */
function itemExtents(bytes: Buffer, meta: Box, wanted: readonly number[]): [number, number][] | null {
  if (wanted.length === 0) return [];
  const iloc = childBox(bytes, meta, 'iloc', true);
  if (!iloc || iloc.start + 8 > iloc.end) return null;
  const version = bytes[iloc.start] ?? 0;
  const offsetSize = (bytes[iloc.start + 4] ?? 0) >> 4;
  const lengthSize = (bytes[iloc.start + 4] ?? 0) & 0xf;
  const baseOffsetSize = (bytes[iloc.start + 5] ?? 0) >> 4;
  const indexSize = version >= 1 ? (bytes[iloc.start + 5] ?? 0) & 0xf : 0;
  let at = iloc.start + 6;
  const read = (size: number): number | null => {
    if (at + size > iloc.end) return null;
    const value =
      size === 0 ? 0 : size === 8 ? Number(bytes.readBigUInt64BE(at)) : bytes.readUIntBE(at, size);
    at += size;
    return value;
  };
  const count = read(version < 2 ? 2 : 4);
  if (count === null) return null;
  const extents: [number, number][] = [];
  const found = new Set<number>();
  for (let item = 0; item < count; item++) {
    const id = read(version < 2 ? 2 : 4);
    const construction = version >= 1 ? read(2) : 0;
    const dataReference = read(2);
    const baseOffset = read(baseOffsetSize);
    const extentCount = read(2);
    if (id === null || construction === null || dataReference === null || baseOffset === null) return null;
    if (extentCount === null) return null;
    for (let extent = 0; extent < extentCount; extent++) {
      if (indexSize > 0 && read(indexSize) === null) return null;
      const offset = read(offsetSize);
      const length = read(lengthSize);
      if (offset === null || length === null) return null;
      if (!wanted.includes(id)) continue;
      // Data elsewhere than at a file offset (in `idat`, another file) is not blanked: refuse instead.
      if ((construction & 0xf) !== 0 || dataReference !== 0 || length === 0) return null;
      const start = baseOffset + offset;
      if (start + length > bytes.length) return null;
      extents.push([start, start + length]);
      found.add(id);
    }
  }
  return wanted.every((id) => found.has(id)) ? extents : null;
}

/** `udta` and `meta` boxes of the movie and its tracks (QuickTime keeps a GPS location there). */
function movieMetadataBoxes(bytes: Buffer, moov: Box): Box[] {
  const found: Box[] = [];
  for (const child of boxesIn(bytes, moov.start, moov.end)) {
    if (child.type === 'udta' || child.type === 'meta') found.push(child);
    if (child.type === 'trak') {
      for (const inner of boxesIn(bytes, child.start, child.end)) {
        if (inner.type === 'udta' || inner.type === 'meta') found.push(inner);
      }
    }
  }
  return found;
}

export type SequenceCheck =
  | { outcome: 'publishable'; bytes: Buffer }
  /** An image sequence whose boxes are cut short or run on: a browser would show it broken. */
  | { outcome: 'truncated' }
  /** No image sequence, or one whose metadata could not be found to blank. */
  | { outcome: 'unpublishable' };

/**
 * An AVIF image sequence made ready to publish: its Exif and XMP items zeroed and the movie's user data
 * renamed `free` (which every reader skips), every offset unchanged. Truncated or corrupt data is
 * failed, not published.
 */
export function publishableAvifSequence(bytes: Buffer): SequenceCheck {
  const boxes = boxesIn(bytes, 0, bytes.length);
  const ftyp = boxes[0];
  if (ftyp?.type !== 'ftyp' || !brandsOf(bytes, ftyp).includes('avis')) return { outcome: 'unpublishable' };
  if (!whole(bytes, boxes)) return { outcome: 'truncated' };
  const moov = boxes.find((box) => box.type === 'moov');
  if (!moov || !boxes.some((box) => box.type === 'mdat')) return { outcome: 'unpublishable' };
  const published = Buffer.from(bytes);
  const meta = boxes.find((box) => box.type === 'meta');
  if (meta) {
    const ids = metadataItemIds(bytes, meta);
    const extents = ids && itemExtents(bytes, meta, ids);
    if (!extents) return { outcome: 'unpublishable' };
    for (const [start, end] of extents) published.fill(0, start, end);
  }
  for (const box of movieMetadataBoxes(bytes, moov)) {
    published.write('free', box.offset + 4, 'latin1');
  }
  return { outcome: 'publishable', bytes: published };
}
