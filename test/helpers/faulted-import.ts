import { readFile } from 'node:fs/promises';
import { setTimeout as sleep } from 'node:timers/promises';
import { type FaultCounts, type FaultTarget, parseFaultPlan } from '../../infra/faults/fault-plan';
import { ORIGIN_FAULT_REASONS } from '../../infra/faults/origin-faults';
import { localLambdaContext } from '../../infra/local/lambda-context';
import { clearClientHooks } from '../../lib/adapters/client-hooks';
import { type AuditReport, auditStore } from '../../lib/audit/audit';
import { createAuditPorts, ORPHAN_GRACE_MS } from '../../lib/audit-service';
import { loadPipelineConfig } from '../../lib/config';
import type { ImageView } from '../../lib/domain/image';
import { jpegImage } from './images';
import { RESOURCE_PATH, startLocalStack, type TestApi } from './local-stack';
import { type Origin, serve, startOrigin } from './origin';

/**
 * A catalogue import under injected faults, on DynamoDB Local, s3rver and the local queue, as local
 * mode runs them: products posted through the API (some sharing URLs, some replaced or deleted while
 * their images render), then waited on, swept, and audited. Shared by the proof test and
 * `npm run bench -- faults`; one run per process, since the functions read their environment once.
 */

export interface FaultedImportOptions {
  dynamodbEndpoint: string;
  /** `FAULTS`'s value, e.g. `dynamodb=0.05,s3=0.05,sqs=0.05,events=0.05,origin=0.05`. */
  faults: string;
  seed: number;
  products?: number;
  imagesPerProduct?: number;
  /** How long the import may take to settle. */
  settleTimeoutMs?: number;
}

export interface FaultedImportResult {
  counts: Record<FaultTarget, FaultCounts>;
  /** The API's answers to the import's own calls, by status. */
  answers: Record<string, number>;
  /** Answers outside 2xx, 4xx and 503 with Retry-After, and 503s after which the set was not as before. */
  apiViolations: string[];
  /** The images of the final sets: ready, failed by reason, still pending. */
  outcome: { ready: number; failed: Record<string, number>; pending: number };
  /** Failed images whose reason is no origin's (a storage error, a lost job). */
  unexplainedFailures: string[];
  /** Settled sets of which no event was ever put. */
  unannounced: string[];
  /** Dead letters that name no failed image (and no image since removed). */
  unexplainedDeadLetters: string[];
  deadLetters: number;
  /** The audit, read with every object old enough to count as an orphan. */
  audit: AuditReport;
  sweeps: number;
  elapsedMs: number;
}

/** Reasons an origin gives: the injected faults' and this run's broken URL. */
const ORIGIN_REASONS = new Set<string>([...Object.values(ORIGIN_FAULT_REASONS), 'HTTP 404 from origin']);

type Item = { url: string; order: number; type: 'default' | 'swatch' };

export async function runFaultedImport(options: FaultedImportOptions): Promise<FaultedImportResult> {
  const products = options.products ?? 30;
  const perProduct = options.imagesPerProduct ?? 4;
  const plan = parseFaultPlan({ FAULTS: options.faults, FAULTS_SEED: String(options.seed) });
  if (!plan) throw new Error('FAULTS names no fault');
  // A stall lasts the fetcher's whole deadline: 3 s here, not the deployed 30 s.
  process.env.FETCH_TOTAL_TIMEOUT_MS = '3000';
  const started = performance.now();
  const origin = await startOrigin();
  let stack: TestApi | undefined;
  try {
    const finalSets = planCatalogue(origin, products, perProduct);
    stack = await startLocalStack(options.dynamodbEndpoint, { withPipeline: true, faults: plan });
    const api = new FaultedApi(stack);

    // The import: every product posted, a few at a time; some replaced or emptied while they render.
    await inBatches([...finalSets.keys()], 8, async (sku) => {
      const first = finalSets.get(sku)?.first ?? [];
      await api.post(sku, first);
      const second = finalSets.get(sku)?.second;
      if (second) {
        await sleep(150);
        await api.post(sku, second);
      }
    });

    // Settled, then swept as the schedule would (and settled again: a sweep may enqueue jobs), then
    // announced: the outbox's retries run on the stream poller's own time.
    const skus = [...finalSets.keys()];
    await api.waitUntil(skus, (images) => images.every((image) => image.status !== 'pending'), options);
    const sweeps = await sweepUntilQuiet();
    const images = await api.waitUntil(
      skus,
      (sets) => sets.every((image) => image.status !== 'pending'),
      options,
    );
    const eventsFile = stack.eventsFile ?? '';
    const unannounced = await waitForAnnouncements(api, skus, eventsFile);

    plan.setActive(false);
    const config = loadPipelineConfig(process.env);
    // Everything is idle now: an object of any age that no content refers to is an orphan.
    const audit = await auditStore({
      ...createAuditPorts(config),
      now: () => Date.now() + ORPHAN_GRACE_MS + 60_000,
    });
    const failedNow = new Set<string>();
    const outcome = { ready: 0, failed: {} as Record<string, number>, pending: 0 };
    const unexplainedFailures: string[] = [];
    for (const [sku, set] of images) {
      for (const image of set) {
        if (image.status === 'ready') outcome.ready++;
        else if (image.status === 'pending') outcome.pending++;
        else {
          const reason = image.error ?? 'no reason';
          outcome.failed[reason] = (outcome.failed[reason] ?? 0) + 1;
          failedNow.add(`${sku}/${image.id}`);
          if (!ORIGIN_REASONS.has(reason)) unexplainedFailures.push(`${sku} ${image.url}: ${reason}`);
        }
      }
    }
    const letters = await jsonLines(stack.deadLetterFile ?? '');
    const current = new Set([...images].flatMap(([sku, set]) => set.map((image) => `${sku}/${image.id}`)));
    const unexplainedDeadLetters = letters
      .filter((letter) => {
        const id = `${String(letter.sku)}/${String(letter.imageId)}`;
        return !(letter.kind === 'image-copy-failed' && (failedNow.has(id) || !current.has(id)));
      })
      .map((letter) => JSON.stringify(letter).slice(0, 300));
    return {
      counts: plan.counts(),
      answers: api.answers,
      apiViolations: api.violations,
      outcome,
      unexplainedFailures,
      unannounced,
      unexplainedDeadLetters,
      deadLetters: letters.length,
      audit,
      sweeps,
      elapsedMs: performance.now() - started,
    };
  } finally {
    plan.setActive(false);
    await stack?.close();
    await origin.close();
    clearClientHooks();
  }
}

