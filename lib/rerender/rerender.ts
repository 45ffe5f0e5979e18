import { createHash } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import type { ImageSet } from '../domain/image';
import { DEFAULT_SLOT_SIGNATURE } from '../domain/storefront-slots';
import { contentKeys, rungsOf, type Variant } from '../domain/variant-ladder';
import {
  type ContentDependencies,
  originalKeyOf,
  publishContent,
  readyProgress,
  releaseContent,
  renditionObjects,
  tileSetsOf,
} from '../pipeline/content-publisher';
import { legacyCopyKey } from '../pipeline/object-key';
import type { ContentFacts, ContentRecord, ImageStatusStore } from '../pipeline/ports';
import type { Rendition } from '../rendering/rendition';
import {
  type ContentSummary,
  type ImageSummary,
  missingRungs,
  planImage,
  type RerenderTask,
  slotsStale,
  summarizeContent,
  summarizeImage,
} from './plan';

/**
 * The reference `npm run rerender` holds on a content while it adds rungs to it: no image id is
 * negative, and while it is held the content cannot be deleted under the new objects. One run at a
 * time; a run that stopped holding it leaves it to the next run, which lets go of it first.
 */
export const RERENDER_REFERENCE = -1;

/** One item of the table as the walk reads it: a SKU's image set, or a content. */
export type TableEntry =
  /** `announcedVersion`: the version last announced (null: none); absent where the walk does not read it. */
  | { kind: 'set'; set: ImageSet; announcedVersion?: string | null }
  | { kind: 'content'; record: ContentRecord };

/** Reads the whole table once, page by page (a Scan deployed: this is an operator's batch job). */
export interface TableWalk {
  entries(): AsyncIterable<TableEntry>;
}

export interface RerenderDependencies extends ContentDependencies {
  statuses: ImageStatusStore;
  /**
   * Renders exactly these rungs of an original (the pipeline's `render` renders its whole ladder), and
   * with `slots` its tiles and swatches under the settings in force too.
   */
  renderRungs: (bytes: Buffer, rungs: readonly number[], slots: boolean) => Promise<Rendition>;
  /** The ladder now in force (`VARIANT_WIDTHS`). */
  widths: readonly number[];
  /** The tile and swatch settings now in force (`slotSignature`); the defaults' when absent. */
  slots?: string;
}

export interface RerenderPlan {
  tasks: RerenderTask[];
  /** Images looked at. */
  images: number;
  /** Contents a stopped run still holds (`RERENDER_REFERENCE`): let go of before the run. */
  heldContents: string[];
}

/** One pass over the table: what is to be done, counted per action. Changes nothing. */
export async function planRerender(
  walk: TableWalk,
  widths: readonly number[],
  slots: string = DEFAULT_SLOT_SIGNATURE,
): Promise<RerenderPlan> {
  const contents = new Map<string, ContentSummary>();
  // A content may come after its images in the walk: images wait here, summarized, until the end.
  const candidates: ImageSummary[] = [];
  const heldContents: string[] = [];
  let images = 0;
  for await (const entry of walk.entries()) {
    if (entry.kind === 'content') {
      const { record } = entry;
      if (record.references.includes(RERENDER_REFERENCE)) heldContents.push(record.sha256);
      if (record.facts && record.deletingSince === null) {
        contents.set(record.sha256, summarizeContent(record.sha256, record.facts, widths, slots));
      }
      continue;
    }
    for (const image of entry.set.images) {
      images++;
      const summary = summarizeImage(entry.set.sku, image);
      if (summary) candidates.push(summary);
    }
  }
  const tasks: RerenderTask[] = [];
  for (const image of candidates) {
    const action = planImage(image, image.sha256 ? (contents.get(image.sha256) ?? null) : null);
    if (action) tasks.push({ action, sku: image.sku, imageId: image.imageId, sha256: image.sha256 });
  }
  return { tasks, images, heldContents };
}

export type TaskOutcome = 'done' | 'skipped' | 'failed';

