import { describe, expect, it } from 'vitest';
import { detectFormat, headerDimensions, JpegSizeScanner } from '../../lib/pipeline/image-format';
import { avifHeader, gif, jpegImage, png, webp } from '../helpers/images';

describe('image formats', () => {
  it.each([
    ['png', png(3, 2), { width: 3, height: 2 }],
    ['gif', gif(5, 3), { width: 5, height: 3 }],
    ['webp', webp(), { width: 1, height: 1 }],
    ['avif', avifHeader(640, 480), { width: 640, height: 480 }],
  ] as const)('detects %s and reads its size from the header', (format, bytes, size) => {
    expect(detectFormat(bytes)).toBe(format);
    expect(headerDimensions(format, bytes)).toEqual(size);
  });

  it('reads a VP8X WebP canvas size', () => {
    const header = Buffer.alloc(30);
    header.write('RIFF', 0, 'latin1');
    header.write('WEBPVP8X', 8, 'latin1');
    header.writeUIntLE(1919, 24, 3);
    header.writeUIntLE(1079, 27, 3);
    expect(headerDimensions('webp', header)).toEqual({ width: 1920, height: 1080 });
  });

  it.each([
    ['HTML', Buffer.from('<!doctype html><html><body>hi</body></html>')],
    ['SVG', Buffer.from('<svg xmlns="http://www.w3.org/2000/svg" width="1" height="1"/>')],
    ['a truncated PNG signature', Buffer.from([0x89, 0x50, 0x4e])],
    ['nothing', Buffer.alloc(0)],
  ])('refuses %s', (_name, bytes) => {
    expect(detectFormat(bytes)).toBeNull();
  });

  it('finds a JPEG frame size however the bytes are split, past large metadata segments', () => {
    const base = jpegImage(33, 17);
    expect(detectFormat(base)).toBe('jpeg');
    // An APP1 segment of 60 KB before the frame header, as EXIF data makes.
    const app1 = Buffer.alloc(60_000 + 4);
    app1[0] = 0xff;
    app1[1] = 0xe1;
    app1.writeUInt16BE(60_002, 2);
    const withExif = Buffer.concat([base.subarray(0, 2), app1, base.subarray(2)]);
    for (const chunkSize of [1, 7, 4096, withExif.length]) {
      const scanner = new JpegSizeScanner();
      for (let at = 0; at < withExif.length; at += chunkSize)
        scanner.push(withExif.subarray(at, at + chunkSize));
      expect(scanner.dimensions).toEqual({ width: 33, height: 17 });
    }
  });
});
