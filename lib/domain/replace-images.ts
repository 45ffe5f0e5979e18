import { randomBytes } from 'node:crypto';
import { ConflictError } from './errors';
import type { ImageSet, RequestedImage } from './image';
import { type IdAllocator, type ImageSetRepository, VersionConflictError } from './ports';
import { checkPreconditions, type WritePreconditions } from './preconditions';
import { mergeImageSet, urlsNeedingIds } from './upsert';

export interface ReplaceImagesDependencies {
  repository: ImageSetRepository;
  ids: IdAllocator;
  /** How many times a write that lost a race is computed again on fresh state before answering 409. */
  maxAttempts: number;
  /** Waits before attempt `attempt` (1-based) after a lost race; jittered so racing writers spread out. */
  backoff?: (attempt: number) => Promise<void>;
  newVersion?: () => string;
  now?: () => Date;
}

export interface ReplaceImagesResult {
  /** The stored set after the request; null when the SKU is left without images. */
  set: ImageSet | null;
  /** True when the SKU had no images before this request. */
  created: boolean;
  /** False when the request restated the stored set and nothing was written. */
  changed: boolean;
  /** Images the request added (new URLs) and removed. */
  added: number;
  removed: number;
}

export const randomVersion = (): string => randomBytes(12).toString('base64url');

/** Full jitter on an exponential base: at most 10 ms, 20 ms, 40 ms, … capped at 200 ms. */
export function jitteredBackoff(attempt: number): Promise<void> {
  const ceiling = Math.min(200, 10 * 2 ** (attempt - 1));
  return new Promise((resolve) => setTimeout(resolve, Math.random() * ceiling));
}

/**
 * Replaces a SKU's image set with the requested one: read, merge, one conditional write. A write that
 * loses a race to another request is recomputed on the fresh state, so the result is always exactly one
 * request's set.
 */
export async function replaceImages(
  deps: ReplaceImagesDependencies,
  sku: string,
  requested: readonly RequestedImage[],
  preconditions: WritePreconditions = {},
): Promise<ReplaceImagesResult> {
  const backoff = deps.backoff ?? jitteredBackoff;
  const newVersion = deps.newVersion ?? randomVersion;
  const requestedAt = (deps.now ?? (() => new Date()))().toISOString();
  for (let attempt = 1; attempt <= deps.maxAttempts; attempt++) {
    if (attempt > 1) await backoff(attempt - 1);
    const stored = await deps.repository.find(sku);
    checkPreconditions(stored?.version ?? null, preconditions);
    const storedImages = stored?.images ?? [];
    const ids = await deps.ids.take(urlsNeedingIds(storedImages, requested).length);
    const merged = mergeImageSet(storedImages, requested, ids, requestedAt);

    if (!merged.changed)
      return { set: stored, created: stored === null, changed: false, added: 0, removed: 0 };
    const next = merged.images.length > 0 ? { version: newVersion(), images: merged.images } : null;
    const expectedRevision = stored?.revision ?? null;
    try {
      await deps.repository.save({ sku, expectedRevision, next });
    } catch (error) {
      if (error instanceof VersionConflictError) continue;
      throw error;
    }
    return {
      set: next && { sku, revision: (expectedRevision ?? 0) + 1, ...next },
      created: stored === null,
      changed: true,
      added: ids.length,
      removed: merged.removed.length,
    };
  }
  throw new ConflictError();
}