/**
 * Each product's sets: its first POST and, for some, a second while the first renders (a replacement
 * keeping one image, or none at all). Every fifth product's last image is shared with others; one
 * product carries a URL its origin answers 404 for.
 */
function planCatalogue(
  origin: Origin,
  products: number,
  perProduct: number,
): Map<string, { first: Item[]; second?: Item[] }> {
  let served = 0;
  const photo = (path: string) => {
    // Distinct bytes per URL: the sizes differ.
    origin.route(path, serve(jpegImage(48 + (served % 40), 36 + Math.floor(served / 40)), 'image/jpeg'));
    served++;
    return `${origin.url}${path}`;
  };
  const shared = [0, 1, 2].map((index) => photo(`/shared-${index}.jpg`));
  const sets = new Map<string, { first: Item[]; second?: Item[] }>();
  for (let product = 0; product < products; product++) {
    const urls = Array.from({ length: perProduct }, (_, index) =>
      index === perProduct - 1 && product % 5 === 0
        ? (shared[product % shared.length] as string)
        : photo(`/p${product}-${index}.jpg`),
    );
    if (product === 7) urls[1] = `${origin.url}/missing.jpg`;
    const items = (list: string[]): Item[] =>
      list.map((url, order) => ({ url, order, type: order === 0 ? 'default' : 'swatch' }));
    const sku = `faulty-${product}`;
    if (product % 7 === 2) {
      const replacement = [urls[0] as string, photo(`/r${product}-a.jpg`), photo(`/r${product}-b.jpg`)];
      sets.set(sku, { first: items(urls), second: items(replacement) });
    } else if (product % 7 === 4) sets.set(sku, { first: items(urls), second: [] });
    else sets.set(sku, { first: items(urls) });
  }
  return sets;
}

/** The API as a careful client calls it: a 503 is retried after its Retry-After; anything else is checked. */
class FaultedApi {
  readonly answers: Record<string, number> = {};
  readonly violations: string[] = [];
  private readonly headers: Record<string, string>;
  /** What each SKU's set holds as far as the answers said (URLs in order). */
  private readonly known = new Map<string, string[]>();

  constructor(private readonly stack: TestApi) {
    this.headers = { 'content-type': 'application/json', Authorization: `Token ${stack.apiKey}` };
  }

  private async call(method: string, url: string, body?: string): Promise<Response> {
    const response = await fetch(url, { method, headers: this.headers, body });
    this.answers[response.status] = (this.answers[response.status] ?? 0) + 1;
    const ok = response.status < 500 || (response.status === 503 && response.headers.get('retry-after'));
    if (!ok) this.violations.push(`${method} ${url}: ${response.status} ${await response.clone().text()}`);
    return response;
  }

