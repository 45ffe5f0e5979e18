import { Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import type { Logger } from './logger';

/**
 * What the functions tell CloudWatch, as Embedded Metric Format lines on stdout (no API calls), through
 * Powertools for AWS Lambda's Metrics. The names and the namespace are defined once, here: the stack's
 * dashboard and alarms read them from this file too. Dimensions stay low-cardinality: never a SKU, URL
 * or key, only an outcome or an error kind.
 */
export const METRIC_NAMESPACE = 'ProductImages';

export const METRIC = {
  /** One per POST, by `Outcome`. */
  posts: 'PostRequests',
  imagesAdded: 'ImagesAdded',
  imagesRemoved: 'ImagesRemoved',
  /** One per image that settles, by `Status` (`ready`, `failed`). */
  imagesSettled: 'ImagesSettled',
  /** One per image that fails, by `ErrorKind`. */
  imagesFailed: 'ImagesFailed',
  bytesCopied: 'BytesCopied',
  originFetchTime: 'OriginFetchTime',
  /** From the POST that added an image to its `ready`. */
  postToReady: 'PostToReady',
  streamBatchSize: 'StreamBatchSize',
  /** Age of the oldest record of a batch, as the pipeline sees it when the batch arrives. */
  streamIteratorAge: 'StreamIteratorAge',
  settledEvents: 'SettledEventsPublished',
  /** One per content rendered (its whole ladder), and how long that took. */
  contentRendered: 'ContentRendered',
  renderTime: 'RenderTime',
  /** One per image whose bytes were already stored and rendered: a dedupe hit. */
  contentReused: 'ContentReused',
  /** One per image whose URL the origin answered 304 (unchanged): nothing downloaded or rendered. */
  originNotModified: 'OriginNotModified',
  /** One per content whose last reference went and whose objects were deleted. */
  contentDeleted: 'ContentDeleted',
} as const;

export const DIMENSION = { outcome: 'Outcome', status: 'Status', errorKind: 'ErrorKind' } as const;

/** Powertools' `service` dimension of each function's metrics. */
export const METRIC_SERVICE = { api: 'product-images-api', pipeline: 'product-images-pipeline' } as const;

/** POST outcomes: what the service did, or which kind of refusal it answered. */
export type PostOutcome =
  | 'created'
  | 'replaced'
  | 'unchanged'
  | 'deleted'
  | 'invalid'
  | 'unauthenticated'
  | 'too_large'
  | 'unsupported_media_type'
  | 'conflict'
  | 'precondition_failed'
  | 'unavailable'
  | 'error';

export function outcomeOfStatus(status: number): PostOutcome {
  switch (status) {
    case 400:
      return 'invalid';
    case 401:
      return 'unauthenticated';
    case 409:
      return 'conflict';
    case 412:
      return 'precondition_failed';
    case 413:
      return 'too_large';
    case 415:
      return 'unsupported_media_type';
    case 503:
      return 'unavailable';
    default:
      return 'error';
  }
}

/**
 * A copy failure's reason reduced to a kind fit for a dimension: reasons carry numbers and URLs'
 * details (`HTTP 404 from origin`), kinds do not.
 */
export function errorKindOf(reason: string): string {
  if (/^HTTP 4\d\d/.test(reason)) return 'origin_4xx';
  if (/^HTTP (5\d\d|408|429)/.test(reason)) return 'origin_5xx';
  if (/^HTTP 3\d\d|redirect/.test(reason)) return 'redirects';
  if (reason === 'not an image') return 'not_an_image';
  if (reason.startsWith('image larger than')) return 'too_large';
  if (reason === 'address not allowed') return 'address_not_allowed';
  if (reason === 'host not found' || reason.startsWith('DNS')) return 'dns';
  if (/timed out/.test(reason)) return 'timeout';
  if (reason.startsWith('connection') || reason.startsWith('TLS')) return 'connection';
  if (reason === 'storage error') return 'storage';
  if (reason.includes('dimensions')) return 'unreadable';
  return 'other';
}

const NOTHING_TO_PUBLISH = 'No application metrics to publish';

/**
 * Powertools warns on every flush that finds no buffered metric, which is most GET and many POST
 * invocations here (their counts are single metrics, written at once): that warning is dropped, so warm
 * functions do not log one per request; its other warnings (a metric or dimension CloudWatch would
 * refuse) and its errors go to the function's logger. A plain object, not a second Powertools Logger,
 * whose construction was 2 % of the API functions' cold import (`npm run bench -- bundles`).
 */
export function createMetrics(serviceName: string, logger: Logger): Metrics {
  const ignore = () => undefined;
  const metricsLogger = {
    debug: ignore,
    info: ignore,
    warn: (message: unknown) => {
      if (!String(message).startsWith(NOTHING_TO_PUBLISH)) logger.warn(String(message));
    },
    error: (message: unknown) => logger.error(String(message)),
  };
  return new Metrics({ namespace: METRIC_NAMESPACE, serviceName, logger: metricsLogger });
}

/** A metric with one dimension of its own, written at once (the shared buffer keeps only common dimensions). */
type Unit = (typeof MetricUnit)[keyof typeof MetricUnit];

function dimensioned(
  metrics: Metrics,
  name: string,
  dimensions: Record<string, string>,
  unit: Unit,
  value: number,
) {
  const single = metrics.singleMetric();
  for (const [key, dimensionValue] of Object.entries(dimensions)) single.addDimension(key, dimensionValue);
  single.addMetric(name, unit, value);
}

/** What the POST function counts. */
export class PostMetrics {
  constructor(private readonly metrics: Metrics) {}

  outcome(outcome: PostOutcome, change: { added: number; removed: number } = { added: 0, removed: 0 }): void {
    dimensioned(this.metrics, METRIC.posts, { [DIMENSION.outcome]: outcome }, MetricUnit.Count, 1);
    if (change.added > 0) this.metrics.addMetric(METRIC.imagesAdded, MetricUnit.Count, change.added);
    if (change.removed > 0) this.metrics.addMetric(METRIC.imagesRemoved, MetricUnit.Count, change.removed);
  }
}

/** What the pipeline counts. */
export class PipelineMetrics {
  constructor(private readonly metrics: Metrics) {}

  batch(records: number, oldestRecordAgeMs: number | null): void {
    this.metrics.addMetric(METRIC.streamBatchSize, MetricUnit.Count, records);
    if (oldestRecordAgeMs !== null) {
      this.metrics.addMetric(
        METRIC.streamIteratorAge,
        MetricUnit.Milliseconds,
        Math.max(0, oldestRecordAgeMs),
      );
    }
  }

  ready(facts: { bytes: number; fetchMs: number; sinceRequestMs: number | null }): void {
    dimensioned(this.metrics, METRIC.imagesSettled, { [DIMENSION.status]: 'ready' }, MetricUnit.Count, 1);
    this.metrics.addMetric(METRIC.bytesCopied, MetricUnit.Bytes, facts.bytes);
    this.metrics.addMetric(METRIC.originFetchTime, MetricUnit.Milliseconds, facts.fetchMs);
    if (facts.sinceRequestMs !== null) {
      this.metrics.addMetric(METRIC.postToReady, MetricUnit.Milliseconds, Math.max(0, facts.sinceRequestMs));
    }
  }

  failed(reason: string): void {
    dimensioned(this.metrics, METRIC.imagesSettled, { [DIMENSION.status]: 'failed' }, MetricUnit.Count, 1);
    dimensioned(
      this.metrics,
      METRIC.imagesFailed,
      { [DIMENSION.errorKind]: errorKindOf(reason) },
      MetricUnit.Count,
      1,
    );
  }

  settledEventPublished(): void {
    this.metrics.addMetric(METRIC.settledEvents, MetricUnit.Count, 1);
  }

  rendered(renderMs: number): void {
    this.metrics.addMetric(METRIC.contentRendered, MetricUnit.Count, 1);
    this.metrics.addMetric(METRIC.renderTime, MetricUnit.Milliseconds, renderMs);
  }

  revalidated(): void {
    this.metrics.addMetric(METRIC.originNotModified, MetricUnit.Count, 1);
  }

  reused(): void {
    this.metrics.addMetric(METRIC.contentReused, MetricUnit.Count, 1);
  }

  contentDeleted(): void {
    this.metrics.addMetric(METRIC.contentDeleted, MetricUnit.Count, 1);
  }
}
