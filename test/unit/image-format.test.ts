import { describe, expect, it } from 'vitest';
import {
  detectFormat,
  headerDimensions,
  ImageSniffer,
  JpegSizeScanner,
  SNIFF_BYTES,
} from '../../lib/pipeline/image-format';
import { fixtureImages, fixturesMissing, hasFixtures, type ImageTruth } from '../helpers/fixtures';
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

function sniff(bytes: Buffer, chunkSize: number) {
  const sniffer = new ImageSniffer();
  for (let at = 0; at < bytes.length; at += chunkSize) sniffer.push(bytes.subarray(at, at + chunkSize));
  const format = sniffer.end();
  const size = sniffer.dimensions;
  return { format, width: size?.width ?? null, height: size?.height ?? null };
}

const CHUNK_SIZES = [1, 7, 64 * 1024, Number.MAX_SAFE_INTEGER];

describe('sniffing streamed bytes', () => {
  it('skips stray bytes before a JPEG marker, as libjpeg does', () => {
    const base = jpegImage(21, 9);
    // An APP0 segment whose length is 3 bytes short leaves junk, then a stuffed 0xff00, before the next marker.
    const app0 = Buffer.from([0xff, 0xe0, 0x00, 0x05, 0x41, 0x42, 0x43, 0x44, 0x45, 0x46, 0xff, 0x00, 0x13]);
    const broken = Buffer.concat([base.subarray(0, 2), app0, base.subarray(2)]);
    for (const chunkSize of CHUNK_SIZES)
      expect(sniff(broken, chunkSize)).toEqual({ format: 'jpeg', width: 21, height: 9 });
  });

  it('reads a long AVIF brand list whatever the chunking', () => {
    const head = avifHeader(64, 48);
    const brands = Buffer.from('mif1miafMA1Bheicheixmsf1', 'latin1');
    const ftyp = Buffer.concat([
      Buffer.alloc(4),
      Buffer.from('ftypmif10000', 'latin1'),
      brands,
      Buffer.from('avif', 'latin1'),
    ]);
    ftyp.writeUInt32BE(ftyp.length, 0);
    const avif = Buffer.concat([ftyp, head.subarray(head.readUInt32BE(0))]);
    expect(ftyp.length).toBeGreaterThan(SNIFF_BYTES);
    for (const chunkSize of CHUNK_SIZES)
      expect(sniff(avif, chunkSize)).toEqual({ format: 'avif', width: 64, height: 48 });
  });

  describe.skipIf(!hasFixtures)(
    `real images from other projects' test suites (${fixturesMissing} when skipped)`,
    () => {
      const images = fixtureImages();
      it.each(CHUNK_SIZES)(
        'get the type and size their truth gives, fed in chunks of %i bytes',
        (chunkSize) => {
          const wrong = images
            .map((image) => ({ image, got: sniff(image.bytes, chunkSize) }))
            .filter(({ image, got }) => !image.answers.some((answer) => matches(answer, got)))
            .map(
              ({ image, got }) =>
                `${image.name}: ${JSON.stringify(got)}, want ${JSON.stringify(image.answers[0])}`,
            );
          expect(images.length).toBeGreaterThan(500);
          expect(wrong).toEqual([]);
        },
        // 32 MB fed a byte at a time takes a couple of seconds alone, longer on a busy machine.
        60_000,
      );
    },
  );
});

function matches(
  answer: ImageTruth,
  got: { format: string | null; width: number | null; height: number | null },
) {
  if (answer.format !== got.format) return false;
  return answer.format === null || (answer.width === got.width && answer.height === got.height);
}
