import { describe, expect, it } from 'vitest';
import { useTestApi } from '../helpers/local-api';

/** Every example of the original document, as HTTP calls against the local server. */
const t = useTestApi();

const pick = (images: Array<Record<string, unknown>>) =>
  images.map(({ url, order, image_type }) => ({ url, order, image_type }));

describe('the original document, example by example', () => {
  it('Insert and Update Images: creates both images and returns them with ids', async () => {
    const response = await t.http.post({
      product_sku: '1182701025',
      images: [
        { url: 'https://url/image1.png', order: 0, image_type: 'swatch' },
        { url: 'https://url/image2.png', order: 1 },
      ],
    });
    expect(response.status).toBe(201);
    expect(response.headers.get('content-type')).toBe('application/json; charset=utf-8');
    expect(response.headers.get('cache-control')).toBe('no-store');
    expect(response.json.product_sku).toBe('1182701025');
    expect(pick(response.json.images)).toEqual([
      { url: 'https://url/image1.png', order: 0, image_type: 'swatch' },
      { url: 'https://url/image2.png', order: 1, image_type: 'default' },
    ]);
    const [first, second] = response.json.images;
    expect(Number.isInteger(first.id) && first.id > 0).toBe(true);
    expect(second.id).not.toBe(first.id);
  });

  it('Retrieve Images: lists every product on the basis of SKU', async () => {
    await t.http.post({
      product_sku: '7832783278',
      images: [
        { url: 'https://url/image3.png', order: 0, image_type: 'swatch' },
        { url: 'https://url/image4.png', order: 1 },
      ],
    });
    const response = await t.http.get();
    expect(response.status).toBe(200);
    expect(response.json.count).toBe(2);
    expect(response.json.next).toBeNull();
    expect(response.json.previous).toBeNull();
    expect(response.json.results.map((r: { product_sku: string }) => r.product_sku)).toEqual([
      '1182701025',
      '7832783278',
    ]);
    expect(pick(response.json.results[1].images)).toEqual([
      { url: 'https://url/image3.png', order: 0, image_type: 'swatch' },
      { url: 'https://url/image4.png', order: 1, image_type: 'default' },
    ]);
  });

  it('Retrieve All Images for Given SKU: filters by product_sku', async () => {
    const response = await t.http.get({ product_sku: '1182701025' });
    expect(response.status).toBe(200);
    expect(response.json).toMatchObject({ count: 1, next: null, previous: null });
    expect(response.json.results).toHaveLength(1);
    expect(response.json.results[0].product_sku).toBe('1182701025');
    expect(response.json.results[0].images).toHaveLength(2);
  });

  it('Update Order and Image Type: GET, edit orders, POST back keeps the ids', async () => {
    const before = (await t.http.get({ product_sku: '1182701025' })).json.results[0];
    const data = structuredClone(before);
    data.images[0].order = 5;
    data.images[1].order = 6;
    const response = await t.http.post(data);
    expect(response.status).toBe(200);
    expect(
      response.json.images.map((image: { id: number; order: number }) => [image.id, image.order]),
    ).toEqual([
      [before.images[0].id, 5],
      [before.images[1].id, 6],
    ]);
  });

  it('Delete a Single Image: GET, pop, POST back', async () => {
    const data = (await t.http.get({ product_sku: '1182701025' })).json.results[0];
    const kept = data.images[0];
    data.images.pop();
    const response = await t.http.post(data);
    expect(response.status).toBe(200);
    expect(response.json.images).toHaveLength(1);
    expect(response.json.images[0]).toMatchObject({ id: kept.id, url: kept.url, order: kept.order });
    const stored = await t.http.get({ product_sku: '1182701025' });
    expect(stored.json.results[0].images).toHaveLength(1);
  });

  it('Delete All Images: images [] empties the product, which leaves the listing', async () => {
    const response = await t.http.post({ product_sku: '1182701025', images: [] });
    expect(response.status).toBe(200);
    expect(response.json).toEqual({ product_sku: '1182701025', images: [] });
    expect((await t.http.get({ product_sku: '1182701025' })).json).toEqual({
      count: 0,
      next: null,
      previous: null,
      results: [],
    });
    const all = await t.http.get();
    expect(all.json.count).toBe(1);
    expect(all.json.results.map((r: { product_sku: string }) => r.product_sku)).toEqual(['7832783278']);
  });

  it('the same path without the trailing slash behaves identically', async () => {
    const withoutSlash = t.api.url.replace(/\/$/, '');
    const response = await t.http.call('GET', `${withoutSlash}?product_sku=7832783278`);
    expect(response.status).toBe(200);
    expect(response.json.count).toBe(1);
    const posted = await t.http.call('POST', withoutSlash, {
      product_sku: 'no-slash',
      images: [{ url: 'https://u/x.png' }],
    });
    expect(posted.status).toBe(201);
  });

  it('repeating the same POST is harmless: same ids, same ETag', async () => {
    const body = {
      product_sku: 'repeat',
      images: [{ url: 'https://u/1.png' }, { url: 'https://u/2.png', order: 3 }],
    };
    const first = await t.http.post(body);
    const second = await t.http.post(body);
    expect(first.status).toBe(201);
    expect(second.status).toBe(200);
    expect(second.json).toEqual(first.json);
    expect(second.headers.get('etag')).toBe(first.headers.get('etag'));
  });

  it('answers JSON 404 off the resource and 405 for other methods', async () => {
    const missing = await t.http.call('GET', `${t.api.baseUrl}/api/i1/other/`);
    expect(missing.status).toBe(404);
    expect(missing.json).toEqual({ detail: 'Not found.' });
    const put = await t.http.call('PUT', t.api.url, {});
    expect(put.status).toBe(405);
    expect(put.headers.get('allow')).toBe('GET, POST, HEAD');
    expect(put.json).toEqual({ detail: 'Method "PUT" not allowed.' });
  });

  it('answers HEAD with the headers of GET and no body', async () => {
    const response = await t.http.call('HEAD', `${t.api.url}?product_sku=7832783278`);
    expect(response.status).toBe(200);
    expect(response.text).toBe('');
    expect(response.headers.get('etag')).toMatch(/^".+"$/);
  });
});