export interface RerenderProgress {
  done: number;
  skipped: number;
  failed: number;
  total: number;
  elapsedMs: number;
}

export interface RerenderOptions {
  /** Images started per second at most. */
  ratePerSecond: number;
  /** Images worked on at once. */
  concurrency: number;
  onProgress?: (progress: RerenderProgress) => void;
}

/** Starts work no faster than `ratePerSecond`, however many workers ask. */
function pacer(ratePerSecond: number): () => Promise<void> {
  const interval = 1000 / ratePerSecond;
  let next = 0;
  return async () => {
    const now = performance.now();
    const at = Math.max(now, next);
    next = at + interval;
    if (at > now) await sleep(at - now);
  };
}

const ORDER = { avif: 0, webp: 1, jpeg: 2, png: 2 } as const;

/** Largest rung first, each rung's formats best first: the order the renderer lists them in. */
function ordered(variants: readonly Variant[]): Variant[] {
  return [...variants].sort((a, b) => b.width - a.width || ORDER[a.format] - ORDER[b.format]);
}

/**
 * Renders the rungs a content lacks under the ladder in force, stores them and the original under its
 * new key (the old key stays, so URLs handed out before keep working), then records the new facts.
 * The content is held (`RERENDER_REFERENCE`) throughout, so it is not deleted under the new objects.
 */
async function extendContent(sha256: string, deps: RerenderDependencies): Promise<ContentFacts | null> {
  const held = await deps.contents.acquire(sha256, RERENDER_REFERENCE);
  if (!held?.facts) {
    if (held) await releaseContent(sha256, RERENDER_REFERENCE, deps);
    return null;
  }
  try {
    const facts = held.facts;
    const missing = missingRungs(facts, deps.widths);
    const withSlots = slotsStale(facts, deps.slots ?? DEFAULT_SLOT_SIGNATURE);
    const previousKey = originalKeyOf(sha256, facts);
    const original = await deps.objects.get(previousKey);
    if (!original) throw new Error(`the original ${previousKey} is missing`);
    const rendition =
      missing.length > 0 || withSlots
        ? await deps.renderLimit(() => deps.renderRungs(original, missing, withSlots))
        : null;
    if (rendition && rendition.kind !== facts.kind) {
      throw new Error(`the original renders as ${rendition.kind}, not ${facts.kind}`);
    }
    const added = rendition?.variants ?? [];
    const variants = ordered([
      ...facts.variants,
      ...added.map(({ width, height, format }) => ({ width, height, format })),
    ]);
    // New tile sets and swatches replace the old in the facts; the old objects stay, and so does the old
    // original's key that names them, so every URL handed out before keeps its picture.
    const tiles = withSlots && rendition ? tileSetsOf(rendition) : facts.tiles;
    const swatches = withSlots && rendition ? rungsOf(rendition.swatches) : facts.swatches;
    const originalKey = contentKeys.original(sha256, facts.kind, rungsOf(variants), { tiles, swatches });
    const objects = renditionObjects(sha256, {
      variants: added,
      tiles: withSlots && rendition ? rendition.tiles : [],
      swatches: withSlots && rendition ? rendition.swatches : [],
    });
    await Promise.all([
      ...objects.map(({ key, body, contentType }) => deps.objects.put(key, body, contentType)),
      originalKey === previousKey ? undefined : deps.objects.put(originalKey, original, facts.content_type),
    ]);
    const extended: ContentFacts = {
      ...facts,
      original_key: originalKey,
      variants,
      ...(tiles && tiles.length > 0 ? { tiles } : {}),
      ...(swatches && swatches.length > 0 ? { swatches } : {}),
      ...(withSlots && rendition?.slots ? { slots: rendition.slots } : {}),
    };
    if (await deps.contents.extendRender(sha256, facts.original_key ?? null, extended)) return extended;
    // Another run extended it first: its facts stand.
    return (await deps.contents.find(sha256))?.facts ?? null;
  } finally {
    await releaseContent(sha256, RERENDER_REFERENCE, deps);
  }
}

