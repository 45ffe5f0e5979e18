import { RetentionDays } from 'aws-cdk-lib/aws-logs';

/** What differs between stages; `-c stage=dev|prod` picks one. */
export const STAGES = {
  dev: {
    retainData: false,
    logRetention: RetentionDays.TWO_WEEKS,
    accessLogDays: 30,
    throttle: { rate: 100, burst: 200 },
    postToReadyP99Seconds: 120,
    failedImagePercent: 20,
  },
  prod: {
    retainData: true,
    logRetention: RetentionDays.THREE_MONTHS,
    accessLogDays: 365,
    // 10,000 POSTs/s is the design target; GETs come on top.
    throttle: { rate: 20_000, burst: 5_000 },
    postToReadyP99Seconds: 60,
    failedImagePercent: 10,
  },
} as const;

export type StageName = keyof typeof STAGES;

export function stageName(value: unknown): StageName {
  if (value === undefined) return 'dev';
  if (value === 'dev' || value === 'prod') return value;
  throw new Error(`unknown stage "${String(value)}": use -c stage=dev or -c stage=prod`);
}
