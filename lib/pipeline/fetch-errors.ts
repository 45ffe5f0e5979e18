/**
 * Why an image could not be copied. Permanent reasons fail the image at once; transient ones are retried
 * through the stream's partial batch failure. The reason is short and safe to show to the client.
 */
export class ImageCopyError extends Error {
  constructor(
    readonly reason: string,
    readonly permanent: boolean,
  ) {
    super(reason);
    this.name = 'ImageCopyError';
  }
}

export const permanent = (reason: string) => new ImageCopyError(reason, true);
export const transient = (reason: string) => new ImageCopyError(reason, false);
