import type { Readable } from 'node:stream';
import type { ImageSet, StoredImage } from '../../lib/domain/image';
import { createLogger } from '../../lib/logger';
import { createMetrics, PipelineMetrics } from '../../lib/metrics';
import type { ImageSetChangeRecord } from '../../lib/pipeline/changes';
import { createLimiter } from '../../lib/pipeline/concurrency';
import { type ContentTiming, DEFAULT_CONTENT_TIMING } from '../../lib/pipeline/content-publisher';
import type { Validators } from '../../lib/pipeline/image-fetcher';
import type { ImageJob, ImageJobQueue } from '../../lib/pipeline/image-jobs';
import {
  type ImageObjectStore,
  type ImageOpener,
  type ImageRenderer,
  type ImageStatusStore,
  isPendingAs,
  type KnownUrl,
  type KnownUrlStore,
  type PendingState,
} from '../../lib/pipeline/ports';
import { processChanges } from '../../lib/pipeline/process-changes';
import { processImageJobs, type RenderingDependencies } from '../../lib/pipeline/render-jobs';
import { renderImage } from '../../lib/rendering/render-image';
import { DEFAULT_MAX_PIXELS } from '../../lib/rendering/rendition';
import { MemoryContentStore } from './memory-content-store';

/** The ladder the in-memory pipeline renders unless a test gives its own renderer. */
export const MEMORY_PIPELINE_LADDER: readonly number[] = [352, 832, 1200, 1920];

/** Objects in memory, keyed as S3 would hold them. */
export class MemoryObjectStore implements ImageObjectStore {
  readonly objects = new Map<string, { body: Buffer; contentType: string }>();

  async put(key: string, body: Readable | Buffer, contentType: string): Promise<void> {
    if (Buffer.isBuffer(body)) {
      this.objects.set(key, { body, contentType });
      return;
    }
    const chunks: Buffer[] = [];
    for await (const chunk of body as AsyncIterable<Buffer>) chunks.push(chunk);
    this.objects.set(key, { body: Buffer.concat(chunks), contentType });
  }

  async delete(key: string): Promise<void> {
    this.objects.delete(key);
  }

  async deletePrefix(prefix: string): Promise<void> {
    for (const key of [...this.objects.keys()]) if (key.startsWith(prefix)) this.objects.delete(key);
  }

  async get(key: string): Promise<Buffer | null> {
    return this.objects.get(key)?.body ?? null;
  }

  keys(prefix = ''): string[] {
    return [...this.objects.keys()].filter((key) => key.startsWith(prefix)).sort();
  }
}

/** SKU items in memory with the status store's rules: progress lands only on an image still in the set. */
export class MemoryStatusStore implements ImageStatusStore {
  readonly sets = new Map<string, ImageSet>();

  async find(sku: string): Promise<ImageSet | null> {
    const set = this.sets.get(sku);
    return set ? structuredClone(set) : null;
  }

  async record(sku: string, imageId: number, progress: Partial<StoredImage>): Promise<boolean> {
    const image = this.sets.get(sku)?.images.find((candidate) => candidate.id === imageId);
    if (!image) return false;
    for (const key of Object.keys(progress) as (keyof StoredImage)[]) {
      if (progress[key] === undefined) delete image[key];
    }
    Object.assign(
      image,
      Object.fromEntries(Object.entries(progress).filter(([, value]) => value !== undefined)),
    );
    return true;
  }

  async recordIfUnchanged(
    sku: string,
    imageId: number,
    expectedSha256: string | null,
    progress: Partial<StoredImage>,
  ): Promise<boolean> {
    const image = this.sets.get(sku)?.images.find((candidate) => candidate.id === imageId);
    if (image?.status !== 'ready' || (image.content_sha256 ?? null) !== expectedSha256) return false;
    return this.record(sku, imageId, progress);
  }

  async advance(
    sku: string,
    imageId: number,
    from: PendingState,
    progress: Partial<StoredImage>,
  ): Promise<boolean> {
    const image = this.sets.get(sku)?.images.find((candidate) => candidate.id === imageId);
    if (!isPendingAs(image, from)) return false;
    return this.record(sku, imageId, progress);
  }

  /** Every version marked announced, in order: the outbox's events. */
  readonly announcements: string[] = [];

  async markAnnounced(sku: string, version: string): Promise<boolean> {
    const set = this.sets.get(sku);
    if (!set || set.version !== version || this.announced.get(sku) === version) return false;
    this.announced.set(sku, version);
    this.announcements.push(`${sku}/${version}`);
    return true;
  }

  private readonly announced = new Map<string, string>();

  /** What a POST writes: the set, and the stream record it causes. */
  write(sku: string, images: StoredImage[], sequence: number): ImageSetChangeRecord {
    const before = this.sets.get(sku)?.images ?? [];
    this.sets.set(sku, { sku, version: `v${sequence}`, revision: sequence, images: structuredClone(images) });
    return {
      sequenceNumber: String(sequence),
      sku,
      before: structuredClone(before),
      after: structuredClone(images),
    };
  }
}

