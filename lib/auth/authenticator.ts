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

/** Who a valid key belongs to: the key's name, and the usage-plan key that meters it (deployed). */
export interface Principal {
  name: string;
  usageKey?: string;
}

/** Resolves an `Authorization` header to its key's principal, or throws the contract's 401. */
export type Authenticator = (authorizationHeader: string | undefined) => Promise<Principal>;

/** The one place that decides who is authenticated; every entry point uses it. */
export function createAuthenticator(store: TokenStore, options: AuthenticatorOptions): Authenticator {
  const now = options.now ?? Date.now;
  const maxCachedKeys = options.maxCachedKeys ?? 1000;
  const trusted = new Map<string, { principal: Principal; expiresAt: number }>();

  return async (authorizationHeader) => {
    const key = keyFromAuthorizationHeader(authorizationHeader);
    if (key === null) throw new NotAuthenticatedError();
    if (!API_KEY_PATTERN.test(key)) throw new InvalidTokenError();
    const keyHash = hashApiKey(key);

    const cached = trusted.get(keyHash);
    if (cached && cached.expiresAt > now()) return cached.principal;
    trusted.delete(keyHash);

    const record = await store.findByHash(keyHash);
    if (!record || !hashesEqual(record.keyHash, keyHash)) throw new InvalidTokenError();
    if (trusted.size >= maxCachedKeys) {
      const oldest = trusted.keys().next().value;
      if (oldest !== undefined) trusted.delete(oldest);
    }
    const principal: Principal = record.usageKey
      ? { name: record.name, usageKey: record.usageKey }
      : { name: record.name };
    trusted.set(keyHash, { principal, expiresAt: now() + options.cacheTtlMs });
    return principal;
  };
}
