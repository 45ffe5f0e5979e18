import { describe, expect, it } from 'vitest';
import { runTokenCommand } from '../../infra/tokens';
import { DynamoTokenStore } from '../../lib/adapters/dynamodb/token-store';
import { documentClientFor, useTestApi } from '../helpers/local-api';

const t = useTestApi();

const body = { product_sku: 'auth', images: [{ url: 'https://u/a.png' }] };

/** Local mode has no API Gateway, so no usage plans. */
const noUsagePlans = () => null;

describe('authentication', () => {
  it.each([
    ['no Authorization header', {}, 'Authentication credentials were not provided.'],
    ['another scheme', { Authorization: 'Bearer abc' }, 'Authentication credentials were not provided.'],
    ['a malformed header', { Authorization: 'Token' }, 'Authentication credentials were not provided.'],
    ['an unknown key', { Authorization: `Token ${'a'.repeat(40)}` }, 'Invalid token.'],
    ['a key of the wrong shape', { Authorization: 'Token f532e28d' }, 'Invalid token.'],
  ])('%s: 401 for GET and POST, nothing stored', async (_name, headers, detail) => {
    for (const method of ['GET', 'POST']) {
      const response = await fetch(t.api.url, {
        method,
        headers: { 'content-type': 'application/json', ...headers },
        body: method === 'POST' ? JSON.stringify(body) : undefined,
      });
      expect(response.status).toBe(401);
      expect(response.headers.get('www-authenticate')).toBe('Token');
      expect(await response.json()).toEqual({ detail });
    }
    expect((await t.http.get({ product_sku: 'auth' })).json.count).toBe(0);
  });

  it('accepts the scheme in any case', async () => {
    const response = await fetch(t.api.url, { headers: { Authorization: `tOkEn ${t.api.apiKey}` } });
    expect(response.status).toBe(200);
  });

  it('creates, lists and revokes keys with the token command; the table holds only hashes', async () => {
    const store = () => new DynamoTokenStore(documentClientFor(t.api), t.api.tableName);
    const created = await runTokenCommand(['create', 'merchant-a'], store, noUsagePlans);
    const key = created.split('\n')[0] ?? '';
    expect(key).toMatch(/^[0-9a-f]{40}$/);
    await expect(runTokenCommand(['create', 'merchant-a'], store, noUsagePlans)).rejects.toThrow(
      /already exists/,
    );

    const listing = await runTokenCommand(['list'], store, noUsagePlans);
    expect(listing).toContain('merchant-a');
    expect(listing).toContain(key.slice(-4));
    expect(listing).not.toContain(key);
    const records = await store().list();
    expect(JSON.stringify(records)).not.toContain(key);

    const response = await fetch(t.api.url, { headers: { Authorization: `Token ${key}` } });
    expect(response.status).toBe(200);

    await runTokenCommand(['revoke', 'merchant-a'], store, noUsagePlans);
    expect(await runTokenCommand(['list'], store, noUsagePlans)).not.toContain('merchant-a');
    await expect(runTokenCommand(['revoke', 'merchant-a'], store, noUsagePlans)).rejects.toThrow(
      /no key named/,
    );
  });

  it('refuses a revoked key once its cache entry expires (never for a key it has not seen)', async () => {
    const store = () => new DynamoTokenStore(documentClientFor(t.api), t.api.tableName);
    const key = (await runTokenCommand(['create', 'short-lived'], store, noUsagePlans)).split('\n')[0] ?? '';
    await runTokenCommand(['revoke', 'short-lived'], store, noUsagePlans);
    const response = await fetch(t.api.url, { headers: { Authorization: `Token ${key}` } });
    expect(response.status).toBe(401);
    expect(await response.json()).toEqual({ detail: 'Invalid token.' });
  });
});
