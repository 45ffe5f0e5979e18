import fc from 'fast-check';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createGetImagesHandler } from '../../functions/get-images';
import { compareSkus } from '../../lib/domain/image';
import { authorized, mockDynamo, testDependencies } from '../helpers/dynamo-mock';
import { apiEvent, lambdaContext } from '../helpers/events';
import { ProductTableFake } from '../helpers/table-fake';

/** SKUs whose byte order differs from naive string order, so the merge must use DynamoDB's order. */
const SKUS = [...'abcdefghij'].flatMap((letter) => [
  letter,
  `${letter.toUpperCase()}-1`,
  `ü${letter}`,
  `${letter}9`,
]);

type Operation = { kind: 'create' | 'remove'; sku: string } | { kind: 'check-page'; page: number };

const operation: fc.Arbitrary<Operation> = fc.oneof(
  fc.record({ kind: fc.constantFrom('create' as const, 'remove' as const), sku: fc.constantFrom(...SKUS) }),
  fc.record({ kind: fc.constant('check-page' as const), page: fc.integer({ min: 1, max: 12 }) }),
);

let ddb: ReturnType<typeof mockDynamo>;
beforeEach(() => {
  ddb = mockDynamo();
});
afterEach(() => ddb.restore());

type Page = { status: number; skus: string[]; next: string | null; previous: string | null };

describe('walking the listing through next and previous while products come and go', () => {
  it('sees every product that exists for the whole walk exactly once, in order; ?page=N is the model page N', async () => {
    const handler = createGetImagesHandler(testDependencies());
    await fc.assert(
      fc.asyncProperty(
        fc.uniqueArray(fc.constantFrom(...SKUS), { maxLength: 30 }),
        fc.subarray(SKUS),
        fc.integer({ min: 1, max: 4 }),
        fc.array(fc.array(operation, { maxLength: 3 }), { minLength: 20, maxLength: 20 }),
        async (initial, legacy, limit, between) => {
          ddb.reset();
          ddb = mockDynamo();
          const table = new ProductTableFake(ddb);
          // Some products still in the unsharded layout, as a table not yet migrated holds them.
          for (const sku of initial) table.create(sku, { legacy: legacy.includes(sku) });

          const get = async (query: Record<string, string>): Promise<Page> => {
            const response = await handler(
              apiEvent({ headers: authorized, query: { limit: String(limit), ...query } }),
              lambdaContext(),
            );
            const body = JSON.parse(response.body);
            return {
              status: response.statusCode,
              skus: (body.results ?? []).map((result: { product_sku: string }) => result.product_sku),
              next: body.next ?? null,
              previous: body.previous ?? null,
            };
          };
          const follow = (link: string) => get(Object.fromEntries(new URL(link).searchParams));

          let step = 0;
          // SKUs created or removed since the forward walk began, and since the page the backward walk starts from.
          const touched = new Set<string>();
          let touchedSinceLast = new Set<string>();
          const interleave = async () => {
            for (const op of between[step++ % between.length] ?? []) {
              if (op.kind === 'create') table.create(op.sku);
              else if (op.kind === 'remove') table.remove(op.sku);
              if (op.kind !== 'check-page') {
                touched.add(op.sku);
                touchedSinceLast.add(op.sku);
                continue;
              }
              const model = table.skus();
              const page = await get({ page: String(op.page) });
              if (op.page <= Math.max(1, Math.ceil(model.length / limit))) {
                expect(page.skus).toEqual(model.slice((op.page - 1) * limit, op.page * limit));
              } else {
                expect(page.status).toBe(404);
              }
            }
          };

          // Forward: through next until there is none.
          const throughout = new Set(table.skus());
          const seen: string[] = [];
          let page = await get({});
          let last = page;
          let existingAtLast = new Set(throughout);
          for (;;) {
            expect(page.status).toBe(200);
            seen.push(...page.skus);
            last = page;
            existingAtLast = new Set(table.skus());
            touchedSinceLast = new Set();
            await interleave();
            if (!page.next) break;
            page = await follow(page.next);
            if (page.status === 404) break; // everything after the hint was deleted meanwhile
          }
          for (const sku of touched) throughout.delete(sku);
          expect(seen).toEqual([...new Set(seen)].sort(compareSkus));
          for (const sku of throughout) expect(seen).toContain(sku);

          // Backward: through previous from the last page reached.
          const backward: string[][] = [last.skus];
          let back = last;
          while (back.previous) {
            await interleave();
            back = await follow(back.previous);
            if (back.status === 404) break;
            backward.unshift(back.skus);
          }
          const walkedBack = backward.flat();
          expect(walkedBack).toEqual([...new Set(walkedBack)].sort(compareSkus));
          const start = last.skus[0];
          for (const sku of existingAtLast) {
            if (!touchedSinceLast.has(sku) && start !== undefined && compareSkus(sku, start) < 0) {
              expect(walkedBack).toContain(sku);
            }
          }
        },
      ),
      { numRuns: 120 },
    );
    // 120 walks take a few seconds alone, more on a machine that is busy with other suites.
  }, 120_000);
});