/**
 * Moves a copy made before content addressing onto its content: the hash is recorded first (so a POST
 * removing the image meanwhile releases what it holds), then the content is stored and rendered (or
 * found), then the image points at it, and last the old object goes.
 */
async function moveImage(task: RerenderTask, deps: RerenderDependencies): Promise<TaskOutcome> {
  const image = (await deps.statuses.find(task.sku))?.images.find((each) => each.id === task.imageId);
  const oldKey = image && legacyCopyKey(image);
  if (!image || !oldKey || image.status !== 'ready') return 'skipped';
  const bytes = await deps.objects.get(oldKey);
  if (!bytes) throw new Error(`the copy ${oldKey} is missing`);
  const sha256 = createHash('sha256').update(bytes).digest('hex');
  const held = image.content_sha256 ?? null;
  if (held !== sha256) {
    const { id: _id, url: _url, order: _order, image_type: _type, requested_at: _at, ...copy } = image;
    if (
      !(await deps.statuses.recordIfUnchanged(task.sku, task.imageId, held, {
        ...copy,
        content_sha256: sha256,
      }))
    ) {
      return 'skipped';
    }
    if (held) await releaseContent(held, task.imageId, deps);
  }
  const { facts } = await publishContent(sha256, task.imageId, bytes, deps);
  if (
    !(await deps.statuses.recordIfUnchanged(task.sku, task.imageId, sha256, readyProgress(sha256, facts)))
  ) {
    await releaseContent(sha256, task.imageId, deps);
    return 'skipped';
  }
  await deps.objects.delete(oldKey);
  return 'done';
}

/**
 * Carries out a plan: at most `concurrency` images at once, started no faster than `ratePerSecond`.
 * Each content is extended once, whatever number of images share it. Every write is conditional on
 * what was read, so the API and the pipeline go on meanwhile, and a run stopped anywhere is finished
 * by planning and running again. An image's `id`, `url` and `order` are never written.
 */
export async function runRerender(
  plan: RerenderPlan,
  deps: RerenderDependencies,
  options: RerenderOptions,
): Promise<RerenderProgress> {
  const started = performance.now();
  for (const sha256 of plan.heldContents) await releaseContent(sha256, RERENDER_REFERENCE, deps);
  const extended = new Map<string, Promise<ContentFacts | null>>();
  const extend = (sha256: string) => {
    let facts = extended.get(sha256);
    if (!facts) {
      facts = extendContent(sha256, deps);
      extended.set(sha256, facts);
    }
    return facts;
  };
  const progress: RerenderProgress = {
    done: 0,
    skipped: 0,
    failed: 0,
    total: plan.tasks.length,
    elapsedMs: 0,
  };
  const pace = pacer(options.ratePerSecond);

  const runTask = async (task: RerenderTask): Promise<TaskOutcome> => {
    if (task.action === 'move') return moveImage(task, deps);
    const sha256 = task.sha256 as string;
    const facts =
      task.action === 'extend' ? await extend(sha256) : ((await deps.contents.find(sha256))?.facts ?? null);
    if (!facts) return 'skipped';
    const recorded = await deps.statuses.recordIfUnchanged(
      task.sku,
      task.imageId,
      sha256,
      readyProgress(sha256, facts),
    );
    return recorded ? 'done' : 'skipped';
  };

  let next = 0;
  const worker = async () => {
    for (let index = next++; index < plan.tasks.length; index = next++) {
      const task = plan.tasks[index] as RerenderTask;
      await pace();
      let outcome: TaskOutcome;
      try {
        outcome = await runTask(task);
      } catch (error) {
        deps.logger.error('re-render failed', {
          sku: task.sku,
          imageId: task.imageId,
          action: task.action,
          reason: error instanceof Error ? error.message : String(error),
        });
        outcome = 'failed';
      }
      progress[outcome]++;
      progress.elapsedMs = performance.now() - started;
      options.onProgress?.({ ...progress });
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, options.concurrency) }, worker));
  progress.elapsedMs = performance.now() - started;
  return progress;
}
