import { describe, expect, it } from 'vitest';
import { compareSkus } from '../../lib/domain/image';
import { seed, walk } from '../helpers/catalogue';
import { useTestApi } from '../helpers/local-api';

describe('a walk through next over 2,500 products while others come and go', () => {
  const t = useTestApi();

  it('sees every product that exists throughout exactly once, in order', async () => {
    const skus = Array.from({ length: 2500 }, (_, i) => `p-${String(i).padStart(5, '0')}`);
    await seed(t.api, skus, 'sharded');
    expect((await t.http.get()).json.count).toBe(2500);
    const removed = new Set<string>();
    const expected = new Set(skus);
    let round = 0;
    const { seen, pages } = await walk(t, `${t.api.url}?limit=100`, async () => {
      round++;
      // Delete one product ahead of the walk and one behind it, create one in between.
      for (const sku of [
        `p-${String(round * 97).padStart(5, '0')}`,
        `p-${String(2499 - round * 89).padStart(5, '0')}`,
      ]) {
        await t.http.post({ product_sku: sku, images: [] });
        removed.add(sku);
        expected.delete(sku);
      }
      const created = `p-${String(round * 101).padStart(5, '0')}-new`;
      await t.http.post({ product_sku: created, images: [{ url: 'https://u/n.png' }] });
      expected.add(created);
    });
    expect(pages).toBeGreaterThan(20);
    expect(seen).toEqual([...new Set(seen)].sort(compareSkus));
    for (const sku of skus) if (!removed.has(sku)) expect(seen).toContain(sku);
    const { count } = (await t.http.get()).json;
    expect(count).toBe(expected.size);
  });
});
