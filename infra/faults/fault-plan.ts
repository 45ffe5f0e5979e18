import type { AwsService } from '../../lib/adapters/client-hooks';

/** Everything `FAULTS` may name: the AWS services, and the merchants' image origins. */
export const FAULT_TARGETS = ['dynamodb', 's3', 'sqs', 'events', 'origin'] as const;
export type FaultTarget = AwsService | 'origin';

export interface FaultCounts {
  /** Operations asked for (an SDK command, an image opened), however many attempts each took. */
  operations: number;
  /** Attempts: every try the SDK made, so `calls - operations` is the SDK's retries. */
  calls: number;
  injected: number;
  /** Injected faults by kind (`ThrottlingException`, `SlowDown`, `reset`, …). */
  kinds: Record<string, number>;
}

/**
 * Which calls fail, decided by one seeded generator so that a run is repeatable (`FAULTS_SEED`), and
 * what was decided, counted per target.
 */
export interface FaultPlan {
  readonly rates: Readonly<Partial<Record<FaultTarget, number>>>;
  readonly seed: number;
  /**
   * Turns injection off (and counting with it) and on again: a test's own checks after an import read
   * through the same hooked clients as the functions.
   */
  setActive(active: boolean): void;
  /** True when this call of `target` is to fail. */
  shouldFail(target: FaultTarget): boolean;
  /** One of `choices`, drawn from the same generator. */
  pick<T>(choices: readonly T[]): T;
  /** Counts one operation of `target`, before its first attempt. */
  countOperation(target: FaultTarget): void;
  /** Counts an injected fault of `kind` (after `shouldFail` said so). */
  record(target: FaultTarget, kind: string): void;
  counts(): Record<FaultTarget, FaultCounts>;
  /** One line for a terminal: `FAULTS dynamodb=0.05 s3=0.05 (seed 42)`. */
  describe(): string;
}

/** mulberry32: small, fast, and the same sequence for the same seed everywhere. */
function generator(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * Parses `FAULTS` (`dynamodb=0.05,s3=0.05,sqs=0.05,events=0.05,origin=0.05`: a probability per call)
 * and `FAULTS_SEED`. Null when `FAULTS` is unset or empty: nothing is ever injected then.
 */
export function parseFaultPlan(env: Record<string, string | undefined>): FaultPlan | null {
  const text = env.FAULTS?.trim();
  if (!text) return null;
  const rates: Partial<Record<FaultTarget, number>> = {};
  for (const part of text.split(',')) {
    const [name, value] = part.split('=').map((each) => each.trim());
    const rate = Number(value);
    if (
      !FAULT_TARGETS.includes(name as FaultTarget) ||
      !value ||
      !Number.isFinite(rate) ||
      rate < 0 ||
      rate > 1
    ) {
      throw new Error(
        `FAULTS must be a comma-separated list of ${FAULT_TARGETS.join('|')}=<probability 0 to 1>, not "${text}"`,
      );
    }
    rates[name as FaultTarget] = rate;
  }
  const seedText = env.FAULTS_SEED?.trim();
  const seed = seedText ? Number(seedText) : Math.floor(Math.random() * 2 ** 31);
  if (!Number.isSafeInteger(seed) || seed < 0)
    throw new Error(`FAULTS_SEED must be a non-negative integer, not "${seedText}"`);
  const random = generator(seed);
  const counts = Object.fromEntries(
    FAULT_TARGETS.map((target) => [
      target,
      { operations: 0, calls: 0, injected: 0, kinds: {} } satisfies FaultCounts,
    ]),
  ) as Record<FaultTarget, FaultCounts>;
  let active = true;
  return {
    rates,
    seed,
    setActive(on) {
      active = on;
    },
    shouldFail(target) {
      if (!active) return false;
      counts[target].calls++;
      const rate = rates[target] ?? 0;
      return rate > 0 && random() < rate;
    },
    pick(choices) {
      return choices[Math.floor(random() * choices.length)] as (typeof choices)[number];
    },
    countOperation(target) {
      if (active) counts[target].operations++;
    },
    record(target, kind) {
      const count = counts[target];
      count.injected++;
      count.kinds[kind] = (count.kinds[kind] ?? 0) + 1;
    },
    counts: () => structuredClone(counts),
    describe: () =>
      `FAULTS ${Object.entries(rates)
        .map(([target, rate]) => `${target}=${rate}`)
        .join(' ')} (FAULTS_SEED=${seed})`,
  };
}
