import type { Metrics } from '@aws-lambda-powertools/metrics';
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { createDocumentClient } from './adapters/dynamodb/client';
import { LeasedBlockIdAllocator } from './adapters/dynamodb/id-allocator';
import { DynamoImageSetRepository } from './adapters/dynamodb/image-set-repository';
import { DynamoTokenStore } from './adapters/dynamodb/token-store';
import { type Authenticator, createAuthenticator } from './auth/authenticator';
import type { AuthorizerConfig, ServiceConfig } from './config';
import type { IdAllocator, ImageSetRepository } from './domain/ports';
import { createLogger, type Logger } from './logger';
import { createMetrics, METRIC_SERVICE, PostMetrics } from './metrics';

/** What the API functions need, built once per process from the configuration. */
export interface ApiDependencies {
  config: ServiceConfig;
  logger: Logger;
  metrics: Metrics;
  postMetrics: PostMetrics;
  repository: ImageSetRepository;
  ids: IdAllocator;
  authenticate: Authenticator;
}

/** The authorizer's dependencies: the authenticator over the token store, and a logger. */
export function createAuthorizerDependencies(
  config: AuthorizerConfig,
  client: DynamoDBDocumentClient = createDocumentClient({
    region: config.region,
    endpoint: config.dynamodbEndpoint,
  }),
): Pick<ApiDependencies, 'authenticate' | 'logger'> {
  return {
    logger: createLogger({ level: config.logLevel }),
    authenticate: createAuthenticator(new DynamoTokenStore(client, config.tableName), {
      cacheTtlMs: config.authCacheTtlMs,
    }),
  };
}

export function createApiDependencies(
  config: ServiceConfig,
  client: DynamoDBDocumentClient = createDocumentClient({
    region: config.region,
    endpoint: config.dynamodbEndpoint,
  }),
): ApiDependencies {
  const logger = createLogger({ level: config.logLevel });
  const metrics = createMetrics(METRIC_SERVICE.api, logger);
  return {
    config,
    logger,
    metrics,
    postMetrics: new PostMetrics(metrics),
    repository: new DynamoImageSetRepository(client, config.tableName),
    ids: new LeasedBlockIdAllocator(client, config.tableName, config.idBlockSize),
    authenticate: createAuthenticator(new DynamoTokenStore(client, config.tableName), {
      cacheTtlMs: config.authCacheTtlMs,
    }),
  };
}
