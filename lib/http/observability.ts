import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import type { Metrics } from '@aws-lambda-powertools/metrics';
import { logMetrics } from '@aws-lambda-powertools/metrics/middleware';
import type { Logger } from '../logger';

/**
 * Powertools' middy middlewares, registered first on every function so that they wrap everything else:
 * the logger gets the Lambda context and `cold_start`, and loses the request's keys afterwards (the API
 * envelope sets API Gateway's request id as correlation id, which needs no JMESPath library); stored metrics are flushed as EMF after each
 * invocation, with a cold-start count.
 */
export function observability(deps: { logger: Logger; metrics: Metrics }) {
  return [
    injectLambdaContext(deps.logger, { resetKeys: true }),
    logMetrics(deps.metrics, { captureColdStartMetric: true }),
  ];
}