export interface MemoryPipeline {
  deps: RenderingDependencies;
  statuses: MemoryStatusStore;
  objects: MemoryObjectStore;
  contents: MemoryContentStore;
  /** How many times the renderer ran. */
  renders: () => number;
  /** Jobs enqueued and not yet run. */
  jobs: MemoryJobQueue;
  /**
   * What the deployed pipeline does with these records: the stream consumer's batch, then one run of
   * every job queued (retries queued by earlier runs too, their delays skipped). `failed`: stream
   * records to retry; `retried`: jobs queued again for a later run.
   */
  run: (records: readonly ImageSetChangeRecord[]) => Promise<{ failed: string[]; retried: number }>;
}

/** Image URLs fetched before, in memory, with the first download's lease. */
export class MemoryKnownUrlStore implements KnownUrlStore {
  readonly urls = new Map<string, KnownUrl & { leaseUntil: number | null; holder?: string }>();
  async find(url: string): Promise<KnownUrl | null> {
    const known = this.urls.get(url);
    return known ? { url, sha256: known.sha256, validators: { ...known.validators } } : null;
  }
  async claimFirstFetch(url: string, holder: string, now: number, leaseMs: number): Promise<boolean> {
    const known = this.urls.get(url);
    if (known?.sha256 || ((known?.leaseUntil ?? 0) > now && known?.holder !== holder)) return false;
    this.urls.set(url, { url, sha256: null, validators: {}, leaseUntil: now + leaseMs, holder });
    return true;
  }
  async remember(url: string, sha256: string, validators: Validators): Promise<void> {
    this.urls.set(url, { url, sha256, validators: { ...validators }, leaseUntil: null });
  }
  async releaseFirstFetch(url: string): Promise<void> {
    const known = this.urls.get(url);
    if (known) known.leaseUntil = null;
  }
}

/** The image jobs' queue in memory: jobs in order, delays ignored (the next run takes them). */
export class MemoryJobQueue implements ImageJobQueue {
  readonly queued: ImageJob[] = [];
  async enqueue(jobs: readonly ImageJob[]): Promise<void> {
    this.queued.push(...jobs);
  }
  take(): ImageJob[] {
    return this.queued.splice(0);
  }
}

/** The pipeline over in-memory ports, with the real renderer (counted) unless another is given. */
export function memoryPipeline(
  open: ImageOpener,
  options: {
    render?: ImageRenderer;
    timing?: Partial<ContentTiming>;
    maxAttempts?: number;
    inFlight?: number;
  } = {},
): MemoryPipeline {
  const statuses = new MemoryStatusStore();
  const objects = new MemoryObjectStore();
  const contents = new MemoryContentStore();
  const logger = createLogger({ level: 'silent' });
  const metrics = createMetrics('test', logger);
  const jobs = new MemoryJobQueue();
  let renders = 0;
  let messages = 0;
  const render: ImageRenderer =
    options.render ??
    ((bytes) =>
      renderImage(bytes, { widths: MEMORY_PIPELINE_LADDER, avifEffort: 2, maxPixels: DEFAULT_MAX_PIXELS }));
  const deps: RenderingDependencies = {
    statuses,
    objects,
    contents,
    open,
    urls: new MemoryKnownUrlStore(),
    render: (bytes) => {
      renders++;
      return render(bytes);
    },
    renderLimit: createLimiter(2),
    inFlightLimit: createLimiter(options.inFlight ?? 16),
    contentTiming: { ...DEFAULT_CONTENT_TIMING, pollMs: 10, ...options.timing },
    deadLetters: { send: async () => undefined },
    logger,
    metrics,
    pipelineMetrics: new PipelineMetrics(metrics),
    events: { publish: async () => undefined },
    cdnBaseUrl: 'https://cdn.example.test',
    maxAttempts: options.maxAttempts ?? 3,
    retryBaseDelaySeconds: 30,
    skuConcurrency: 32,
    imageConcurrency: 4,
    jobs,
  };
  return {
    statuses,
    objects,
    contents,
    renders: () => renders,
    jobs,
    deps,
    run: async (records) => {
      const { failed } = await processChanges(records, deps);
      const received = jobs.take().map((job) => ({ messageId: `m${++messages}`, job }));
      const outcome = await processImageJobs(received, deps);
      // A job reported failed stays in the queue, as SQS keeps it for another receive.
      jobs.queued.push(
        ...received
          .filter((each) => outcome.failed.includes(each.messageId))
          .flatMap((each) => (each.job ? [each.job] : [])),
      );
      return { failed, retried: outcome.retried + outcome.failed.length };
    },
  };
}
