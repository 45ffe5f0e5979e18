import { describe, expect, it } from 'vitest';
import { useTestApi } from '../helpers/local-api';

const t = useTestApi();

describe('If-Match and If-None-Match', () => {
  it('If-None-Match: * creates once, then answers 412 with nothing changed', async () => {
    const body = { product_sku: 'create-once', images: [{ url: 'https://u/1.png' }] };
    expect((await t.http.post(body, { 'If-None-Match': '*' })).status).toBe(201);
    const again = await t.http.post(
      { ...body, images: [{ url: 'https://u/2.png' }] },
      { 'If-None-Match': '*' },
    );
    expect(again.status).toBe(412);
    const stored = await t.http.get({ product_sku: 'create-once' });
    expect(stored.json.results[0].images.map((image: { url: string }) => image.url)).toEqual([
      'https://u/1.png',
    ]);
  });

  it('GET, edit, POST back with If-Match: the stale writer gets 412 and loses nothing', async () => {
    await t.http.post({
      product_sku: 'edited',
      images: [{ url: 'https://u/a.png' }, { url: 'https://u/b.png', order: 1 }],
    });
    const read = await t.http.get({ product_sku: 'edited' });
    const etag = read.headers.get('etag') ?? '';
    expect(etag).toMatch(/^".+"$/);

    const first = read.json.results[0];
    first.images[0].order = 9;
    const won = await t.http.post(first, { 'If-Match': etag });
    expect(won.status).toBe(200);
    expect(won.headers.get('etag')).not.toBe(etag);

    const second = read.json.results[0];
    second.images.pop();
    const lost = await t.http.post(second, { 'If-Match': etag });
    expect(lost.status).toBe(412);
    const stored = await t.http.get({ product_sku: 'edited' });
    expect(stored.json.results[0].images).toHaveLength(2);
    expect(stored.headers.get('etag')).toBe(won.headers.get('etag'));

    const retried = await t.http.post(second, { 'If-Match': stored.headers.get('etag') ?? '' });
    expect(retried.status).toBe(200);
  });

  it('If-Match on a product without images answers 412', async () => {
    const response = await t.http.post(
      { product_sku: 'absent', images: [{ url: 'https://u/x.png' }] },
      { 'If-Match': '"x"' },
    );
    expect(response.status).toBe(412);
    expect((await t.http.get({ product_sku: 'absent' })).json.count).toBe(0);
  });

  it('the ETag changes only when the set changes', async () => {
    const body = { product_sku: 'stable', images: [{ url: 'https://u/s.png' }] };
    const first = await t.http.post(body);
    const same = await t.http.post(body);
    expect(same.headers.get('etag')).toBe(first.headers.get('etag'));
    const changed = await t.http.post({
      ...body,
      images: [{ url: 'https://u/s.png', image_type: 'swatch' }],
    });
    expect(changed.headers.get('etag')).not.toBe(first.headers.get('etag'));
  });
});
