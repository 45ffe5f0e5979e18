import { avifDimensions } from '../formats/avif-dimensions';
import type { Dimensions, ImageFormat } from '../formats/image-formats';

/** Bytes needed to tell every format apart, but for an ISO-BMFF file's brand list (see sniffLength). */
export const SNIFF_BYTES = 32;

/** An `ftyp` box longer than this is not read whole: real files list a handful of brands. */
const MAX_FTYP_BYTES = 4096;

const ascii = (bytes: Buffer, start: number, end: number) => bytes.toString('latin1', start, end);

/**
 * How many first bytes `detectFormat` needs to decide: an ISO-BMFF file (AVIF) lists its brands in an
 * `ftyp` box of any length, so the answer must not depend on how many bytes the first chunk held.
 */
export function sniffLength(head: Buffer): number {
  if (head.length >= 8 && ascii(head, 4, 8) === 'ftyp') {
    return Math.max(SNIFF_BYTES, Math.min(head.readUInt32BE(0), MAX_FTYP_BYTES));
  }
  return SNIFF_BYTES;
}

export function detectFormat(head: Buffer): ImageFormat | null {
  if (head.length >= 3 && head[0] === 0xff && head[1] === 0xd8 && head[2] === 0xff) return 'jpeg';
  if (
    head.length >= 8 &&
    head.subarray(0, 8).equals(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]))
  ) {
    return 'png';
  }
  if (head.length >= 6 && (ascii(head, 0, 6) === 'GIF87a' || ascii(head, 0, 6) === 'GIF89a')) return 'gif';
  if (head.length >= 12 && ascii(head, 0, 4) === 'RIFF' && ascii(head, 8, 12) === 'WEBP') return 'webp';
  if (head.length >= 12 && ascii(head, 4, 8) === 'ftyp') {
    const boxSize = head.readUInt32BE(0);
    const end = Math.min(head.length, boxSize >= 16 ? boxSize : 12);
    const brands = [ascii(head, 8, 12)];
    for (let offset = 16; offset + 4 <= end; offset += 4) brands.push(ascii(head, offset, offset + 4));
    if (brands.includes('avif') || brands.includes('avis')) return 'avif';
  }
  return null;
}

/** Width and height from the header bytes, for the formats that keep them at a fixed place. */
export function headerDimensions(format: ImageFormat, head: Buffer): Dimensions | null {
  switch (format) {
    case 'png':
      return head.length >= 24 && ascii(head, 12, 16) === 'IHDR'
        ? { width: head.readUInt32BE(16), height: head.readUInt32BE(20) }
        : null;
    case 'gif':
      return head.length >= 10 ? { width: head.readUInt16LE(6), height: head.readUInt16LE(8) } : null;
    case 'webp':
      return webpDimensions(head);
    case 'avif':
      return avifDimensions(head);
    case 'jpeg':
      return null;
  }
}

function webpDimensions(head: Buffer): Dimensions | null {
  if (head.length < 30) return null;
  const chunk = ascii(head, 12, 16);
  if (chunk === 'VP8 ' && head[23] === 0x9d && head[24] === 0x01 && head[25] === 0x2a) {
    return { width: head.readUInt16LE(26) & 0x3fff, height: head.readUInt16LE(28) & 0x3fff };
  }
  if (chunk === 'VP8L' && head[20] === 0x2f) {
    const bits = head.readUInt32LE(21);
    return { width: (bits & 0x3fff) + 1, height: ((bits >> 14) & 0x3fff) + 1 };
  }
  if (chunk === 'VP8X') return { width: head.readUIntLE(24, 3) + 1, height: head.readUIntLE(27, 3) + 1 };
  return null;
}

const SOF_MARKERS = new Set([0xc0, 0xc1, 0xc2, 0xc3, 0xc5, 0xc6, 0xc7, 0xc9, 0xca, 0xcb, 0xcd, 0xce, 0xcf]);

/**
 * Where the next marker starts, as libjpeg's `next_marker` finds it: stray bytes (left by a segment whose
 * length is wrong) are skipped up to the next 0xff, fill bytes (0xff 0xff) are skipped, and 0xff 0x00 is
 * a stuffed byte, not a marker. Answers where a partial marker starts when the data ends first.
 */
