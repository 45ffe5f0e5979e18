import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import sharp from 'sharp';
import { DEFAULT_AVIF_EFFORT, type VariantFormat } from '../../lib/domain/variant-ladder';
import { encodeVariant, RENDITION_QUALITY } from '../../lib/rendering/render-image';
import { FIXTURES_DIR } from '../helpers/fixtures';

const run = promisify(execFile);
const median = (values: number[]) =>
  [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)] ?? Number.NaN;

/** Real camera photos among the fixtures, of several cameras and scenes, all wider than the 832 rung. */
const PHOTOS = [
  'libavif-dog_exif_extended_xmp_icc.jpg',
  'exif-hdr_iphone_hdr_YES.jpg',
  'exif-mobile_jolla.jpg',
  'exif-tests_35-empty.jpg',
  'exif-hdr_canon_hdr_YES.jpg',
  'pillow-xmp_test.jpg',
  'imagesize-valid_jpg_large.jpg',
  'webp-gallery1_3.webp',
];
const RUNG = 832;
/** The AVIF efforts compared at the quality in use. */
const AVIF_EFFORTS = [1, 2, 3, 4];
/** The qualities tried per format: the lowest whose median distance meets the target is chosen. */
const TRIED: Record<'avif' | 'webp' | 'jpeg', number[]> = {
  avif: [50, 55, 56, 57, 58, 59, 60, 65, 70],
  webp: [75, 80, 81, 82, 83, 84, 85, 90],
  jpeg: [75, 80, 85],
};
/** The JPEG fallback's quality before this measurement: its distance is the target. */
const BASELINE_JPEG_QUALITY = 80;

/** Butteraugli's distance (Debian's `butteraugli`) of `encoded` to the lossless reference PNG. */
async function distance(reference: string, encoded: Buffer, folder: string, name: string): Promise<number> {
  const decoded = join(folder, `${name}.png`);
  writeFileSync(decoded, await sharp(encoded).png().toBuffer());
  const { stdout } = await run('butteraugli', [reference, decoded]);
  return Number(stdout.trim().split(/\s+/)[0]);
}

/** Runs `work` over `items`, two at a time (butteraugli is single-threaded; the machine has two cores). */
async function inPairs<T, R>(items: readonly T[], work: (item: T) => Promise<R>): Promise<R[]> {
  const results: R[] = [];
  for (let index = 0; index < items.length; index += 2) {
    results.push(...(await Promise.all(items.slice(index, index + 2).map(work))));
  }
  return results;
}

/**
 * `npm run bench -- quality`: each format's butteraugli distance at the 832 rung over real photos,
 * against a lossless resize of the same original, at several qualities; the quality each format needs
 * to match the JPEG fallback, and the bytes each then takes.
 */
