import { describe, expect, it, vi } from 'vitest';
import { createAuthenticator } from '../../lib/auth/authenticator';
import { generateApiKey, hashApiKey, keyFromAuthorizationHeader } from '../../lib/auth/keys';
import type { ApiKeyRecord } from '../../lib/auth/token-store';
import { InvalidTokenError, NotAuthenticatedError } from '../../lib/domain/errors';
import { memoryStore } from '../helpers/memory-token-store';

const key = generateApiKey();
const record = (): ApiKeyRecord => ({
  name: 'shop',
  keyHash: hashApiKey(key),
  lastFour: key.slice(-4),
  createdAt: 'now',
});

describe('keys', () => {
  it('are 40 hex characters, hashed with SHA-256', () => {
    expect(key).toMatch(/^[0-9a-f]{40}$/);
    expect(hashApiKey(key)).toMatch(/^[0-9a-f]{64}$/);
    expect(hashApiKey(key)).not.toContain(key);
  });

  it.each([
    [undefined, null],
    ['', null],
    ['Bearer abc', null],
    ['Token', null],
    ['Token a b', null],
    ['token abc', 'abc'],
    ['TOKEN   abc ', 'abc'],
  ])('reads %j as %j', (header, expected) => {
    expect(keyFromAuthorizationHeader(header)).toBe(expected);
  });
});

describe('createAuthenticator', () => {
  it('answers the key name for a stored key', async () => {
    const authenticate = createAuthenticator(memoryStore([record()]), { cacheTtlMs: 1000 });
    await expect(authenticate(`Token ${key}`)).resolves.toMatchObject({ name: 'shop' });
  });

  it('distinguishes a missing header from a wrong key, and reads nothing for a malformed one', async () => {
    const store = memoryStore([record()]);
    const authenticate = createAuthenticator(store, { cacheTtlMs: 1000 });
    await expect(authenticate(undefined)).rejects.toBeInstanceOf(NotAuthenticatedError);
    await expect(authenticate('Basic Zm9vOmJhcg==')).rejects.toBeInstanceOf(NotAuthenticatedError);
    await expect(authenticate('Token not-a-key')).rejects.toBeInstanceOf(InvalidTokenError);
    expect(store.reads).toBe(0);
    await expect(authenticate(`Token ${generateApiKey()}`)).rejects.toBeInstanceOf(InvalidTokenError);
    expect(store.reads).toBe(1);
  });

  it('trusts a valid key for the cache TTL, then sees its revocation', async () => {
    let now = 0;
    const store = memoryStore([record()]);
    const authenticate = createAuthenticator(store, { cacheTtlMs: 60_000, now: () => now });
    await authenticate(`Token ${key}`);
    await authenticate(`Token ${key}`);
    expect(store.reads).toBe(1);
    await store.revoke('shop');
    now = 59_000;
    await expect(authenticate(`Token ${key}`)).resolves.toMatchObject({ name: 'shop' });
    now = 60_001;
    await expect(authenticate(`Token ${key}`)).rejects.toBeInstanceOf(InvalidTokenError);
  });

  it('never caches more keys than allowed', async () => {
    const keys = Array.from({ length: 5 }, () => generateApiKey());
    const store = memoryStore(
      keys.map((k, i) => ({ name: `k${i}`, keyHash: hashApiKey(k), lastFour: '', createdAt: '' })),
    );
    const spy = vi.spyOn(store, 'findByHash');
    const authenticate = createAuthenticator(store, { cacheTtlMs: 60_000, maxCachedKeys: 2 });
    for (const k of keys) await authenticate(`Token ${k}`);
    await authenticate(`Token ${keys[0]}`);
    expect(spy).toHaveBeenCalledTimes(6);
  });
});
