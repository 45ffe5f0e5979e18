import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { validateUpsertRequest } from '../../lib/domain/validation';

const limits = { maxImagesPerSku: 100 };
const validate = (body: unknown) => validateUpsertRequest(body, limits);
const image = (extra: Record<string, unknown> = {}) => ({ url: 'https://cdn.example.com/a.png', ...extra });

describe('validateUpsertRequest', () => {
  it('accepts the original document example and applies defaults', () => {
    const result = validate({
      product_sku: '1182701025',
      images: [
        { url: 'https://url/image1.png', order: 0, image_type: 'swatch' },
        { url: 'https://url/image2.png', order: 1 },
      ],
    });
    expect(result).toEqual({
      ok: true,
      value: {
        sku: '1182701025',
        images: [
          { url: 'https://url/image1.png', order: 0, image_type: 'swatch' },
          { url: 'https://url/image2.png', order: 1, image_type: 'default' },
        ],
      },
    });
  });

  it('ignores keys a GET answer carries, so results can be posted back', () => {
    const result = validate({
      product_sku: 'A',
      images: [image({ id: 5, status: 'ready', cdn_url: 'x', unit_type: 'qty', width: 3 })],
    });
    expect(result).toEqual({
      ok: true,
      value: {
        sku: 'A',
        images: [{ url: 'https://cdn.example.com/a.png', order: 0, image_type: 'default' }],
      },
    });
  });

  it.each([
    ['an integer SKU becomes its decimal string', { product_sku: 1182701025, images: [] }, '1182701025'],
    ['a SKU is trimmed as DRF does', { product_sku: '  SKU-1 ', images: [] }, 'SKU-1'],
    ['255 characters are allowed', { product_sku: 'x'.repeat(255), images: [] }, 'x'.repeat(255)],
  ])('%s', (_name, body, sku) => {
    const result = validate(body);
    expect(result.ok && result.value.sku).toBe(sku);
  });

  it.each([
    [5, 5],
    ['5', 5],
    [' 7 ', 7],
    [5.0, 5],
    ['5.0', 5],
    [null, 0],
    [undefined, 0],
    [2147483647, 2147483647],
  ])('reads order %j as %j', (order, expected) => {
    const result = validate({ product_sku: 'A', images: [image({ order })] });
    expect(result.ok && result.value.images[0]?.order).toBe(expected);
  });

  it.each<[string, unknown, Record<string, unknown>]>([
    [
      'missing everything',
      {},
      { product_sku: ['This field is required.'], images: ['This field is required.'] },
    ],
    ['null SKU', { product_sku: null, images: [] }, { product_sku: ['This field may not be null.'] }],
    ['blank SKU', { product_sku: '   ', images: [] }, { product_sku: ['This field may not be blank.'] }],
    ['boolean SKU', { product_sku: true, images: [] }, { product_sku: ['Not a valid string.'] }],
    ['float SKU', { product_sku: 1.5, images: [] }, { product_sku: ['Not a valid string.'] }],
    ['list SKU', { product_sku: ['a'], images: [] }, { product_sku: ['Not a valid string.'] }],
    ['object SKU', { product_sku: { a: 1 }, images: [] }, { product_sku: ['Not a valid string.'] }],
    [
      'SKU of 256 characters',
      { product_sku: 'x'.repeat(256), images: [] },
      { product_sku: ['Ensure this field has no more than 255 characters.'] },
    ],
    [
      'control character',
      { product_sku: 'a\u0007b', images: [] },
      { product_sku: ['Control characters are not allowed.'] },
    ],
    [
      'images as an object',
      { product_sku: 'A', images: { url: 'x' } },
      { images: ['Expected a list of items but got type "dict".'] },
    ],
    [
      'images as a string',
      { product_sku: 'A', images: 'x' },
      { images: ['Expected a list of items but got type "str".'] },
    ],
    ['images null', { product_sku: 'A', images: null }, { images: ['This field may not be null.'] }],
    [
      'too many images',
      {
        product_sku: 'A',
        images: Array.from({ length: 101 }, (_, i) => image({ url: `https://e.com/${i}` })),
      },
      { images: ['Ensure this field has no more than 100 elements.'] },
    ],
    [
      'an entry that is not an object',
      { product_sku: 'A', images: ['https://e.com/a'] },
      { images: [{ non_field_errors: ['Invalid data. Expected a dictionary, but got str.'] }] },
    ],
    [
      'an entry without url',
      { product_sku: 'A', images: [{ order: 1 }] },
      { images: [{ url: ['This field is required.'] }] },
    ],
    [
      'a relative url',
      { product_sku: 'A', images: [{ url: '/a.png' }] },
      { images: [{ url: ['Enter a valid URL.'] }] },
    ],
    [
      'an ftp url',
      { product_sku: 'A', images: [{ url: 'ftp://e.com/a' }] },
      { images: [{ url: ['Enter a valid URL.'] }] },
    ],
    [
      'a javascript url',
      { product_sku: 'A', images: [{ url: 'javascript:alert(1)' }] },
      { images: [{ url: ['Enter a valid URL.'] }] },
    ],
    [
      'a url with spaces',
      { product_sku: 'A', images: [{ url: 'https://e.com/a b.png' }] },
      { images: [{ url: ['Enter a valid URL.'] }] },
    ],
    [
      'a url with credentials',
      { product_sku: 'A', images: [{ url: 'https://user:pw@e.com/a.png' }] },
      { images: [{ url: ['Enter a valid URL without a user name or password.'] }] },
    ],
    [
      'a url over 2048 characters',
      { product_sku: 'A', images: [{ url: `https://e.com/${'a'.repeat(2040)}` }] },
      { images: [{ url: ['Ensure this field has no more than 2048 characters.'] }] },
    ],
    [
      'a fractional order',
      { product_sku: 'A', images: [image({ order: 1.5 })] },
      { images: [{ order: ['A valid integer is required.'] }] },
    ],
    [
      'a word as order',
      { product_sku: 'A', images: [image({ order: 'abc' })] },
      { images: [{ order: ['A valid integer is required.'] }] },
    ],
    [
      'a boolean order',
      { product_sku: 'A', images: [image({ order: true })] },
      { images: [{ order: ['A valid integer is required.'] }] },
    ],
    [
      'a negative order',
      { product_sku: 'A', images: [image({ order: -1 })] },
      { images: [{ order: ['Ensure this value is greater than or equal to 0.'] }] },
    ],
    [
      'an order past 32 bits',
      { product_sku: 'A', images: [image({ order: 2147483648 })] },
      { images: [{ order: ['Ensure this value is less than or equal to 2147483647.'] }] },
    ],
    [
      'an unknown image type',
      { product_sku: 'A', images: [image({ image_type: 'foo' })] },
      { images: [{ image_type: ['"foo" is not a valid choice.'] }] },
    ],
    [
      'the same url twice',
      { product_sku: 'A', images: [image(), image({ order: 2 })] },
      { images: [{}, { url: ['This URL is already used by another image in this request.'] }] },
    ],
    ['a list body', [], { non_field_errors: ['Invalid data. Expected a dictionary, but got list.'] }],
  ])('rejects %s', (_name, body, errors) => {
    expect(validate(body)).toEqual({ ok: false, errors });
  });

  it('reports every entry, {} for the valid ones, alongside SKU errors', () => {
    const result = validate({
      product_sku: '',
      images: [image(), { url: 'nope' }, image({ url: 'https://e.com/b', image_type: 'foo' })],
    });
    expect(result).toEqual({
      ok: false,
      errors: {
        product_sku: ['This field may not be blank.'],
        images: [{}, { url: ['Enter a valid URL.'] }, { image_type: ['"foo" is not a valid choice.'] }],
      },
    });
  });

  it('honours a configured image limit', () => {
    const body = { product_sku: 'A', images: [image(), image({ url: 'https://e.com/2' })] };
    expect(validateUpsertRequest(body, { maxImagesPerSku: 1 })).toEqual({
      ok: false,
      errors: { images: ['Ensure this field has no more than 1 elements.'] },
    });
  });
});

