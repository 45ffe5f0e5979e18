import { expect } from 'vitest';
import { documentClientFor, type TestApi, type useTestApi } from './local-api';
import { seedProducts } from './seed-products';

/** Products written straight into the test API's table (see `seedProducts`). */
export function seed(api: TestApi, skus: readonly string[], layout: 'sharded' | 'legacy'): Promise<void> {
  return seedProducts(documentClientFor(api), api.tableName, skus, layout);
}

export async function walk(
  t: { http: ReturnType<typeof useTestApi>['http'] },
  start: string,
  between?: () => Promise<void>,
) {
  const seen: string[] = [];
  let url: string | null = start;
  let pages = 0;
  while (url) {
    const response = await t.http.getUrl(url);
    if (response.status === 404) break;
    expect(response.status).toBe(200);
    seen.push(...response.json.results.map((result: { product_sku: string }) => result.product_sku));
    url = response.json.next;
    pages++;
    await between?.();
  }
  return { seen, pages };
}
