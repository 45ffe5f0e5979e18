import { beforeAll, describe, expect, it } from 'vitest';
import { useTestApi } from '../helpers/local-api';

/** The contract's validation table through HTTP: each rule answers 400 in DRF's shape and stores nothing. */
const t = useTestApi();
const SKU = 'validated';
const original = { product_sku: SKU, images: [{ url: 'https://u/keep.png', order: 2 }] };

beforeAll(async () => {
  expect((await t.http.post(original)).status).toBe(201);
});

const good = { url: 'https://u/new.png' };

describe('POST validation', () => {
  it.each<[string, unknown, Record<string, unknown>]>([
    ['product_sku missing', { images: [good] }, { product_sku: ['This field is required.'] }],
    ['images missing', { product_sku: SKU }, { images: ['This field is required.'] }],
    [
      'product_sku a boolean',
      { product_sku: true, images: [good] },
      { product_sku: ['Not a valid string.'] },
    ],
    ['product_sku a float', { product_sku: 1.5, images: [good] }, { product_sku: ['Not a valid string.'] }],
    [
      'product_sku too long',
      { product_sku: 'x'.repeat(256), images: [good] },
      { product_sku: ['Ensure this field has no more than 255 characters.'] },
    ],
    [
      'product_sku with a control character',
      { product_sku: `${SKU}\n`.replace('\n', '\u0001'), images: [good] },
      { product_sku: ['Control characters are not allowed.'] },
    ],
    [
      'images a dict',
      { product_sku: SKU, images: { url: 'https://u/x.png' } },
      { images: ['Expected a list of items but got type "dict".'] },
    ],
    [
      '101 images',
      { product_sku: SKU, images: Array.from({ length: 101 }, (_, i) => ({ url: `https://u/${i}.png` })) },
      { images: ['Ensure this field has no more than 100 elements.'] },
    ],
    [
      'a relative url',
      { product_sku: SKU, images: [good, { url: 'image.png' }] },
      { images: [{}, { url: ['Enter a valid URL.'] }] },
    ],
    [
      'a non-http url',
      { product_sku: SKU, images: [{ url: 'file:///etc/passwd' }] },
      { images: [{ url: ['Enter a valid URL.'] }] },
    ],
    [
      'a url with credentials',
      { product_sku: SKU, images: [{ url: 'https://a:b@u/x.png' }] },
      { images: [{ url: ['Enter a valid URL without a user name or password.'] }] },
    ],
    [
      'a url over 2048 characters',
      { product_sku: SKU, images: [{ url: `https://u/${'a'.repeat(2048)}` }] },
      { images: [{ url: ['Ensure this field has no more than 2048 characters.'] }] },
    ],
    [
      'order 1.5',
      { product_sku: SKU, images: [{ ...good, order: 1.5 }] },
      { images: [{ order: ['A valid integer is required.'] }] },
    ],
    [
      'order "abc"',
      { product_sku: SKU, images: [{ ...good, order: 'abc' }] },
      { images: [{ order: ['A valid integer is required.'] }] },
    ],
    [
      'order true',
      { product_sku: SKU, images: [{ ...good, order: true }] },
      { images: [{ order: ['A valid integer is required.'] }] },
    ],
    [
      'order -1',
      { product_sku: SKU, images: [{ ...good, order: -1 }] },
      { images: [{ order: ['Ensure this value is greater than or equal to 0.'] }] },
    ],
    [
      'order 2^31',
      { product_sku: SKU, images: [{ ...good, order: 2147483648 }] },
      { images: [{ order: ['Ensure this value is less than or equal to 2147483647.'] }] },
    ],
    [
      'image_type foo',
      { product_sku: SKU, images: [{ ...good, image_type: 'foo' }] },
      { images: [{ image_type: ['"foo" is not a valid choice.'] }] },
    ],
    [
      'a duplicate url',
      { product_sku: SKU, images: [good, good] },
      { images: [{}, { url: ['This URL is already used by another image in this request.'] }] },
    ],
    [
      'an entry that is not an object',
      { product_sku: SKU, images: [good, 'https://u/x.png'] },
      { images: [{}, { non_field_errors: ['Invalid data. Expected a dictionary, but got str.'] }] },
    ],
  ])('%s: 400 with DRF errors, nothing stored', async (_name, body, errors) => {
    const response = await t.http.post(body);
    expect(response.status).toBe(400);
    expect(response.json).toEqual(errors);
    const stored = await t.http.get({ product_sku: SKU });
    expect(stored.json.results[0].images.map((image: { url: string }) => image.url)).toEqual([
      'https://u/keep.png',
    ]);
  });

  it.each([
    ['"5"', '5', 5],
    ['5.0', 5.0, 5],
    ['null', null, 0],
  ])('accepts order %s as DRF does', async (_name, order, expected) => {
    const response = await t.http.post({
      product_sku: 'orders',
      images: [{ url: 'https://u/o.png', order }],
    });
    expect(response.json.images[0].order).toBe(expected);
  });

  it('accepts an integer SKU and stores it as its decimal string', async () => {
    const response = await t.http.post({ product_sku: 1182701025, images: [good] });
    expect(response.json.product_sku).toBe('1182701025');
    expect((await t.http.get({ product_sku: '1182701025' })).json.count).toBe(1);
  });

  it('answers malformed JSON with 400 JSON parse error', async () => {
    const response = await t.http.post('{"product_sku": "x", ');
    expect(response.status).toBe(400);
    expect(response.json.detail).toMatch(/^JSON parse error - /);
  });

  it('answers another media type with 415', async () => {
    const response = await t.http.post('product_sku=x', {
      'content-type': 'application/x-www-form-urlencoded',
    });
    expect(response.status).toBe(415);
    expect(response.json).toEqual({
      detail: 'Unsupported media type "application/x-www-form-urlencoded" in request.',
    });
  });

  it('answers a body over 1 MiB with 413', async () => {
    const response = await t.http.post({
      product_sku: SKU,
      images: [{ url: `https://u/${'a'.repeat(1024 * 1024)}` }],
    });
    expect(response.status).toBe(413);
    expect(response.json.detail).toMatch(/limit/);
  });

  it.each([
    [{ page: 'x' }, { page: ['A valid integer is required.'] }],
    [{ page: '0' }, { page: ['Ensure this value is greater than or equal to 1.'] }],
    [{ limit: 'many' }, { limit: ['A valid integer is required.'] }],
  ])('answers GET %j with 400 naming the parameter', async (query, errors) => {
    const response = await t.http.get(query);
    expect(response.status).toBe(400);
    expect(response.json).toEqual(errors);
  });
});
