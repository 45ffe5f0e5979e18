/**
 * Where an AWS SDK client of this service is handed to whatever the running process registered for
 * it: nothing when deployed, and in local mode and tests the fault injection of `FAULTS`
 * (infra/faults). The registry lives on `globalThis` so that the functions' bundles carry this hook
 * point alone, never the code that may be hung on it.
 */

/** The services whose clients pass through here. */
export type AwsService = 'dynamodb' | 's3' | 'sqs' | 'events';

/** The part of an SDK client a hook may touch: its middleware stack. */
export interface HookableClient {
  middlewareStack: { addRelativeTo: (...args: never[]) => unknown };
}

export type ClientHook = (client: HookableClient, service: AwsService) => void;

const REGISTRY = Symbol.for('product-images.aws-client-hooks');

type WithRegistry = typeof globalThis & { [REGISTRY]?: ClientHook[] };

/** Registers a hook for every client built from now on in this process. */
export function registerClientHook(hook: ClientHook): void {
  const global = globalThis as WithRegistry;
  global[REGISTRY] = [...(global[REGISTRY] ?? []), hook];
}

/** Removes every registered hook (tests). */
export function clearClientHooks(): void {
  delete (globalThis as WithRegistry)[REGISTRY];
}

/** Hands `client` to every registered hook, then answers it. */
export function hooked<T extends HookableClient>(client: T, service: AwsService): T {
  for (const hook of (globalThis as WithRegistry)[REGISTRY] ?? []) hook(client, service);
  return client;
}
