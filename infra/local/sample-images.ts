import { crc32, deflateSync } from 'node:zlib';
import jpeg from 'jpeg-js';

/** Raw pixels, row by row, 3 (RGB) or 4 (RGBA) bytes each. */
export interface Pixels {
  width: number;
  height: number;
  channels: 3 | 4;
  data: Buffer;
}

function pngChunk(type: string, data: Buffer): Buffer {
  const length = Buffer.alloc(4);
  length.writeUInt32BE(data.length);
  const typed = Buffer.concat([Buffer.from(type, 'latin1'), data]);
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(typed));
  return Buffer.concat([length, typed, crc]);
}

/** A plain 8-bit PNG (no filtering): enough for samples and tests, decodable by any viewer. */
export function encodePng({ width, height, channels, data }: Pixels): Buffer {
  const header = Buffer.alloc(13);
  header.writeUInt32BE(width, 0);
  header.writeUInt32BE(height, 4);
  header[8] = 8; // bit depth
  header[9] = channels === 4 ? 6 : 2; // RGBA or RGB
  const row = width * channels;
  const raw = Buffer.alloc((row + 1) * height);
  for (let y = 0; y < height; y++) data.copy(raw, y * (row + 1) + 1, y * row, (y + 1) * row);
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    pngChunk('IHDR', header),
    pngChunk('IDAT', deflateSync(raw)),
    pngChunk('IEND', Buffer.alloc(0)),
  ]);
}

type Rgb = readonly [number, number, number];

/** A T-shirt's outline on a 1×1 square, clockwise from the left shoulder. */
const SHIRT: ReadonlyArray<readonly [number, number]> = [
  [0.36, 0.16],
  [0.43, 0.13],
  [0.5, 0.19],
  [0.57, 0.13],
  [0.64, 0.16],
  [0.84, 0.3],
  [0.77, 0.42],
  [0.68, 0.36],
  [0.68, 0.86],
  [0.32, 0.86],
  [0.32, 0.36],
  [0.23, 0.42],
  [0.16, 0.3],
];

/** Where a horizontal line at `y` enters and leaves the polygon, in pairs (even-odd rule). */
function crossings(y: number, polygon: ReadonlyArray<readonly [number, number]>): number[] {
  const xs: number[] = [];
  for (let i = 0, j = polygon.length - 1; i < polygon.length; j = i++) {
    const [xi, yi] = polygon[i] ?? [0, 0];
    const [xj, yj] = polygon[j] ?? [0, 0];
    if (yi > y !== yj > y) xs.push(((xj - xi) * (y - yi)) / (yj - yi) + xi);
  }
  return xs.sort((a, b) => a - b);
}

function within(x: number, spans: readonly number[]): boolean {
  for (let i = 0; i + 1 < spans.length; i += 2)
    if (x >= (spans[i] ?? 0) && x < (spans[i + 1] ?? 0)) return true;
  return false;
}

const clamp = (value: number) => Math.max(0, Math.min(255, Math.round(value)));

/** A product photo as a studio shot would frame it: a shirt with a soft shadow on a light backdrop. */
function shirtPhoto(size: number, colour: Rgb): Pixels {
  const data = Buffer.alloc(size * size * 4, 255);
  for (let py = 0; py < size; py++) {
    const y = py / size;
    const shirt = crossings(y, SHIRT);
    const shadow = crossings(y - 0.02, SHIRT);
    const backdrop = 246 - 18 * y;
    for (let px = 0; px < size; px++) {
      const x = px / size;
      const at = (py * size + px) * 4;
      if (within(x, shirt)) {
        // Light from above, a darker fold down the middle.
        const shade = 1.08 - 0.35 * y - 0.12 * Math.exp(-(((x - 0.5) / 0.05) ** 2));
        data[at] = clamp(colour[0] * shade);
        data[at + 1] = clamp(colour[1] * shade);
        data[at + 2] = clamp(colour[2] * shade);
      } else {
        const tone = within(x - 0.015, shadow) ? backdrop - 40 : backdrop;
        data[at] = clamp(tone);
        data[at + 1] = clamp(tone);
        data[at + 2] = clamp(tone + 2);
      }
    }
  }
  return { width: size, height: size, channels: 4, data };
}

function swatch(size: number, colour: Rgb): Pixels {
  const data = Buffer.alloc(size * size * 3);
  for (let at = 0; at < data.length; at += 3) data.set(colour, at);
  return { width: size, height: size, channels: 3, data };
}

export interface SampleImage {
  /** Path under the local server, e.g. `/samples/shirt-red.jpg`. */
  path: string;
  contentType: string;
  bytes: Buffer;
  width: number;
  height: number;
}

const COLOURS: Record<string, Rgb> = { red: [196, 40, 48], navy: [34, 52, 104] };

/**
 * Product photos made by the project itself (nothing is downloaded), served by local mode so that the
 * walkthrough works on a machine without internet: per colour an 800×800 JPEG photo and a 64×64 PNG
 * swatch.
 */
export function sampleImages(): SampleImage[] {
  return Object.entries(COLOURS).flatMap(([name, colour]): SampleImage[] => {
    const photo = shirtPhoto(800, colour);
    return [
      {
        path: `/samples/shirt-${name}.jpg`,
        contentType: 'image/jpeg',
        bytes: Buffer.from(jpeg.encode({ data: photo.data, width: 800, height: 800 }, 85).data),
        width: 800,
        height: 800,
      },
      {
        path: `/samples/shirt-${name}-swatch.png`,
        contentType: 'image/png',
        bytes: encodePng(swatch(64, colour)),
        width: 64,
        height: 64,
      },
    ];
  });
}
