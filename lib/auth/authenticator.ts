import { InvalidTokenError, NotAuthenticatedError } from '../domain/errors';
import { API_KEY_PATTERN, hashApiKey, hashesEqual, keyFromAuthorizationHeader } from './keys';
import type { TokenStore } from './token-store';

export interface AuthenticatorOptions {
  /** How long a key found valid is trusted without a read; a revocation takes at most this long. */
  cacheTtlMs: number;
  /** Bound on the cache, so a flood of distinct keys cannot grow memory. */
  maxCachedKeys?: number;
  now?: () => number;
}

/** Resolves an `Authorization` header to the name of its key, or throws the contract's 401. */
export type Authenticator = (authorizationHeader: string | undefined) => Promise<string>;

/** The one place that decides who is authenticated; every entry point uses it. */
export function createAuthenticator(store: TokenStore, options: AuthenticatorOptions): Authenticator {
  const now = options.now ?? Date.now;
  const maxCachedKeys = options.maxCachedKeys ?? 1000;
  const trusted = new Map<string, { name: string; expiresAt: number }>();

  return async (authorizationHeader) => {
    const key = keyFromAuthorizationHeader(authorizationHeader);
    if (key === null) throw new NotAuthenticatedError();
    if (!API_KEY_PATTERN.test(key)) throw new InvalidTokenError();
    const keyHash = hashApiKey(key);

    const cached = trusted.get(keyHash);
    if (cached && cached.expiresAt > now()) return cached.name;
    trusted.delete(keyHash);

    const record = await store.findByHash(keyHash);
    if (!record || !hashesEqual(record.keyHash, keyHash)) throw new InvalidTokenError();
    if (trusted.size >= maxCachedKeys) {
      const oldest = trusted.keys().next().value;
      if (oldest !== undefined) trusted.delete(oldest);
    }
    trusted.set(keyHash, { name: record.name, expiresAt: now() + options.cacheTtlMs });
    return record.name;
  };
}
