import { randomUUID } from 'node:crypto';
import { createGetImagesHandler } from '../../functions/get-images';
import { LOCAL_REGION, startDynamoDbLocal } from '../../infra/local/dynamodb-local';
import { prepareTable, registerApiKey } from '../../infra/local/service';
import { createDocumentClient } from '../../lib/adapters/dynamodb/client';
import { PRODUCT_SHARDS, productShard } from '../../lib/adapters/dynamodb/table-schema';
import { encodeCursor } from '../../lib/domain/page-cursor';
import { createApiDependencies } from '../../lib/service';
import { apiEvent, lambdaContext } from '../helpers/events';
import { seedProducts } from '../helpers/seed-products';
import { BENCH_CURSOR_KEY, benchApiConfig, instrument } from './dynamo-calls';

const median = (values: number[]) =>
  [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)] ?? Number.NaN;

/** How evenly `productShard` spreads SKUs: the fullest shard against the mean. */
function shardSpread(count: number): string {
  const perShard = new Array<number>(PRODUCT_SHARDS).fill(0);
  for (let i = 0; i < count; i++) {
    const shard = productShard(randomUUID());
    perShard[shard] = (perShard[shard] ?? 0) + 1;
  }
  const mean = count / PRODUCT_SHARDS;
  return `${count.toLocaleString('en')} random SKUs over ${PRODUCT_SHARDS} shards: mean ${mean.toFixed(0)}, fullest ${Math.max(...perShard)} (${(Math.max(...perShard) / mean).toFixed(3)}× the mean), emptiest ${Math.min(...perShard)}`;
}

/**
 * Walking the catalogue through `next`: read units and time of the first ten pages (from page 1) and of
 * the last ten (from the `next` link of the page before them, which is what the walk would have held).
 */
export async function measureCatalogue(): Promise<string[]> {
  const dynamo = await startDynamoDbLocal();
  const lines = [
    `Creations on paper: ${PRODUCT_SHARDS} shard counters × 500 transactional writes/s each (2 WCU against a partition's 1,000) = ${(PRODUCT_SHARDS * 500).toLocaleString('en')} SKU creations + deletions per second.`,
    shardSpread(100_000),
  ];
  try {
    for (const size of [10, 10_000, 100_000]) {
      const tableName = `bench-catalogue-${size}`;
      await prepareTable(dynamo.endpoint, tableName);
      const apiKey = await registerApiKey(dynamo.endpoint, tableName, 'bench');
      const client = createDocumentClient({ region: LOCAL_REGION, endpoint: dynamo.endpoint });
      const skus = Array.from({ length: size }, (_, i) => `SKU-${String(i).padStart(7, '0')}`);
      const started = performance.now();
      await seedProducts(client, tableName, skus);
      const seededIn = ((performance.now() - started) / 1000).toFixed(0);
      const meter = instrument(client);
      const get = createGetImagesHandler(
        createApiDependencies(benchApiConfig(tableName, dynamo.endpoint), client),
      );
      const headers = { Authorization: `Token ${apiKey}` };
      const page = async (query: Record<string, string>) => {
        meter.reset();
        const t0 = performance.now();
        const result = await get(apiEvent({ headers, query }), lambdaContext());
        const ms = performance.now() - t0;
        if (result.statusCode !== 200)
          throw new Error(`bench page answered ${result.statusCode}: ${result.body}`);
        const body = JSON.parse(result.body) as { next: string | null };
        return { ms, rcu: meter.tally.readUnits, next: body.next };
      };
      const follow = (link: string) => page(Object.fromEntries(new URL(link).searchParams));
      await page({}); // warm the key cache, as a warm function has it

      for (const limit of size >= 10_000 ? [10, 100] : [10]) {
        const walkTen = async (first: Promise<Awaited<ReturnType<typeof page>>>) => {
          const visited = [await first];
          while (visited.length < 10 && visited[visited.length - 1]?.next) {
            visited.push(await follow(visited[visited.length - 1]?.next ?? ''));
          }
          return visited;
        };
        const head = await walkTen(page({ limit: String(limit) }));
        const pages = Math.ceil(size / limit);
        const tailStart = Math.max(1, pages - 9);
        const tail =
          tailStart === 1
            ? head
            : await walkTen(
                page({
                  limit: String(limit),
                  page: String(tailStart),
                  cursor: encodeCursor(
                    { page: tailStart, limit, position: { after: skus[(tailStart - 1) * limit - 1] ?? '' } },
                    BENCH_CURSOR_KEY,
                  ),
                }),
              );
        const headMs = median(head.map((visit) => visit.ms));
        const tailMs = median(tail.map((visit) => visit.ms));
        const deepByNumber = await page({ limit: String(limit), page: String(pages) });
        lines.push(
          `${size.toLocaleString('en').padStart(7)} products, limit ${String(limit).padStart(3)}: first ten pages ${median(head.map((visit) => visit.rcu)).toFixed(1)} RCU, ${headMs.toFixed(1)} ms; last ten (pages ${tailStart}–${pages}) ${median(tail.map((visit) => visit.rcu)).toFixed(1)} RCU, ${tailMs.toFixed(1)} ms; last/first ${(tailMs / headMs).toFixed(2)}× (medians). ?page=${pages} by number: ${deepByNumber.rcu.toFixed(1)} RCU, ${deepByNumber.ms.toFixed(0)} ms${size >= 10_000 ? '' : ''}`,
        );
      }
      lines.push(`        (${size.toLocaleString('en')} products seeded in ${seededIn} s)`);
    }
  } finally {
    await dynamo.stop();
  }
  return lines;
}
