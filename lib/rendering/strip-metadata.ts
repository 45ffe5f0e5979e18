/**
 * Removes what a camera or an editor writes about a photo (EXIF with its GPS position, XMP, IPTC,
 * comments) from an original without decoding it, so the published original keeps its exact pixels.
 * Answers null for a format or a file it cannot walk; the caller then re-encodes instead.
 */

const JPEG_SOI = 0xd8;
const JPEG_EOI = 0xd9;
const JPEG_SOS = 0xda;
const APP1 = 0xe1;
const APP13 = 0xed;
const COM = 0xfe;
const EXIF_HEADER = Buffer.from('Exif\0\0', 'latin1');

/** EXIF with nothing but the orientation tag, so a rotated photo still shows upright. */
function orientationOnlyExif(orientation: number): Buffer {
  const tiff = Buffer.alloc(26);
  tiff.write('MM', 0, 'latin1');
  tiff.writeUInt16BE(42, 2);
  tiff.writeUInt32BE(8, 4);
  tiff.writeUInt16BE(1, 8); // one entry
  tiff.writeUInt16BE(0x0112, 10); // Orientation
  tiff.writeUInt16BE(3, 12); // SHORT
  tiff.writeUInt32BE(1, 14);
  tiff.writeUInt16BE(orientation, 18);
  // bytes 22..25: no next IFD
  const payload = Buffer.concat([EXIF_HEADER, tiff]);
  const header = Buffer.from([0xff, APP1, 0, 0]);
  header.writeUInt16BE(payload.length + 2, 2);
  return Buffer.concat([header, payload]);
}

/**
 * Keeps every segment but APP1 (EXIF, XMP), APP13 (IPTC) and comments, adds back the orientation,
 * and ends the file at its first EOI: what follows (MPO frames, gain maps) may carry its own EXIF.
 */
function stripJpeg(bytes: Buffer, orientation: number): Buffer | null {
  if (bytes[0] !== 0xff || bytes[1] !== JPEG_SOI) return null;
  const kept: Buffer[] = [bytes.subarray(0, 2)];
  if (orientation > 1 && orientation <= 8) kept.push(orientationOnlyExif(orientation));
  let offset = 2;
  while (offset + 4 <= bytes.length) {
    if (bytes[offset] !== 0xff) return null;
    const marker = bytes[offset + 1] as number;
    if (marker === 0xff) {
      offset += 1; // fill byte
      continue;
    }
    const length = bytes.readUInt16BE(offset + 2);
    if (length < 2 || offset + 2 + length > bytes.length) return null;
    const end = offset + 2 + length;
    if (marker === JPEG_SOS) {
      // Entropy-coded data holds 0xFF only before 0x00 or a restart marker, so the first FF D9 is EOI.
      for (let scan = end; scan + 1 < bytes.length; scan++) {
        if (bytes[scan] === 0xff && bytes[scan + 1] === JPEG_EOI) {
          kept.push(bytes.subarray(offset, scan + 2));
          return Buffer.concat(kept);
        }
      }
      return null;
    }
    if (marker !== APP1 && marker !== APP13 && marker !== COM) kept.push(bytes.subarray(offset, end));
    offset = end;
  }
  return null;
}

const PNG_SIGNATURE = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
const PNG_METADATA = new Set(['eXIf', 'tEXt', 'zTXt', 'iTXt', 'tIME']);

/** Drops EXIF and text chunks (XMP travels in `iTXt`), and anything after IEND. */
function stripPng(bytes: Buffer): Buffer | null {
  if (!bytes.subarray(0, 8).equals(PNG_SIGNATURE)) return null;
  const kept: Buffer[] = [PNG_SIGNATURE];
  let offset = 8;
  while (offset + 12 <= bytes.length) {
    const length = bytes.readUInt32BE(offset);
    const type = bytes.toString('latin1', offset + 4, offset + 8);
    const end = offset + 12 + length;
    if (end > bytes.length) return null;
    if (!PNG_METADATA.has(type)) kept.push(bytes.subarray(offset, end));
    if (type === 'IEND') return Buffer.concat(kept);
    offset = end;
  }
  return null;
}

const VP8X_EXIF = 0x08;
const VP8X_XMP = 0x04;

/** Drops the EXIF and XMP chunks, clears their flags and fixes the RIFF size. */
function stripWebp(bytes: Buffer): Buffer | null {
  if (bytes.toString('latin1', 0, 4) !== 'RIFF' || bytes.toString('latin1', 8, 12) !== 'WEBP') return null;
  const riffEnd = Math.min(bytes.length, 8 + bytes.readUInt32LE(4));
  const kept: Buffer[] = [];
  let offset = 12;
  while (offset + 8 <= riffEnd) {
    const fourcc = bytes.toString('latin1', offset, offset + 4);
    const size = bytes.readUInt32LE(offset + 4);
    const end = offset + 8 + size + (size % 2);
    if (offset + 8 + size > riffEnd) return null;
    if (fourcc === 'VP8X') {
      const chunk = Buffer.from(bytes.subarray(offset, Math.min(end, riffEnd)));
      chunk[8] = (chunk[8] as number) & ~(VP8X_EXIF | VP8X_XMP);
      kept.push(chunk);
    } else if (fourcc !== 'EXIF' && fourcc !== 'XMP ') {
      kept.push(bytes.subarray(offset, Math.min(end, riffEnd)));
    }
    offset = end;
  }
  const body = Buffer.concat(kept);
  const header = Buffer.alloc(12);
  header.write('RIFF', 0, 'latin1');
  header.writeUInt32LE(body.length + 4, 4);
  header.write('WEBP', 8, 'latin1');
  return Buffer.concat([header, body]);
}

export function stripMetadata(bytes: Buffer, format: string, orientation: number): Buffer | null {
  try {
    if (format === 'jpeg') return stripJpeg(bytes, orientation);
    if (format === 'png') return stripPng(bytes);
    if (format === 'webp') return stripWebp(bytes);
  } catch {
    // A file that lies about its own lengths: re-encoded instead.
  }
  return null;
}
