import { setTimeout as sleep } from 'node:timers/promises';
import type { TileSetFacts } from '../domain/image';
import { contentKeys, rungsOf } from '../domain/variant-ladder';
import type { Logger } from '../logger';
import type { PipelineMetrics } from '../metrics';
import { RenderError, type Rendition } from '../rendering/rendition';
import { permanent, transient } from './fetch-errors';
import type {
  ContentFacts,
  ContentRecord,
  ContentStore,
  ImageObjectStore,
  ImageProgress,
  ImageRenderer,
} from './ports';
import { ATTEMPT_WAIT_MS, RENDERER_TIMEOUT_MS, STALE_DELETION_MS } from './retry-budget';

export interface ContentTiming {
  /** How long a render lease lasts: longer than any render, shorter than waiting for a dead worker. */
  leaseMs: number;
  /** How often a worker waiting on another's render or deletion looks again. */
  pollMs: number;
  /** How long one image waits on another worker before it is retried later instead. */
  maxWaitMs: number;
  /**
   * A deletion older than this was left by a worker that stopped: its function's timeout is far
   * shorter, so nobody else is deleting, and the waiting worker finishes it.
   */
  staleDeletionMs: number;
}

export const DEFAULT_CONTENT_TIMING: ContentTiming = {
  // Longer than the renderer's 2-minute timeout, so a live render never loses its lease.
  leaseMs: RENDERER_TIMEOUT_MS + 30_000,
  pollMs: 250,
  // Well inside that timeout: a job that waited this long is retried later rather than timed out.
  maxWaitMs: ATTEMPT_WAIT_MS,
  // Derived with the retry budget (retry-budget.ts): taken over before an image runs out of attempts.
  staleDeletionMs: STALE_DELETION_MS,
};

export interface ContentDependencies {
  contents: ContentStore;
  objects: ImageObjectStore;
  render: ImageRenderer;
  /** Bounds how many renders run at once in this process (memory, not CPU, is the limit). */
  renderLimit: <R>(work: () => Promise<R>) => Promise<R>;
  contentTiming: ContentTiming;
  pipelineMetrics: PipelineMetrics;
  logger: Logger;
}

/** A content's rendered objects (rungs, tiles, swatches) under their keys, ready to be stored. */
export function renditionObjects(
  sha256: string,
  rendition: Pick<Rendition, 'variants' | 'tiles' | 'swatches'>,
): Array<{ key: string; body: Buffer; contentType: string }> {
  return [
    ...rendition.variants.map((variant) => ({
      key: contentKeys.variant(sha256, variant.width, variant.format),
      body: variant.body,
      contentType: variant.contentType,
    })),
    ...rendition.tiles.map((tile) => ({
      key: contentKeys.tile(sha256, tile.set, tile.width, tile.format),
      body: tile.body,
      contentType: tile.contentType,
    })),
    ...rendition.swatches.map((swatch) => ({
      key: contentKeys.swatch(sha256, swatch.width, swatch.format),
      body: swatch.body,
      contentType: swatch.contentType,
    })),
  ];
}

export interface PublishedContent {
  facts: ContentFacts;
  /** False when the bytes were already rendered: a dedupe hit. */
  rendered: boolean;
}

/** Where a content's original lives (and so what its images' `cdn_url` is). */
export function originalKeyOf(sha256: string, facts: ContentFacts): string {
  return facts.original_key ?? contentKeys.legacyOriginal(sha256, facts.width, facts.kind);
}

/** What an image records when it is `ready` on a content: the content's facts and keys. */
export function readyProgress(sha256: string, facts: ContentFacts): ImageProgress {
  return {
    status: 'ready',
    object_key: originalKeyOf(sha256, facts),
    width: facts.width,
    height: facts.height,
    bytes: facts.bytes,
    content_type: facts.content_type,
    content_sha256: sha256,
    thumbhash: facts.thumbhash,
    dominant_color: facts.dominant_color,
    variants: facts.variants,
    tiles: facts.tiles,
    swatches: facts.swatches,
  };
}

/** The tile sets a render made, each with its rungs. */
export function tileSetsOf(rendition: Pick<Rendition, 'tiles'>): TileSetFacts[] {
  const sets = new Map<string, TileSetFacts>();
  for (const tile of rendition.tiles) {
    const known = sets.get(tile.set) ?? { aspect: tile.aspect, set: tile.set, widths: [] };
    if (!known.widths.includes(tile.width)) known.widths.push(tile.width);
    sets.set(tile.set, known);
  }
  return [...sets.values()].map((tileSet) => ({ ...tileSet, widths: tileSet.widths.sort((a, b) => a - b) }));
}

async function deleteObjects(
  sha256: string,
  deps: Pick<ContentDependencies, 'objects' | 'contents' | 'pipelineMetrics'>,
): Promise<void> {
  await Promise.all(contentKeys.prefixes(sha256).map((prefix) => deps.objects.deletePrefix(prefix)));
  await deps.contents.finishDeletion(sha256);
  deps.pipelineMetrics.contentDeleted();
}

/** Adds the image's reference, waiting out a deletion in progress. */
async function acquire(sha256: string, imageId: number, deps: ContentDependencies): Promise<ContentRecord> {
  const deadline = Date.now() + deps.contentTiming.maxWaitMs;
  for (;;) {
    const acquired = await deps.contents.acquire(sha256, imageId);
    if (acquired) return acquired;
    const deleting = await deps.contents.find(sha256);
    const since = deleting?.deletingSince ?? null;
    if (since !== null && Date.now() - since > deps.contentTiming.staleDeletionMs) {
      deps.logger.warn('finishing a deletion its worker left', { sha256 });
      await deleteObjects(sha256, deps);
      continue;
    }
    if (Date.now() > deadline) throw transient('content being deleted');
    await sleep(deps.contentTiming.pollMs);
  }
}

