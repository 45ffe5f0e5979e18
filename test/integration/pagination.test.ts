import { beforeAll, describe, expect, it } from 'vitest';
import { compareSkus } from '../../lib/domain/image';
import { useTestApi } from '../helpers/local-api';

const t = useTestApi();
// Mixed case, digits and non-ASCII, so the order must be DynamoDB's byte order.
const skus = Array.from(
  { length: 27 },
  (_, i) => [`sku-${String(i).padStart(2, '0')}`, `SKU-${i}`, `ürün-${i}`][i % 3] ?? '',
);
const expectedOrder = [...skus].sort(compareSkus);

beforeAll(async () => {
  for (const sku of skus) {
    const response = await t.http.post({
      product_sku: sku,
      images: [{ url: `https://u/${encodeURIComponent(sku)}.png` }],
    });
    expect(response.status).toBe(201);
  }
});

describe('pagination over 27 products', () => {
  it('walks forward through next and back through previous, exactly once each, in SKU order', async () => {
    const forward: string[] = [];
    const pages: string[] = [];
    let url: string | null = `${t.api.url}?limit=5&extra=kept`;
    while (url) {
      pages.push(url);
      const response = await t.http.getUrl(url);
      expect(response.status).toBe(200);
      expect(response.json.count).toBe(27);
      forward.push(...response.json.results.map((r: { product_sku: string }) => r.product_sku));
      if (response.json.next) expect(response.json.next).toContain('extra=kept');
      url = response.json.next;
    }
    expect(forward).toEqual(expectedOrder);
    expect(pages).toHaveLength(6);

    const backward: string[][] = [];
    let back: string | null = pages.at(-1) ?? null;
    while (back) {
      const response = await t.http.getUrl(back);
      backward.unshift(response.json.results.map((r: { product_sku: string }) => r.product_sku));
      back = response.json.previous;
    }
    expect(backward.flat()).toEqual(expectedOrder);
  });

  it('makes next and previous absolute URLs on the host the client used', async () => {
    const response = await t.http.get({ page: '2', limit: '10' });
    const escaped = t.api.url.replace(/[.?]/g, (c) => `\\${c}`);
    expect(response.json.next).toMatch(new RegExp(`^${escaped}\\?cursor=[\\w.-]+&limit=10&page=3$`));
    expect(response.json.previous).toMatch(new RegExp(`^${escaped}\\?cursor=[\\w.-]+&limit=10$`));
    // The page number alone still names the same page, read by offset.
    const byNumber = await t.http.get({ page: '3', limit: '10' });
    expect((await t.http.getUrl(response.json.next)).json.results).toEqual(byNumber.json.results);
  });

  it('defaults to 10 a page and caps the limit at 100', async () => {
    expect((await t.http.get()).json.results).toHaveLength(10);
    const all = await t.http.get({ limit: '1000' });
    expect(all.json.results).toHaveLength(27);
    expect(all.json.next).toBeNull();
  });

  it('answers 404 Invalid page past the end', async () => {
    const response = await t.http.get({ page: '4' });
    expect(response.status).toBe(404);
    expect(response.json).toEqual({ detail: 'Invalid page.' });
  });

  it('keeps count exact as products come and go', async () => {
    await t.http.post({ product_sku: 'zzz-new', images: [{ url: 'https://u/new.png' }] });
    expect((await t.http.get()).json.count).toBe(28);
    await t.http.post({ product_sku: 'zzz-new', images: [] });
    await t.http.post({ product_sku: 'never-existed', images: [] });
    expect((await t.http.get()).json.count).toBe(27);
  });
});
