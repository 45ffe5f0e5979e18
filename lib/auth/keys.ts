import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import type { ApiKeyRecord } from './token-store';

/** 40 hex characters (160 bits) of cryptographic randomness, as the original service's keys. */
export function generateApiKey(): string {
  return randomBytes(20).toString('hex');
}

export const API_KEY_PATTERN = /^[0-9a-f]{40}$/i;

/** What is stored of a key: its hash and what helps a person recognise it, never the key itself. */
export function apiKeyRecord(name: string, key: string, createdAt = new Date()): ApiKeyRecord {
  return { name, keyHash: hashApiKey(key), lastFour: key.slice(-4), createdAt: createdAt.toISOString() };
}

/** Keys are stored and looked up only by this hash. */
export function hashApiKey(key: string): string {
  return createHash('sha256').update(key.toLowerCase(), 'utf8').digest('hex');
}

export function hashesEqual(a: string, b: string): boolean {
  const left = Buffer.from(a, 'hex');
  const right = Buffer.from(b, 'hex');
  return left.length === right.length && timingSafeEqual(left, right);
}

/**
 * The key from `Authorization: Token <key>` (scheme case-insensitive), or null when the header is
 * missing or malformed.
 */
export function keyFromAuthorizationHeader(header: string | undefined): string | null {
  if (header === undefined) return null;
  const parts = header.trim().split(/\s+/);
  if (parts.length !== 2 || parts[0]?.toLowerCase() !== 'token' || !parts[1]) return null;
  return parts[1];
}