async function renderAndStore(
  sha256: string,
  original: Buffer,
  deps: ContentDependencies,
): Promise<ContentFacts> {
  const started = performance.now();
  let facts: ContentFacts;
  try {
    const rendition = await deps.renderLimit(() => deps.render(original));
    const tiles = tileSetsOf(rendition);
    const swatches = rungsOf(rendition.swatches);
    const originalKey = contentKeys.original(sha256, rendition.kind, rungsOf(rendition.variants), {
      tiles,
      swatches,
    });
    await Promise.all([
      deps.objects.put(originalKey, rendition.original.body, rendition.original.contentType),
      ...renditionObjects(sha256, rendition).map(({ key, body, contentType }) =>
        deps.objects.put(key, body, contentType),
      ),
    ]);
    facts = {
      width: rendition.width,
      height: rendition.height,
      kind: rendition.kind,
      original_key: originalKey,
      variants: rendition.variants.map(({ width, height, format }) => ({ width, height, format })),
      ...(tiles.length > 0 ? { tiles } : {}),
      ...(swatches.length > 0 ? { swatches } : {}),
      ...(rendition.slots ? { slots: rendition.slots } : {}),
      thumbhash: rendition.thumbhash,
      dominant_color: rendition.dominantColor,
      bytes: rendition.original.body.length,
      content_type: rendition.original.contentType,
    };
  } catch (error) {
    if (error instanceof RenderError) {
      await deps.contents.failRender(sha256, error.reason);
      throw permanent(error.reason);
    }
    await deps.contents.dropLease(sha256).catch(() => undefined);
    throw error;
  }
  // Last: the facts say every object exists, and images become `ready` only from facts.
  await deps.contents.completeRender(sha256, facts);
  deps.pipelineMetrics.rendered(performance.now() - started);
  return facts;
}

/**
 * Makes sure the content of `sha256` is stored and rendered, with the image holding a reference to it.
 * Of any number of workers with the same bytes, one renders (it holds the lease); the others wait for
 * its facts, or take over a lease that ran out. Known content is not rendered again.
 */
export async function publishContent(
  sha256: string,
  imageId: number,
  original: Buffer,
  deps: ContentDependencies,
): Promise<PublishedContent> {
  let record: ContentRecord | null = await acquire(sha256, imageId, deps);
  const deadline = Date.now() + deps.contentTiming.maxWaitMs;
  for (;;) {
    if (record?.facts) {
      deps.pipelineMetrics.reused();
      return { facts: record.facts, rendered: false };
    }
    if (record?.renderError) throw permanent(record.renderError);
    if (await deps.contents.claimRender(sha256, Date.now(), deps.contentTiming.leaseMs, `image-${imageId}`)) {
      return { facts: await renderAndStore(sha256, original, deps), rendered: true };
    }
    if (Date.now() > deadline) throw transient('content still rendering');
    await sleep(deps.contentTiming.pollMs);
    record = await deps.contents.find(sha256);
  }
}

/**
 * The facts of a content already rendered, with the image's reference added: what a URL the origin
 * says is unchanged (304) needs, without its bytes. Null when the content is not rendered (deleted
 * since, or rendering now): the bytes are needed. Throws, as for fetched bytes, when they cannot render.
 */
export async function reuseContent(
  sha256: string,
  imageId: number,
  deps: ContentDependencies,
): Promise<ContentFacts | null> {
  const record = await acquire(sha256, imageId, deps);
  if (record.renderError) throw permanent(record.renderError);
  if (!record.facts) return null;
  deps.pipelineMetrics.reused();
  return record.facts;
}

/**
 * Finishes deletions a worker that stopped left behind (marked longer ago than `staleDeletionMs`): the
 * sweeper's collection. Answers how many it finished.
 */
export async function collectStaleDeletions(
  now: number,
  deps: Omit<ContentDependencies, 'render' | 'renderLimit'>,
): Promise<number> {
  let finished = 0;
  for await (const sha256 of deps.contents.deletionsBefore(now - deps.contentTiming.staleDeletionMs)) {
    const record = await deps.contents.find(sha256);
    if (!record || record.references.length > 0 || record.deletingSince === null) continue;
    deps.logger.warn('finishing a deletion its worker left', { sha256 });
    await deleteObjects(sha256, deps);
    finished++;
  }
  return finished;
}

/**
 * Drops the image's reference; the worker that drops the last one deletes the content's objects. The
 * content stays marked `deleting` (refusing new references) until they are gone, so an image that
 * starts using the same bytes meanwhile waits, then stores and renders them again.
 */
export async function releaseContent(
  sha256: string,
  imageId: number,
  deps: Omit<ContentDependencies, 'render'>,
): Promise<void> {
  const remaining = await deps.contents.release(sha256, imageId);
  if (remaining > 0) return;
  if (!(await deps.contents.beginDeletion(sha256, Date.now()))) return;
  // A render that started before the last reference went may still be writing its objects (its
  // image was removed meanwhile): deleting now would leave them behind, orphaned. It ends within the
  // renderer's timeout; the sweeper finishes the deletion after that (`collectStaleDeletions`).
  const record = await deps.contents.find(sha256);
  if (record?.leaseUntil && record.leaseUntil > Date.now() && !record.facts) {
    deps.logger.info('deletion left to the sweeper: a render is still writing', { sha256 });
    return;
  }
  await deleteObjects(sha256, deps);
}
