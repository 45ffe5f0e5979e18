/** Reading ISO base media files (AVIF): boxes, one after another, some holding boxes of their own. */

/** One ISO-BMFF box: its type and where its payload lies in the buffer. */
export interface Box {
  type: string;
  /** Where the box begins (its size field). */
  offset: number;
  /** Where its payload begins and ends (cut to what the buffer holds). */
  start: number;
  end: number;
  /** Where its header says it ends: past `end` when the data is cut short. */
  declaredEnd: number;
}

/** The boxes laid out one after another between `start` and `end`; stops at the first that does not fit. */
export function boxesIn(bytes: Buffer, start: number, end: number): Box[] {
  const boxes: Box[] = [];
  let at = start;
  while (at + 8 <= end) {
    let size = bytes.readUInt32BE(at);
    let header = 8;
    if (size === 1) {
      if (at + 16 > end) break;
      size = Number(bytes.readBigUInt64BE(at + 8));
      header = 16;
    } else if (size === 0) {
      size = end - at;
    }
    if (size < header) break;
    // A box cut off by the end of what we hold is still read as far as it goes.
    boxes.push({
      type: bytes.toString('latin1', at + 4, at + 8),
      offset: at,
      start: at + header,
      end: Math.min(at + size, end),
      declaredEnd: at + size,
    });
    at += size;
  }
  return boxes;
}

/** The first child box of that type; a full box's children start after its version and flags. */
export function childBox(bytes: Buffer, parent: Box, type: string, parentIsFullBox = false): Box | undefined {
  return boxesIn(bytes, parent.start + (parentIsFullBox ? 4 : 0), parent.end).find(
    (box) => box.type === type,
  );
}
