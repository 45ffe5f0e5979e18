import { PreconditionFailedError } from './errors';

/** What a client made its POST conditional on. */
export interface WritePreconditions {
  /** `If-Match`: the ETags of which one must be current; `'*'` means the SKU must have images. */
  ifMatch?: readonly string[] | '*';
  /** `If-None-Match`: `'*'` means the SKU must have no images yet; tags name versions that must not be current. */
  ifNoneMatch?: readonly string[] | '*';
}

export function etagOf(version: string): string {
  return `"${version}"`;
}

/** Splits an `If-Match` or `If-None-Match` list into its entity tags (weak tags compare by value). */
export function parseEntityTags(header: string | undefined): readonly string[] | '*' | undefined {
  if (header === undefined || header.trim() === '') return undefined;
  if (header.trim() === '*') return '*';
  return header
    .split(',')
    .map((tag) => tag.trim().replace(/^W\//, ''))
    .filter((tag) => tag !== '');
}

/** Throws 412 unless the stored version (null: no images) meets every precondition. */
export function checkPreconditions(storedVersion: string | null, preconditions: WritePreconditions): void {
  const { ifMatch, ifNoneMatch } = preconditions;
  if (storedVersion !== null && ifNoneMatch !== undefined) {
    if (ifNoneMatch === '*')
      throw new PreconditionFailedError('This product already has images (If-None-Match: *).');
    if (ifNoneMatch.includes(etagOf(storedVersion))) {
      throw new PreconditionFailedError('The image set is still the version named in If-None-Match.');
    }
  }
  if (ifMatch === undefined) return;
  const matches = storedVersion !== null && (ifMatch === '*' || ifMatch.includes(etagOf(storedVersion)));
  if (!matches) {
    throw new PreconditionFailedError('The image set has changed since the given ETag (If-Match).');
  }
}
