import sharp, { type Sharp } from 'sharp';
import { rgbaToThumbHash } from 'thumbhash';

/** ThumbHash takes at most 100 px on a side. */
const PLACEHOLDER_SIZE = 100;

export interface Placeholder {
  /** base64 */
  thumbhash: string;
  /** `#rrggbb` */
  dominantColor: string;
  /** Some pixel is not fully opaque: the fallback rendition must be a PNG. */
  transparent: boolean;
}

function hex(value: number): string {
  return Math.round(value).toString(16).padStart(2, '0');
}

/**
 * The placeholder facts of an image, from one rendition at most 100 px on a side: its ThumbHash, its
 * dominant colour (sharp's histogram), and whether it has transparency. Only an image with an alpha
 * channel is checked for it, and a channel that is opaque everywhere counts as none.
 */
export async function placeholderOf(image: Sharp, hasAlpha: boolean): Promise<Placeholder> {
  const { data, info } = await image
    .resize(PLACEHOLDER_SIZE, PLACEHOLDER_SIZE, { fit: 'inside' })
    .ensureAlpha()
    .raw()
    .toBuffer({ resolveWithObject: true });
  let transparent = false;
  if (hasAlpha) {
    for (let alpha = 3; alpha < data.length; alpha += 4) {
      if ((data[alpha] as number) < 255) {
        transparent = true;
        break;
      }
    }
  }
  const thumbhash = Buffer.from(rgbaToThumbHash(info.width, info.height, data)).toString('base64');
  const { dominant } = await sharp(data, {
    raw: { width: info.width, height: info.height, channels: 4 },
  }).stats();
  return { thumbhash, dominantColor: `#${hex(dominant.r)}${hex(dominant.g)}${hex(dominant.b)}`, transparent };
}
