import { describe, expect, it } from 'vitest';
import { PreconditionFailedError } from '../../lib/domain/errors';
import { checkPreconditions, parseEntityTags } from '../../lib/domain/preconditions';

describe('preconditions', () => {
  it('parses tag lists, * and weak tags', () => {
    expect(parseEntityTags(undefined)).toBeUndefined();
    expect(parseEntityTags(' * ')).toBe('*');
    expect(parseEntityTags('"a", W/"b"')).toEqual(['"a"', '"b"']);
  });

  it.each<[string, string | null, Parameters<typeof checkPreconditions>[1], boolean]>([
    ['If-Match current', 'v1', { ifMatch: ['"v1"'] }, true],
    ['If-Match stale', 'v2', { ifMatch: ['"v1"'] }, false],
    ['If-Match on a missing SKU', null, { ifMatch: ['"v1"'] }, false],
    ['If-Match * on a stored SKU', 'v1', { ifMatch: '*' }, true],
    ['If-Match * on a missing SKU', null, { ifMatch: '*' }, false],
    ['If-None-Match * on a missing SKU', null, { ifNoneMatch: '*' }, true],
    ['If-None-Match * on a stored SKU', 'v1', { ifNoneMatch: '*' }, false],
    ['If-None-Match with the current tag', 'v1', { ifNoneMatch: ['"v1"'] }, false],
    ['If-None-Match with an old tag', 'v2', { ifNoneMatch: ['"v1"'] }, true],
    ['nothing asked', null, {}, true],
  ])('%s', (_name, version, preconditions, passes) => {
    const check = () => checkPreconditions(version, preconditions);
    if (passes) expect(check).not.toThrow();
    else expect(check).toThrow(PreconditionFailedError);
  });
});
