import type { BorderAnalysis, Box, Rgba } from '../domain/tile-rule';

/** Decoded pixels, row by row, `channels` bytes each (3: RGB, 4: RGBA). */
export interface RawPixels {
  data: Buffer;
  width: number;
  height: number;
  channels: number;
}

/**
 * A border pixel this close to the border's colour (largest channel difference) counts as that colour:
 * wide enough for JPEG's ringing and noise on a studio white, narrow enough that sky or a wall is not one
 * colour.
 */
export const UNIFORM_TOLERANCE = 20;
/** The share of a side's border pixels that must be that colour for the side to count as one colour. */
export const UNIFORM_SHARE = 0.97;
/**
 * A pixel differing from the background by more than this is content: a soft shadow (a few levels under
 * the backdrop) is kept inside the content box, JPEG noise is not.
 */
export const CONTENT_TOLERANCE = 12;

function pixelAt(pixels: RawPixels, x: number, y: number): Rgba {
  const at = (y * pixels.width + x) * pixels.channels;
  const { data } = pixels;
  const alpha = pixels.channels === 4 ? (data[at + 3] as number) : 255;
  return [data[at] as number, data[at + 1] as number, data[at + 2] as number, alpha];
}

/** Largest channel difference; two pixels both (nearly) transparent are the same whatever their colour. */
function distance(a: Rgba, b: Rgba): number {
  if (a[3] < 8 && b[3] < 8) return 0;
  return Math.max(Math.abs(a[0] - b[0]), Math.abs(a[1] - b[1]), Math.abs(a[2] - b[2]), Math.abs(a[3] - b[3]));
}

/** The pixels of each side of the image's outer ring, `thickness` deep, about 1,000 a side at most. */
function ring(pixels: RawPixels, thickness: number): Rgba[][] {
  const { width, height } = pixels;
  const sides: Rgba[][] = [[], [], [], []];
  const across = Math.max(1, Math.floor((width * thickness) / 1000));
  const down = Math.max(1, Math.floor((height * thickness) / 1000));
  for (let depth = 0; depth < thickness; depth++) {
    for (let x = 0; x < width; x += across) {
      sides[0]?.push(pixelAt(pixels, x, depth));
      sides[2]?.push(pixelAt(pixels, x, height - 1 - depth));
    }
    for (let y = 0; y < height; y += down) {
      sides[1]?.push(pixelAt(pixels, width - 1 - depth, y));
      sides[3]?.push(pixelAt(pixels, depth, y));
    }
  }
  return sides;
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] ?? 0;
}

/**
 * Whether a line (a row or a column) holds content: more than a few pixels unlike the background, so
 * a stray noisy pixel does not stretch the box.
 */
function lineHasContent(
  pixels: RawPixels,
  background: Rgba,
  length: number,
  at: (i: number) => [number, number],
): boolean {
  const needed = Math.max(2, Math.floor(length * 0.002));
  let found = 0;
  for (let i = 0; i < length; i++) {
    const [x, y] = at(i);
    if (distance(pixelAt(pixels, x, y), background) > CONTENT_TOLERANCE && ++found >= needed) return true;
  }
  return false;
}

/** The box of everything unlike the background, scanning inwards from each side. */
function contentBox(pixels: RawPixels, background: Rgba): Box {
  const { width, height } = pixels;
  const row = (y: number) => lineHasContent(pixels, background, width, (x) => [x, y]);
  const column = (x: number) => lineHasContent(pixels, background, height, (y) => [x, y]);
  let top = 0;
  while (top < height && !row(top)) top++;
  if (top === height) return { left: 0, top: 0, width, height };
  let bottom = height - 1;
  while (bottom > top && !row(bottom)) bottom--;
  let left = 0;
  while (left < width - 1 && !column(left)) left++;
  let right = width - 1;
  while (right > left && !column(right)) right--;
  return { left, top, width: right - left + 1, height: bottom - top + 1 };
}

/**
 * Packshot or photo, from decoded pixels. The border is the outer 1 % of each side (at least one
 * pixel); its colour is the per-channel median; three sides of it in that colour make a packshot. Ours rather than sharp's `trim`: the same scan that
 * finds the content box also says whether the border is one colour at all (trim would crop a photo's
 * sky), and it runs on the pixels the renderer already holds, with no pipeline of its own.
 */
export function analyseBorder(pixels: RawPixels): BorderAnalysis {
  const thickness = Math.max(1, Math.round(Math.min(pixels.width, pixels.height) * 0.01));
  const sides = ring(pixels, thickness);
  const samples = sides.flat();
  const channel = (values: Rgba[], index: number) => median(values.map((sample) => sample[index] as number));
  const colourOf = (values: Rgba[]): Rgba => [
    channel(values, 0),
    channel(values, 1),
    channel(values, 2),
    channel(values, 3),
  ];
  const shareAlike = (values: Rgba[], colour: Rgba) =>
    values.length === 0
      ? 0
      : values.filter((sample) => distance(sample, colour) <= UNIFORM_TOLERANCE).length / values.length;
  // A product may touch one edge (it stands on the floor, or is cut by the frame): three sides of one
  // colour make a packshot, and that colour is theirs.
  const colour = colourOf(samples);
  const uniformSides = sides.filter((side) => shareAlike(side, colour) >= UNIFORM_SHARE);
  if (uniformSides.length >= 3) {
    const background = colourOf(uniformSides.flat());
    return { kind: 'packshot', background, content: contentBox(pixels, background) };
  }
  const mean = [0, 1, 2].map((index) =>
    Math.round(
      samples.reduce((sum, sample) => sum + (sample[index] as number), 0) / Math.max(1, samples.length),
    ),
  );
  return { kind: 'photo', edgeColour: [mean[0] ?? 0, mean[1] ?? 0, mean[2] ?? 0, 255] };
}
