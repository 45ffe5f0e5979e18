import sharp from 'sharp';

/**
 * Photos made with sharp for the rendering tests: a gradient with a red block in the top-left corner
 * (so a rotation shows), optionally tagged as a phone would tag it (EXIF orientation, GPS position).
 */
function pixels(
  width: number,
  height: number,
  channels: 3 | 4,
  alpha?: (x: number, y: number) => number,
): Buffer {
  const data = Buffer.alloc(width * height * channels);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const at = (y * width + x) * channels;
      const corner = x < width / 4 && y < height / 4;
      data[at] = corner ? 220 : Math.round((x / width) * 255);
      data[at + 1] = corner ? 20 : Math.round((y / height) * 255);
      data[at + 2] = corner ? 20 : 128;
      if (channels === 4) data[at + 3] = alpha ? alpha(x, y) : 255;
    }
  }
  return data;
}

export const GPS_EXIF = {
  IFD0: { Make: 'TestPhone', Model: 'Camera 1' },
  IFD3: {
    GPSLatitudeRef: 'N',
    GPSLatitude: '51/1 30/1 26/1',
    GPSLongitudeRef: 'W',
    GPSLongitude: '0/1 7/1 39/1',
  },
};

export function photoJpeg(
  width: number,
  height: number,
  tags: { orientation?: number; gps?: boolean } = {},
): Promise<Buffer> {
  let image = sharp(pixels(width, height, 3), { raw: { width, height, channels: 3 } });
  if (tags.gps) image = image.withExif(GPS_EXIF);
  if (tags.orientation) image = image.withMetadata({ orientation: tags.orientation });
  return image.jpeg({ quality: 85 }).toBuffer();
}

/** A PNG whose right half fades to fully transparent; `opaqueAlpha` keeps an alpha channel at 255. */
export function alphaPng(width: number, height: number, opaqueAlpha = false): Promise<Buffer> {
  const alpha = opaqueAlpha
    ? () => 255
    : (x: number) => (x < width / 2 ? 255 : Math.round(255 * (1 - x / width)));
  return sharp(pixels(width, height, 4, alpha), { raw: { width, height, channels: 4 } })
    .png()
    .toBuffer();
}

export async function animatedGif(width: number, height: number, frames: number): Promise<Buffer> {
  const images = await Promise.all(
    Array.from({ length: frames }, (_, frame) =>
      sharp({
        create: { width, height, channels: 3, background: { r: frame * 60, g: 90, b: 200 - frame * 40 } },
      })
        .png()
        .toBuffer(),
    ),
  );
  return sharp(images, { join: { animated: true } })
    .gif({ delay: 100, loop: 0 })
    .toBuffer();
}

/** True when an EXIF block holds a GPS directory (tag 0x8825, in either byte order). */
export function hasGpsTag(exif: Buffer | undefined): boolean {
  if (!exif) return false;
  return exif.includes(Buffer.from([0x88, 0x25])) || exif.includes(Buffer.from([0x25, 0x88]));
}
