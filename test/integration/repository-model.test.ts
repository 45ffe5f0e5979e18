import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LeasedBlockIdAllocator } from '../../lib/adapters/dynamodb/id-allocator';
import { DynamoImageSetRepository } from '../../lib/adapters/dynamodb/image-set-repository';
import { compareSkus, type ImageType } from '../../lib/domain/image';
import { replaceImages } from '../../lib/domain/replace-images';
import { documentClientFor, startTestApi, type TestApi } from '../helpers/local-api';

/**
 * The contract as a plain in-memory model: per SKU, a map from URL to { id, order, type }. Random
 * sequences of POSTs on a few SKUs must leave the real repository (on DynamoDB Local) in exactly the
 * model's state, with the model's answer to each POST.
 */
interface ModelImage {
  id: number;
  url: string;
  order: number;
  image_type: ImageType;
}

class ContractModel {
  readonly products = new Map<string, ModelImage[]>();

  post(sku: string, images: Array<Omit<ModelImage, 'id'>>, idOfNewUrl: (url: string) => number) {
    const before = this.products.get(sku) ?? [];
    const next = images.map((wanted) => {
      const known = before.find((image) => image.url === wanted.url);
      return { ...wanted, id: known ? known.id : idOfNewUrl(wanted.url) };
    });
    next.sort((a, b) => a.order - b.order || a.id - b.id);
    if (next.length === 0) this.products.delete(sku);
    else this.products.set(sku, next);
    return { created: before.length === 0, images: next };
  }

  listing() {
    return [...this.products.keys()]
      .sort(compareSkus)
      .map((sku) => ({ sku, images: this.products.get(sku) }));
  }
}

let api: TestApi;
beforeAll(async () => {
  api = await startTestApi();
});
afterAll(() => api.close());

const post = fc.record({
  sku: fc.constantFrom('A', 'b', 'C-1', 'ü'),
  images: fc.uniqueArray(
    fc.record({
      url: fc.constantFrom(...Array.from({ length: 6 }, (_, i) => `https://u/${i}.png`)),
      order: fc.integer({ min: 0, max: 3 }),
      image_type: fc.constantFrom<ImageType>('default', 'swatch'),
    }),
    { selector: (image) => image.url, maxLength: 6 },
  ),
});

describe('the repository against the contract model', () => {
  it('agrees on every answer and on the final listing for random POST sequences', async () => {
    let run = 0;
    await fc.assert(
      fc.asyncProperty(fc.array(post, { minLength: 1, maxLength: 15 }), async (posts) => {
        run++;
        const client = documentClientFor(api);
        const repository = new DynamoImageSetRepository(client, api.tableName);
        const deps = {
          repository,
          ids: new LeasedBlockIdAllocator(client, api.tableName, 4),
          maxAttempts: 3,
        };
        const model = new ContractModel();
        const issued = new Set<number>();
        const skuOf = (sku: string) => `run${run}-${sku}`;

        for (const { sku, images } of posts) {
          const result = await replaceImages(deps, skuOf(sku), images);
          const actualIdOfUrl = new Map((result.set?.images ?? []).map((image) => [image.url, image.id]));
          // The model keeps ids of known URLs; a new URL must get an id never issued before.
          const expected = model.post(skuOf(sku), images, (url) => {
            const id = actualIdOfUrl.get(url) ?? -1;
            expect(id).toBeGreaterThan(0);
            expect(issued.has(id)).toBe(false);
            issued.add(id);
            return id;
          });
          expect(result.created).toBe(expected.created);
          const actual = (result.set?.images ?? []).map(({ id, url, order, image_type }) => ({
            id,
            url,
            order,
            image_type,
          }));
          expect(actual).toEqual(expected.images);
        }

        for (const { sku, images } of model.listing()) {
          const stored = await repository.find(sku);
          expect(
            stored?.images.map(({ id, url, order, image_type }) => ({ id, url, order, image_type })),
          ).toEqual(images);
        }
        for (const sku of ['A', 'b', 'C-1', 'ü'].map(skuOf)) {
          if (!model.products.has(sku)) expect(await repository.find(sku)).toBeNull();
        }
      }),
      { numRuns: 25 },
    );
  });

  it('counts and lists exactly the products that have images, in SKU order', async () => {
    const client = documentClientFor(api);
    const repository = new DynamoImageSetRepository(client, api.tableName);
    const { count, products } = await repository.listProducts({ offset: 0 }, 100);
    expect(products).toHaveLength(count);
    const skus = products.map((product) => product.sku);
    expect(skus).toEqual([...skus].sort(compareSkus));
    expect(products.every((product) => product.images.length > 0)).toBe(true);
  });
});
