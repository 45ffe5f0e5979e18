import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import { publishableAvifSequence } from '../../lib/formats/avif-sequence';
import { renderImage } from '../../lib/rendering/render-image';
import { DEFAULT_MAX_PIXELS } from '../../lib/rendering/rendition';
import { fixtureImages, fixturesMissing, hasFixtures } from '../helpers/fixtures';
import { photoJpeg } from '../helpers/photos';

const options = { widths: [352, 832], avifEffort: 0, maxPixels: DEFAULT_MAX_PIXELS };
const fixtures = fixtureImages();
/** Animated AVIFs: every current browser shows them; this libvips cannot decode them. */
const sequences = fixtures.filter(
  (file) => /animated|sequence|poc_b|avif_star/.test(file.name) && file.answers[0]?.format === 'avif',
);

describe.skipIf(!hasFixtures)(`publishing what the renderer cannot decode (${fixturesMissing})`, () => {
  it('finds the seven animated AVIF fixtures', () => {
    expect(sequences.map((file) => file.name)).toHaveLength(7);
  });

  it.each(sequences.map((file) => [file.name, file] as const))(
    '%s is published as its original at its header size, with no renditions and no placeholder',
    async (_name, file) => {
      const rendition = await renderImage(file.bytes, options);
      expect(rendition).toMatchObject({
        kind: 'original',
        variants: [],
        width: file.answers[0]?.width,
        height: file.answers[0]?.height,
      });
      expect(rendition.original.contentType).toBe('image/avif');
      expect(rendition.original.body).toHaveLength(file.bytes.length);
      expect(rendition.thumbhash).toBeUndefined();
    },
  );

  it('blanks Exif and XMP items and the movie metadata in place, every offset unchanged', async () => {
    const file = sequences.find((each) => each.name.includes('exif-xmp'));
    const published = (await renderImage(file?.bytes ?? Buffer.alloc(0), options)).original.body;
    const before = file?.bytes.toString('latin1') ?? '';
    const after = published.toString('latin1');
    // The Exif payload starts with its TIFF header; XMP names its namespace.
    expect(before).toMatch(/MM\0\*|II\*\0/);
    expect(after).not.toMatch(/MM\0\*|II\*\0/);
    expect(before).toContain('http://ns.adobe.com');
    expect(after).not.toContain('http://ns.adobe.com');
    expect(published.subarray(0, 32).equals(file?.bytes.subarray(0, 32) ?? Buffer.alloc(0))).toBe(true);
  });

  it.each(sequences.map((file) => [file.name, file] as const))(
    '%s cut short stays failed: image data truncated',
    async (_name, file) => {
      const cut = file.bytes.subarray(0, Math.floor(file.bytes.length * 0.7));
      await expect(renderImage(cut, options)).rejects.toMatchObject({ reason: 'image data truncated' });
    },
  );

  it('a still AVIF with garbled data stays failed', async () => {
    const garbled = fixtures.find((file) => file.name.includes('garbled'));
    await expect(renderImage(garbled?.bytes ?? Buffer.alloc(0), options)).rejects.toMatchObject({
      reason: 'image encoding not supported',
    });
  });

  it('a sequence running on past its last box is not published', () => {
    const file = sequences[0]?.bytes ?? Buffer.alloc(0);
    expect(publishableAvifSequence(Buffer.concat([file, Buffer.from([0, 0, 0])]))).toEqual({
      outcome: 'truncated',
    });
  });
});

describe('the sequence check on other inputs', () => {
  it('leaves anything but an AVIF image sequence to fail as before', async () => {
    const jpeg = await photoJpeg(64, 48);
    const still = await sharp(jpeg).avif({ effort: 0 }).toBuffer();
    expect(publishableAvifSequence(jpeg)).toEqual({ outcome: 'unpublishable' });
    expect(publishableAvifSequence(still)).toEqual({ outcome: 'unpublishable' });
    expect(publishableAvifSequence(Buffer.alloc(0))).toEqual({ outcome: 'unpublishable' });
  });
});
