import { describe, expect, it } from 'vitest';
import { useTestApi } from '../helpers/local-api';

const t = useTestApi();

describe('16 concurrent POSTs to one SKU', () => {
  it('end in exactly one request set, with no id reused', async () => {
    const SKU = 'contended';
    const shared = 'https://u/shared.png';
    const bodies = Array.from({ length: 16 }, (_, i) => ({
      product_sku: SKU,
      images: [
        { url: shared, order: i },
        { url: `https://u/only-${i}-a.png`, order: 1 },
        { url: `https://u/only-${i}-b.png`, order: 2, image_type: 'swatch' },
      ],
    }));
    const responses = await Promise.all(bodies.map((body) => t.http.post(body)));
    expect(responses.every((response) => response.status === 200 || response.status === 201)).toBe(true);
    expect(responses.filter((response) => response.status === 201)).toHaveLength(1);

    const stored = (await t.http.get({ product_sku: SKU })).json.results[0];
    const storedUrls = stored.images.map((image: { url: string }) => image.url).sort();
    const winner = bodies.findIndex(
      (body) => JSON.stringify(body.images.map((image) => image.url).sort()) === JSON.stringify(storedUrls),
    );
    expect(winner).toBeGreaterThanOrEqual(0);
    expect(stored.images.find((image: { url: string }) => image.url === shared).order).toBe(winner);

    // Every id any answer showed belongs to one URL only, and the shared URL kept one id throughout.
    const urlOfId = new Map<number, string>();
    for (const response of responses) {
      for (const image of response.json.images as Array<{ id: number; url: string }>) {
        const seen = urlOfId.get(image.id);
        if (seen !== undefined) expect(seen).toBe(image.url);
        urlOfId.set(image.id, image.url);
      }
    }
    const sharedIds = new Set(
      responses.flatMap((r) =>
        r.json.images.filter((i: { url: string }) => i.url === shared).map((i: { id: number }) => i.id),
      ),
    );
    expect(sharedIds.size).toBe(1);
  });
});
