import type { Dimensions } from './image-formats';
import { type Box, boxesIn, childBox } from './isobmff';

/** The id of the primary item (`pitm`): the image itself, not a thumbnail, alpha plane or gain map. */
function primaryItemId(bytes: Buffer, pitm: Box): number | null {
  const wide = (bytes[pitm.start] ?? 0) >= 1;
  const idAt = pitm.start + 4;
  if (idAt + (wide ? 4 : 2) > pitm.end) return null;
  return wide ? bytes.readUInt32BE(idAt) : bytes.readUInt16BE(idAt);
}

/** Property indices (1-based, into `ipco`) that the `ipma` box associates with `itemId`. */
function propertyIndicesOf(bytes: Buffer, ipma: Box, itemId: number): number[] | null {
  if (ipma.start + 8 > ipma.end) return null;
  const version = bytes[ipma.start] ?? 0;
  const wideIndices = ((bytes[ipma.start + 3] ?? 0) & 1) === 1;
  const idBytes = version < 1 ? 2 : 4;
  const indexBytes = wideIndices ? 2 : 1;
  const entries = bytes.readUInt32BE(ipma.start + 4);
  let at = ipma.start + 8;
  for (let entry = 0; entry < entries; entry++) {
    if (at + idBytes + 1 > ipma.end) return null;
    const id = bytes.readUIntBE(at, idBytes);
    const count = bytes[at + idBytes] ?? 0;
    at += idBytes + 1;
    if (at + count * indexBytes > ipma.end) return null;
    if (id === itemId) {
      const indices: number[] = [];
      for (let n = 0; n < count; n++) {
        const raw = wideIndices ? bytes.readUInt16BE(at + n * 2) : (bytes[at + n] ?? 0);
        indices.push(raw & (wideIndices ? 0x7fff : 0x7f)); // the top bit only marks "essential"
      }
      return indices;
    }
    at += count * indexBytes;
  }
  return null;
}

/**
 * The item shown for the primary item: itself, or, when it is the base layer of a `pymd` (image pyramid)
 * entity group, the group's last entity, which is its highest-resolution layer.
 */
function displayedItemId(bytes: Buffer, meta: Box, primaryId: number): number {
  const grpl = childBox(bytes, meta, 'grpl', true);
  if (!grpl) return primaryId;
  for (const group of boxesIn(bytes, grpl.start, grpl.end)) {
    if (group.type !== 'pymd' || group.start + 12 > group.end) continue;
    // A full box: version and flags, group_id, num_entities_in_group, then the ids, lowest resolution first.
    const count = bytes.readUInt32BE(group.start + 8);
    if (group.start + 12 + count * 4 > group.end || count === 0) continue;
    const ids = Array.from({ length: count }, (_, n) => bytes.readUInt32BE(group.start + 12 + n * 4));
    if (ids.includes(primaryId)) return ids[ids.length - 1] ?? primaryId;
  }
  return primaryId;
}

function ispeDimensions(bytes: Buffer, ispe: Box): Dimensions | null {
  // A full box: version and flags, then width and height.
  if (ispe.start + 12 > ispe.end) return null;
  return { width: bytes.readUInt32BE(ispe.start + 4), height: bytes.readUInt32BE(ispe.start + 8) };
}

/** The primary item's `ispe` property, found through `meta` → `pitm` and `iprp` → `ipco` + `ipma`. */
function primaryItemDimensions(bytes: Buffer): Dimensions | null {
  const meta = boxesIn(bytes, 0, bytes.length).find((box) => box.type === 'meta');
  if (!meta) return null;
  const pitm = childBox(bytes, meta, 'pitm', true);
  const iprp = childBox(bytes, meta, 'iprp', true);
  if (!pitm || !iprp) return null;
  const primaryId = primaryItemId(bytes, pitm);
  const ipco = childBox(bytes, iprp, 'ipco');
  const ipma = childBox(bytes, iprp, 'ipma');
  if (primaryId === null || !ipco || !ipma) return null;
  const itemId = displayedItemId(bytes, meta, primaryId);
  const properties = boxesIn(bytes, ipco.start, ipco.end);
  for (const index of propertyIndicesOf(bytes, ipma, itemId) ?? []) {
    const property = properties[index - 1];
    if (property?.type === 'ispe') return ispeDimensions(bytes, property);
  }
  return null;
}

/** The largest `ispe` anywhere in the bytes: the last resort when the item structure cannot be read. */
function largestIspe(head: Buffer): Dimensions | null {
  let best: Dimensions | null = null;
  for (
    let at = head.indexOf('ispe', 0, 'latin1');
    at >= 4 && at + 16 <= head.length;
    at = head.indexOf('ispe', at + 4, 'latin1')
  ) {
    const candidate = { width: head.readUInt32BE(at + 8), height: head.readUInt32BE(at + 12) };
    if (!best || candidate.width * candidate.height > best.width * best.height) best = candidate;
  }
  return best;
}

/**
 * An AVIF's size is the `ispe` property of its primary item. A file may hold other items with their
 * own sizes (a gain map, a thumbnail, a grid's tiles), so the first or largest `ispe` is not enough.
 */
export function avifDimensions(head: Buffer): Dimensions | null {
  return primaryItemDimensions(head) ?? largestIspe(head);
}
