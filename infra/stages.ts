import { RetentionDays } from 'aws-cdk-lib/aws-logs';

/** What differs between stages; `-c stage=dev|prod` picks one. */
export const STAGES = {
  dev: {
    retainData: false,
    logRetention: RetentionDays.TWO_WEEKS,
    accessLogDays: 30,
    throttle: { rate: 100, burst: 200 },
    usagePlans: {
      default: { rate: 20, burst: 40, quotaPerDay: 100_000 },
      large: { rate: 50, burst: 100, quotaPerDay: 1_000_000 },
    },
    postToReadyP99Seconds: 120,
    failedImagePercent: 20,
    // Renderer invocations at once (the SQS event source's maximum concurrency).
    renderConcurrency: 5,
    // The oldest job may wait this long before an alarm.
    oldestJobAlarmMinutes: 30,
  },
  prod: {
    retainData: true,
    logRetention: RetentionDays.THREE_MONTHS,
    accessLogDays: 365,
    // 10,000 POSTs/s is the design target; GETs come on top.
    throttle: { rate: 20_000, burst: 5_000 },
    // Per merchant: the default plan covers a steady catalogue; `large` a first import of millions of SKUs.
    usagePlans: {
      default: { rate: 500, burst: 1_000, quotaPerDay: 10_000_000 },
      large: { rate: 5_000, burst: 5_000, quotaPerDay: 200_000_000 },
    },
    postToReadyP99Seconds: 60,
    failedImagePercent: 10,
    // 600 of an account's default 1,000 concurrent executions: the API keeps the rest (docs/pipeline.md: Imports at scale).
    renderConcurrency: 600,
    // A million-image import drains in about 48 minutes at 600 (docs/pipeline.md: Imports at scale): a job older
    // than an hour means the renderer is not keeping up, not that an import is running.
    oldestJobAlarmMinutes: 60,
  },
} as const;

export type StageName = keyof typeof STAGES;

/**
 * What a deployment's named resources (bus, dashboard, API, usage plans) are called after: the stage,
 * or `<merchant>-<stage>` in a stack of one merchant (`-c merchants=…`), so two merchants' stacks in one
 * account never share a name.
 */
export function deploymentName(stage: string, merchant?: string): string {
  return merchant ? `${merchant}-${stage}` : stage;
}

/** A merchant's name in `-c merchants=…`: lower-case letters, digits and dashes, as stack names allow. */
export const MERCHANT_PATTERN = /^[a-z][a-z0-9-]{0,29}$/;

/** A usage plan's name in API Gateway, which `npm run token` looks plans up by. */
export function usagePlanName(deployment: string, plan: string): string {
  return `product-images-${deployment}-${plan}`;
}

export function stageName(value: unknown): StageName {
  if (value === undefined) return 'dev';
  if (value === 'dev' || value === 'prod') return value;
  throw new Error(`unknown stage "${String(value)}": use -c stage=dev or -c stage=prod`);
}
