import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { RequestedImage, StoredImage } from '../../lib/domain/image';
import { mergeImageSet, urlsNeedingIds } from '../../lib/domain/upsert';

const stored = (id: number, url: string, order = 0, extra: Partial<StoredImage> = {}): StoredImage => ({
  id,
  url,
  order,
  image_type: 'default',
  status: 'pending',
  ...extra,
});
const wanted = (url: string, order = 0, image_type: 'default' | 'swatch' = 'default'): RequestedImage => ({
  url,
  order,
  image_type,
});

describe('mergeImageSet', () => {
  it('keeps ids and pipeline facts of known URLs, numbers new ones, drops the missing', () => {
    const ready = stored(1, 'https://e/a', 0, { status: 'ready', cdn_url: 'https://cdn/a', width: 2 });
    const merged = mergeImageSet(
      [ready, stored(2, 'https://e/b', 1)],
      [wanted('https://e/c', 0), wanted('https://e/a', 5, 'swatch')],
      [10],
    );
    expect(merged.images).toEqual([
      { id: 10, url: 'https://e/c', order: 0, image_type: 'default', status: 'pending' },
      { ...ready, order: 5, image_type: 'swatch' },
    ]);
    expect(merged.removed.map((image) => image.id)).toEqual([2]);
    expect(merged.changed).toBe(true);
  });

  it('reports no change when the request restates the stored set', () => {
    const current = [stored(1, 'https://e/a', 0), stored(2, 'https://e/b', 1)];
    const merged = mergeImageSet(current, [wanted('https://e/b', 1), wanted('https://e/a', 0)], []);
    expect(merged.changed).toBe(false);
    expect(merged.images).toEqual(current);
  });

  it('sorts by order, then id', () => {
    const merged = mergeImageSet(
      [stored(7, 'https://e/x', 3)],
      [wanted('https://e/y', 3), wanted('https://e/x', 3)],
      [9],
    );
    expect(merged.images.map((image) => image.id)).toEqual([7, 9]);
  });

  it('refuses to invent ids it was not given', () => {
    expect(() => mergeImageSet([], [wanted('https://e/a')], [])).toThrow(/fewer new ids/);
  });
});

describe('mergeImageSet properties', () => {
  const urls = fc.constantFrom(...Array.from({ length: 8 }, (_, i) => `https://e.com/${i}.png`));
  const request = fc.uniqueArray(
    fc.record({
      url: urls,
      order: fc.integer({ min: 0, max: 3 }),
      image_type: fc.constantFrom('default', 'swatch') as fc.Arbitrary<'default' | 'swatch'>,
    }),
    { selector: (image) => image.url, maxLength: 8 },
  );

  it('over any sequence of requests: URLs keep their ids, ids are never reused, answers are sorted', () => {
    fc.assert(
      fc.property(fc.array(request, { maxLength: 12 }), (requests) => {
        let current: StoredImage[] = [];
        let nextId = 1;
        const idOfUrl = new Map<string, number>();
        const usedIds = new Set<number>();
        for (const requested of requests) {
          const needed = urlsNeedingIds(current, requested);
          const ids = needed.map(() => nextId++);
          const merged = mergeImageSet(current, requested, ids);
          expect(merged.images.map((image) => image.url).sort()).toEqual(
            requested.map((image) => image.url).sort(),
          );
          for (const image of merged.images) {
            const before = current.find((old) => old.url === image.url);
            if (before) expect(image.id).toBe(before.id);
            else {
              expect(usedIds.has(image.id)).toBe(false);
              usedIds.add(image.id);
            }
            const expected = requested.find((r) => r.url === image.url);
            expect([image.order, image.image_type]).toEqual([expected?.order, expected?.image_type]);
          }
          for (let i = 1; i < merged.images.length; i++) {
            const [a, b] = [merged.images[i - 1]!, merged.images[i]!];
            expect(a.order < b.order || (a.order === b.order && a.id < b.id)).toBe(true);
          }
          for (const image of merged.images) idOfUrl.set(image.url, image.id);
          current = merged.images;
        }
      }),
    );
  });
});