function nextMarkerAt(data: Buffer): number {
  let at = 0;
  for (;;) {
    while (at < data.length && data[at] !== 0xff) at++;
    while (at + 1 < data.length && data[at + 1] === 0xff) at++;
    if (at + 1 < data.length && data[at + 1] === 0x00) {
      at += 2;
      continue;
    }
    return at;
  }
}

/**
 * Finds a JPEG's frame size while the bytes stream past: a JPEG's start-of-frame marker may follow
 * large metadata segments, so it cannot be read from a fixed header. Holds at most a few bytes.
 */
export class JpegSizeScanner {
  private pending = Buffer.alloc(0);
  private skip = 2; // the SOI marker
  private result: Dimensions | null = null;
  private stopped = false;

  get dimensions(): Dimensions | null {
    return this.result;
  }

  push(chunk: Buffer): void {
    if (this.stopped) return;
    let data = this.pending.length ? Buffer.concat([this.pending, chunk]) : chunk;
    this.pending = Buffer.alloc(0);
    for (;;) {
      if (this.skip > 0) {
        const skipped = Math.min(this.skip, data.length);
        this.skip -= skipped;
        data = data.subarray(skipped);
        if (this.skip > 0) return;
      }
      data = data.subarray(nextMarkerAt(data));
      if (data.length < 4) {
        this.pending = Buffer.from(data);
        return;
      }
      const marker = data[1] ?? 0;
      if (marker === 0xd9 || marker === 0xda) {
        this.stopped = true; // end of image, or image data before any frame header
        return;
      }
      if (marker === 0x01 || (marker >= 0xd0 && marker <= 0xd7)) {
        data = data.subarray(2);
        continue;
      }
      if (SOF_MARKERS.has(marker)) {
        if (data.length < 9) {
          this.pending = Buffer.from(data);
          return;
        }
        this.result = { height: data.readUInt16BE(5), width: data.readUInt16BE(7) };
        this.stopped = true;
        return;
      }
      this.skip = 2 + data.readUInt16BE(2);
    }
  }
}

/**
 * Decides an image's type and size from its bytes as they arrive, whatever their chunking: the type
 * once enough first bytes are in (`sniffLength`), the size from the header bytes or, for a JPEG, from
 * the frame header wherever it comes. Keeps the first 64 KiB and, until the type is known, the chunks.
 */
export class ImageSniffer {
  static readonly HEAD_BYTES = 64 * 1024;
  private readonly headBuffer = Buffer.alloc(ImageSniffer.HEAD_BYTES);
  private headLength = 0;
  private held: Buffer[] = [];
  private total = 0;
  private decided: ImageFormat | null | undefined;
  private readonly jpeg = new JpegSizeScanner();

  get bytes(): number {
    return this.total;
  }

  /** Takes the next chunk; answers the format once known, `null` when it is no image, `undefined` before. */
  push(chunk: Buffer): ImageFormat | null | undefined {
    this.total += chunk.length;
    if (this.headLength < ImageSniffer.HEAD_BYTES)
      this.headLength += chunk.copy(this.headBuffer, this.headLength);
    if (this.decided !== undefined) {
      if (this.decided === 'jpeg') this.jpeg.push(chunk);
      return this.decided;
    }
    this.held.push(chunk);
    return this.total < sniffLength(this.head()) ? undefined : this.decide();
  }

  /** The bytes have ended: decides with what there is. */
  end(): ImageFormat | null {
    return this.decided === undefined ? this.decide() : this.decided;
  }

  private decide(): ImageFormat | null {
    this.decided = detectFormat(this.head());
    if (this.decided === 'jpeg') for (const chunk of this.held) this.jpeg.push(chunk);
    this.held = [];
    return this.decided;
  }

  /** Width and height as far as the bytes so far tell them (a JPEG's only once its frame header passed). */
  get dimensions(): Dimensions | null {
    if (!this.decided) return null;
    return this.decided === 'jpeg' ? this.jpeg.dimensions : headerDimensions(this.decided, this.head());
  }

  private head(): Buffer {
    return this.headBuffer.subarray(0, this.headLength);
  }
}
