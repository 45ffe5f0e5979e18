import jpeg from 'jpeg-js';
import { encodePng } from '../../infra/local/sample-images';

/** Real, decodable images of known size, made in the test rather than shipped as fixtures. */

export function png(width: number, height: number): Buffer {
  const data = Buffer.alloc(width * height * 3);
  for (let y = 0; y < height; y++)
    for (let x = 0; x < width * 3; x++) data[y * width * 3 + x] = (x * 7 + y * 13) & 0xff;
  return encodePng({ width, height, channels: 3, data });
}

export function jpegImage(width: number, height: number): Buffer {
  const data = Buffer.alloc(width * height * 4, 0x7f);
  return Buffer.from(jpeg.encode({ data, width, height }, 80).data);
}

/** A 2-colour GIF of any size whose pixels are all colour 0 (LZW: clear, then one code per pixel). */
export function gif(width: number, height: number): Buffer {
  const header = Buffer.alloc(13);
  header.write('GIF89a', 0, 'latin1');
  header.writeUInt16LE(width, 6);
  header.writeUInt16LE(height, 8);
  header[10] = 0x80; // global colour table of 2 entries
  const palette = Buffer.from([0, 0, 0, 255, 255, 255]);
  const descriptor = Buffer.alloc(10);
  descriptor[0] = 0x2c;
  descriptor.writeUInt16LE(width, 5);
  descriptor.writeUInt16LE(height, 7);
  // Minimum code size 2: codes of 3 bits; emit clear (4) then pixels, resetting before the table grows.
  const codes: number[] = [];
  for (let i = 0; i < width * height; i++) {
    if (i % 2 === 0) codes.push(4);
    codes.push(0);
  }
  codes.push(5); // end of information
  let bits = 0;
  let used = 0;
  const bytes: number[] = [];
  for (const code of codes) {
    bits |= code << used;
    used += 3;
    while (used >= 8) {
      bytes.push(bits & 0xff);
      bits >>= 8;
      used -= 8;
    }
  }
  if (used > 0) bytes.push(bits & 0xff);
  const blocks: number[] = [2];
  for (let i = 0; i < bytes.length; i += 255) {
    const block = bytes.slice(i, i + 255);
    blocks.push(block.length, ...block);
  }
  blocks.push(0);
  return Buffer.concat([
    header,
    palette,
    descriptor.subarray(0, 10),
    Buffer.from(blocks),
    Buffer.from([0x3b]),
  ]);
}

/** A 1×1 lossless WebP (VP8L). */
export function webp(): Buffer {
  return Buffer.from('UklGRhoAAABXRUJQVlA4TA0AAAAvAAAAEAcQERGIiP4HAA==', 'base64');
}

/** The first bytes of an AVIF: `ftyp` with the avif brand, then `meta` holding an `ispe` of the given size. */
export function avifHeader(width: number, height: number): Buffer {
  const ftyp = Buffer.alloc(24);
  ftyp.writeUInt32BE(24, 0);
  ftyp.write('ftypavif', 4, 'latin1');
  ftyp.write('mif1miaf', 16, 'latin1');
  const ispe = Buffer.alloc(20);
  ispe.writeUInt32BE(20, 0);
  ispe.write('ispe', 4, 'latin1');
  ispe.writeUInt32BE(width, 12);
  ispe.writeUInt32BE(height, 16);
  return Buffer.concat([ftyp, Buffer.from([0, 0, 0, 28]), Buffer.from('meta\0\0\0\0', 'latin1'), ispe]);
}