  async post(sku: string, images: Item[]): Promise<void> {
    const body = JSON.stringify({
      product_sku: sku,
      images: images.map(({ url, order, type }) => ({ url, order, image_type: type })),
    });
    for (let attempt = 1; ; attempt++) {
      const response = await this.call('POST', `${this.stack.baseUrl}${RESOURCE_PATH}`, body);
      await response.text();
      if (response.ok) {
        this.known.set(
          sku,
          images.map((image) => image.url),
        );
        return;
      }
      if (response.status !== 503 || attempt >= 20) {
        this.violations.push(`POST ${sku} answered ${response.status} on attempt ${attempt}`);
        return;
      }
      // A 503 changed nothing: the set is as the last answer left it.
      const now = (await this.images(sku)).map((image) => image.url);
      const before = this.known.get(sku) ?? [];
      if (now.join(' ') !== before.join(' '))
        this.violations.push(`POST ${sku} answered 503 but the set changed: ${now.join(' ')}`);
      await sleep(Number(response.headers.get('retry-after') ?? 1) * 1000);
    }
  }

  async images(sku: string): Promise<ImageView[]> {
    for (let attempt = 1; ; attempt++) {
      const response = await this.call(
        'GET',
        `${this.stack.baseUrl}${RESOURCE_PATH}?${new URLSearchParams({ product_sku: sku })}`,
      );
      if (response.ok) {
        const page = (await response.json()) as { results: Array<{ images: ImageView[] }> };
        return page.results[0]?.images ?? [];
      }
      await response.text();
      if (attempt >= 20) throw new Error(`GET ${sku} answered ${response.status} ${attempt} times`);
      await sleep(Number(response.headers.get('retry-after') ?? 1) * 1000);
    }
  }

  async etag(sku: string): Promise<string | null> {
    for (let attempt = 1; ; attempt++) {
      const response = await this.call(
        'GET',
        `${this.stack.baseUrl}${RESOURCE_PATH}?${new URLSearchParams({ product_sku: sku })}`,
      );
      const count = response.ok ? ((await response.json()) as { count: number }).count : -1;
      if (response.ok) return count > 0 ? (response.headers.get('etag') ?? '').replaceAll('"', '') : null;
      if (attempt >= 20) throw new Error(`GET ${sku} answered ${response.status} ${attempt} times`);
      await sleep(1000);
    }
  }

  async waitUntil(
    skus: string[],
    done: (images: ImageView[]) => boolean,
    options: Pick<FaultedImportOptions, 'settleTimeoutMs'>,
  ): Promise<Map<string, ImageView[]>> {
    const deadline = Date.now() + (options.settleTimeoutMs ?? 180_000);
    for (;;) {
      const sets = new Map<string, ImageView[]>();
      await inBatches(skus, 8, async (sku) => {
        sets.set(sku, await this.images(sku));
      });
      if ([...sets.values()].every(done) || Date.now() > deadline) return sets;
      await sleep(500);
    }
  }
}

/** The sweeper as the schedule runs it, over every pending set, until a sweep finds nothing to do. */
async function sweepUntilQuiet(): Promise<number> {
  const { handler } = await import('../../functions/sweep-pending');
  for (let sweep = 1; sweep <= 5; sweep++) {
    try {
      await handler(
        { time: new Date().toISOString(), detail: { olderThanMinutes: 0 } },
        localLambdaContext('sweep-pending', 300_000),
      );
      return sweep;
    } catch {
      // A sweep the faults stopped is run again, as the next scheduled one would.
    }
  }
  return 5;
}

/**
 * Waits until every settled, non-empty final set has had an event put, the sweeper running between
 * looks as its schedule would (a mark the faults stopped is made by it); answers those that were not.
 */
async function waitForAnnouncements(api: FaultedApi, skus: string[], eventsFile: string): Promise<string[]> {
  const deadline = Date.now() + 60_000;
  for (let look = 0; ; look++) {
    if (look > 0 && look % 5 === 0) await sweepUntilQuiet();
    const announced = new Set(
      (await jsonLines(eventsFile)).map((event) => String((event.detail as { id?: string } | undefined)?.id)),
    );
    const missing: string[] = [];
    for (const sku of skus) {
      const version = await api.etag(sku);
      if (version && !announced.has(`${sku}/${version}`)) missing.push(`${sku}/${version}`);
    }
    if (missing.length === 0 || Date.now() > deadline) return missing;
    await sleep(1000);
  }
}

async function jsonLines(file: string): Promise<Array<Record<string, unknown>>> {
  try {
    return (await readFile(file, 'utf8'))
      .split('\n')
      .filter((line) => line.trim())
      .map((line) => JSON.parse(line) as Record<string, unknown>);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw error;
  }
}

async function inBatches<T>(items: T[], size: number, work: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: size }, async () => {
      while (next < items.length) await work(items[next++] as T);
    }),
  );
}