export async function measureQuality(): Promise<string[]> {
  const available = await run('butteraugli', []).then(
    () => true,
    (error: { code?: unknown }) => error.code !== 'ENOENT',
  );
  if (!available) return ['butteraugli is not installed: apt-get install -y butteraugli, then run again.'];
  const photos = PHOTOS.map((name) => join(FIXTURES_DIR, 'images', name)).filter((path) => existsSync(path));
  if (photos.length === 0) return [`no fixture photos under ${FIXTURES_DIR}`];
  const folder = mkdtempSync(join(tmpdir(), 'quality-'));
  try {
    type Sample = { format: 'avif' | 'webp' | 'jpeg'; quality: number; distance: number; bytes: number };
    const samples: Sample[] = [];
    for (const [index, photo] of photos.entries()) {
      const resized = sharp(photo).autoOrient().toColourspace('srgb').resize({ width: RUNG });
      const reference = join(folder, `${index}-reference.png`);
      writeFileSync(reference, await resized.clone().png().toBuffer());
      const encodings = (Object.keys(TRIED) as Array<keyof typeof TRIED>).flatMap((format) =>
        TRIED[format].map((quality) => ({ format, quality })),
      );
      samples.push(
        ...(await inPairs(encodings, async ({ format, quality }) => {
          const encoded = await encodeVariant(
            resized.clone(),
            format as VariantFormat,
            { avifEffort: DEFAULT_AVIF_EFFORT, quality: { ...RENDITION_QUALITY, [format]: quality } },
            false,
          ).toBuffer();
          return {
            format,
            quality,
            bytes: encoded.length,
            distance: await distance(reference, encoded, folder, `${index}-${format}-${quality}`),
          };
        })),
      );
    }
    const at = (format: Sample['format'], quality: number) =>
      samples.filter((sample) => sample.format === format && sample.quality === quality);
    const target = median(at('jpeg', BASELINE_JPEG_QUALITY).map((sample) => sample.distance));
    const lines = [
      `${photos.length} photos, ${RUNG} px rung, butteraugli distance to a lossless resize (lower is better); median over the photos:`,
      '',
      '| format | quality | distance (median, min–max) | bytes (median) |',
      '| --- | --- | --- | --- |',
    ];
    const chosen: Record<string, number> = {};
    for (const format of Object.keys(TRIED) as Array<keyof typeof TRIED>) {
      for (const quality of TRIED[format]) {
        const distances = at(format, quality).map((sample) => sample.distance);
        const bytes = median(at(format, quality).map((sample) => sample.bytes));
        lines.push(
          `| ${format} | ${quality} | ${median(distances).toFixed(2)} (${Math.min(...distances).toFixed(2)}–${Math.max(...distances).toFixed(2)}) | ${(bytes / 1024).toFixed(0)} KB |`,
        );
        if (chosen[format] === undefined && median(distances) <= target) chosen[format] = quality;
      }
    }
    lines.push(
      '',
      `Target: ${target.toFixed(2)}, the JPEG fallback's median at quality ${BASELINE_JPEG_QUALITY}.`,
    );
    const ratios: Record<string, number[]> = { avif: [], webp: [] };
    for (const [index] of photos.entries()) {
      const jpeg = samples.filter((sample) => sample.format === 'jpeg' && sample.quality === chosen.jpeg);
      for (const format of ['avif', 'webp'] as const) {
        const quality = chosen[format];
        if (quality === undefined) continue;
        const own = at(format, quality)[index];
        const fallback = jpeg[index];
        if (own && fallback) ratios[format]?.push(own.bytes / fallback.bytes);
      }
    }
    for (const format of ['avif', 'webp', 'jpeg'] as const) {
      lines.push(
        chosen[format] === undefined
          ? `${format}: no quality tried reaches the target`
          : `${format}: quality ${chosen[format]} meets it (in use: ${RENDITION_QUALITY[format]})`,
      );
    }
    // What AVIF's effort buys at the quality in use: distance, bytes and encoding CPU per effort.
    lines.push(
      '',
      `AVIF at quality ${RENDITION_QUALITY.avif} by effort (${RUNG} px rung, median over the photos):`,
    );
    for (const effort of AVIF_EFFORTS) {
      const runs = await inPairs([...photos.entries()], async ([index, photo]) => {
        const resized = sharp(photo).autoOrient().toColourspace('srgb').resize({ width: RUNG });
        const cpu = process.cpuUsage();
        const encoded = await encodeVariant(resized, 'avif', { avifEffort: effort }, false).toBuffer();
        const used = process.cpuUsage(cpu);
        return {
          bytes: encoded.length,
          cpuMs: (used.user + used.system) / 1000,
          distance: await distance(
            join(folder, `${index}-reference.png`),
            encoded,
            folder,
            `${index}-effort-${effort}`,
          ),
        };
      });
      lines.push(
        `  effort ${effort}${effort === DEFAULT_AVIF_EFFORT ? ' (in use)' : ''}: distance ${median(runs.map((each) => each.distance)).toFixed(2)}, ${(median(runs.map((each) => each.bytes)) / 1024).toFixed(1)} KB, ${median(runs.map((each) => each.cpuMs)).toFixed(0)} ms CPU (two encodes at once, resize included)`,
      );
    }
    lines.push(
      `Bytes at equal quality, median over the photos: AVIF/JPEG ${median(ratios.avif ?? []).toFixed(2)}, WebP/JPEG ${median(ratios.webp ?? []).toFixed(2)}.`,
    );
    return lines;
  } finally {
    rmSync(folder, { recursive: true, force: true });
  }
}
