import type { ImageOpener, SettledEventSink } from '../pipeline/ports';

/**
 * Where an AWS SDK client of this service, and the fetcher that opens merchants' image URLs, are
 * handed to whatever the running process registered for them: nothing when deployed, and in local
 * mode and tests the fault injection of `FAULTS` (infra/faults). The registry lives on `globalThis` so
 * that the functions' bundles carry this hook point alone, never the code that may be hung on it.
 */

/** The services whose clients pass through here. */
export type AwsService = 'dynamodb' | 's3' | 'sqs' | 'events';

/** The part of an SDK client a hook may touch: its middleware stack. */
export interface HookableClient {
  middlewareStack: { addRelativeTo: (...args: never[]) => unknown };
}

export type ClientHook = (client: HookableClient, service: AwsService) => void;

/** Wraps the fetcher's port; `limits` are the fetcher's own (a stall lasts as long as its deadline). */
export type OriginHook = (open: ImageOpener, limits: { totalTimeoutMs: number }) => ImageOpener;

/** Wraps the settled events' sink (local mode's is a file, which no SDK middleware reaches). */
export type SettledSinkHook = (sink: SettledEventSink) => SettledEventSink;

const REGISTRY = Symbol.for('product-images.aws-client-hooks');
const ORIGIN_REGISTRY = Symbol.for('product-images.origin-hooks');
const SINK_REGISTRY = Symbol.for('product-images.settled-sink-hooks');

type WithRegistry = typeof globalThis & {
  [REGISTRY]?: ClientHook[];
  [ORIGIN_REGISTRY]?: OriginHook[];
  [SINK_REGISTRY]?: SettledSinkHook[];
};

/** Registers a hook for every client built from now on in this process. */
export function registerClientHook(hook: ClientHook): void {
  const global = globalThis as WithRegistry;
  global[REGISTRY] = [...(global[REGISTRY] ?? []), hook];
}

/** Registers a hook for every image opener built from now on in this process. */
export function registerOriginHook(hook: OriginHook): void {
  const global = globalThis as WithRegistry;
  global[ORIGIN_REGISTRY] = [...(global[ORIGIN_REGISTRY] ?? []), hook];
}

/** Registers a hook for every settled events' sink built from now on in this process. */
export function registerSettledSinkHook(hook: SettledSinkHook): void {
  const global = globalThis as WithRegistry;
  global[SINK_REGISTRY] = [...(global[SINK_REGISTRY] ?? []), hook];
}

/** Removes every registered hook, of clients, openers and sinks (tests). */
export function clearClientHooks(): void {
  delete (globalThis as WithRegistry)[REGISTRY];
  delete (globalThis as WithRegistry)[ORIGIN_REGISTRY];
  delete (globalThis as WithRegistry)[SINK_REGISTRY];
}

/** Hands `client` to every registered hook, then answers it. */
export function hooked<T extends HookableClient>(client: T, service: AwsService): T {
  for (const hook of (globalThis as WithRegistry)[REGISTRY] ?? []) hook(client, service);
  return client;
}

/** The fetcher's port as every registered origin hook wraps it (itself when none is). */
export function hookedOpener(open: ImageOpener, limits: { totalTimeoutMs: number }): ImageOpener {
  return ((globalThis as WithRegistry)[ORIGIN_REGISTRY] ?? []).reduce(
    (inner, hook) => hook(inner, limits),
    open,
  );
}

/** The settled events' sink as every registered hook wraps it (itself when none is). */
export function hookedSettledSink(sink: SettledEventSink): SettledEventSink {
  return ((globalThis as WithRegistry)[SINK_REGISTRY] ?? []).reduce((inner, hook) => hook(inner), sink);
}