describe('validateUpsertRequest properties', () => {
  const validImage = fc.record(
    {
      url: fc.webUrl({ validSchemes: ['http', 'https'] }).filter((url) => url.length <= 2048),
      order: fc.integer({ min: 0, max: 2147483647 }),
      image_type: fc.constantFrom('default', 'swatch'),
    },
    { requiredKeys: ['url'] },
  );

  it('accepts every well-formed request and keeps its values', () => {
    fc.assert(
      fc.property(
        fc.string({ minLength: 1, maxLength: 40 }).filter((s) => s.trim() !== '' && !/\p{Cc}/u.test(s)),
        fc.uniqueArray(validImage, { maxLength: 20, selector: (entry) => entry.url }),
        (sku, images) => {
          const result = validate({ product_sku: sku, images });
          if (!result.ok) return false;
          return (
            result.value.sku === sku.trim() &&
            result.value.images.every(
              (stored, i) =>
                stored.url === images[i]?.url &&
                stored.order === (images[i]?.order ?? 0) &&
                stored.image_type === (images[i]?.image_type ?? 'default'),
            )
          );
        },
      ),
    );
  });

  it('never throws, and answers either a value or DRF-shaped errors, for any JSON at all', () => {
    fc.assert(
      fc.property(fc.jsonValue(), fc.jsonValue(), fc.jsonValue(), (anything, sku, images) => {
        for (const body of [anything, { product_sku: sku, images }, { product_sku: 'A', images: [images] }]) {
          const result = validate(body);
          if (!result.ok && (typeof result.errors !== 'object' || Object.keys(result.errors).length === 0)) {
            return false;
          }
        }
        return true;
      }),
    );
  });
});
