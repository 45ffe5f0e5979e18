import {
  parseSwatchWidths,
  parseTileAspects,
  parseTileFill,
  parseTileWidths,
  type TileSettings,
} from './domain/storefront-slots';
import { DEFAULT_AVIF_EFFORT, parseVariantWidths } from './domain/variant-ladder';
import { type LogLevel, parseLogLevel } from './logger';
import { DEFAULT_MAX_ATTEMPTS, DEFAULT_RETRY_BASE_DELAY_SECONDS } from './pipeline/retry-budget';

/** Everything the functions read from their environment, read once at start. */
export interface ServiceConfig {
  tableName: string;
  region?: string;
  /** DynamoDB Local in local mode and tests; unset when deployed. */
  dynamodbEndpoint?: string;
  maxImagesPerSku: number;
  maxBodyBytes: number;
  idBlockSize: number;
  maxWriteAttempts: number;
  authCacheTtlMs: number;
  /** Public base of the copies (the CDN domain); answers build each `cdn_url` on it. */
  cdnBaseUrl: string;
  /** Signs the position hints of listing links, so an edited one is noticed (at least 16 characters). */
  cursorKey: string;
  logLevel: LogLevel;
}

export type Environment = Record<string, string | undefined>;

export class ConfigurationError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ConfigurationError';
  }
}

function required(env: Environment, name: string): string {
  const value = env[name];
  if (!value) throw new ConfigurationError(`environment variable ${name} is required`);
  return value;
}

function integerAtLeast(minimum: number, env: Environment, name: string, fallback: number): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isSafeInteger(value) || value < minimum) {
    const kind = minimum === 0 ? 'a non-negative integer' : 'a positive integer';
    throw new ConfigurationError(`environment variable ${name} must be ${kind}, got "${raw}"`);
  }
  return value;
}

const positiveInteger = (env: Environment, name: string, fallback: number) =>
  integerAtLeast(1, env, name, fallback);
const nonNegativeInteger = (env: Environment, name: string, fallback: number) =>
  integerAtLeast(0, env, name, fallback);

function variantWidths(env: Environment): number[] {
  try {
    return parseVariantWidths(env.VARIANT_WIDTHS);
  } catch (error) {
    throw new ConfigurationError((error as Error).message);
  }
}

/** The grid tiles and swatches rendered (`TILE_ASPECTS`, `TILE_WIDTHS`, `TILE_FILL`, `SWATCH_WIDTHS`). */
function storefrontSlots(env: Environment): { tiles: TileSettings; swatchWidths: number[] } {
  try {
    return {
      tiles: {
        aspects: parseTileAspects(env.TILE_ASPECTS),
        widths: parseTileWidths(env.TILE_WIDTHS),
        fillPercent: parseTileFill(env.TILE_FILL),
      },
      swatchWidths: parseSwatchWidths(env.SWATCH_WIDTHS),
    };
  } catch (error) {
    throw new ConfigurationError(`environment variable ${(error as Error).message}`);
  }
}

function avifEffort(env: Environment): number {
  const effort = nonNegativeInteger(env, 'AVIF_EFFORT', DEFAULT_AVIF_EFFORT);
  if (effort > 9)
    throw new ConfigurationError(`environment variable AVIF_EFFORT must be 0 to 9, got "${effort}"`);
  return effort;
}

/** `true` or `false`; unset or empty is `fallback`. */
export function flag(env: Environment, name: string, fallback = false): boolean {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  if (raw === 'false') return false;
  if (raw === 'true') return true;
  throw new ConfigurationError(`environment variable ${name} must be "true" or "false", got "${raw}"`);
}

function secret(env: Environment, name: string): string {
  const value = required(env, name);
  if (value.length < 16)
    throw new ConfigurationError(`environment variable ${name} must have at least 16 characters`);
  return value;
}

function absoluteUrl(env: Environment, name: string): string {
  const raw = required(env, name);
  try {
    const url = new URL(raw);
    if (url.protocol === 'http:' || url.protocol === 'https:') return raw.replace(/\/+$/, '');
  } catch {}
  throw new ConfigurationError(`environment variable ${name} must be an http(s) URL, got "${raw}"`);
}

/** What the image pipeline function reads from its environment, once at start. */
export interface PipelineConfig {
  tableName: string;
  region?: string;
  dynamodbEndpoint?: string;
  bucketName: string;
  /** An S3-compatible server in local mode and tests; unset when deployed. */
  s3Endpoint?: string;
  s3Credentials?: { accessKeyId: string; secretAccessKey: string };
  /** Public base of the copies; `ProductImagesSettled` events carry `cdn_url`s built on it. */
  cdnBaseUrl: string;
  /** The EventBridge bus of `ProductImagesSettled` events (deployed). */
  eventBusName?: string;
  /** A JSON-lines file of `ProductImagesSettled` events (local mode). */
  settledEventsFile?: string;
  /** Lifts only the private-address rule of the fetcher; true in local mode only. */
  allowPrivateImageHosts: boolean;
  maxImageBytes: number;
  connectTimeoutMs: number;
  totalTimeoutMs: number;
  maxCopyAttempts: number;
  /** A retried image job waits this long, doubling per attempt (SQS caps a delay at 15 minutes). */
  retryBaseDelaySeconds: number;
  skuConcurrency: number;
  imageConcurrency: number;
  /** Renders at once in one process: each holds a decoded image, so memory bounds it. */
  renderConcurrency: number;
  /** Images held in memory at once in one process, from download to `ready`. */
  imagesInFlight: number;
  /** The ladder's widths (`VARIANT_WIDTHS`). */
  variantWidths: number[];
  /** Grid tiles (`TILE_ASPECTS`, `TILE_WIDTHS`, `TILE_FILL`). */
  tiles: TileSettings;
  /** Square swatch rungs (`SWATCH_WIDTHS`). */
  swatchWidths: number[];
  avifEffort: number;
  deadLetterQueueUrl?: string;
  deadLetterFile?: string;
  /** The image jobs' queue (the stream consumer fills it, the renderer consumes and refills it). */
  renderQueueUrl?: string;
  /** An SQS-compatible engine in local mode and tests; unset when deployed. */
  sqsEndpoint?: string;
  /** A set pending this long after its POST (or its last sweep) has its pending images enqueued again. */
  pendingSweepMinutes: number;
  /** Sweeps a set may have; images still pending after the last one end failed. */
  maxSweeps: number;
  /** While jobs wait in the queue, only sets pending this long are swept (enqueued, never failed). */
  backlogPatienceMinutes: number;
  logLevel: LogLevel;
}

export function loadPipelineConfig(env: Environment = process.env): PipelineConfig {
  const s3Endpoint = env.S3_ENDPOINT || undefined;
  return {
    tableName: required(env, 'TABLE_NAME'),
    region: env.AWS_REGION || undefined,
    dynamodbEndpoint: env.DYNAMODB_ENDPOINT || undefined,
    bucketName: required(env, 'BUCKET_NAME'),
    s3Endpoint,
    s3Credentials: s3Endpoint
      ? {
          accessKeyId: required(env, 'S3_ACCESS_KEY_ID'),
          secretAccessKey: required(env, 'S3_SECRET_ACCESS_KEY'),
        }
      : undefined,
    cdnBaseUrl: absoluteUrl(env, 'CDN_BASE_URL'),
    eventBusName: env.EVENT_BUS_NAME || undefined,
    settledEventsFile: env.SETTLED_EVENTS_FILE || undefined,
    allowPrivateImageHosts: flag(env, 'ALLOW_PRIVATE_IMAGE_HOSTS'),
    maxImageBytes: positiveInteger(env, 'MAX_IMAGE_BYTES', 20 * 1024 * 1024),
    connectTimeoutMs: positiveInteger(env, 'FETCH_CONNECT_TIMEOUT_MS', 3_000),
    totalTimeoutMs: positiveInteger(env, 'FETCH_TOTAL_TIMEOUT_MS', 30_000),
    maxCopyAttempts: positiveInteger(env, 'MAX_COPY_ATTEMPTS', DEFAULT_MAX_ATTEMPTS),
    retryBaseDelaySeconds: nonNegativeInteger(
      env,
      'RETRY_BASE_DELAY_SECONDS',
      DEFAULT_RETRY_BASE_DELAY_SECONDS,
    ),
    skuConcurrency: positiveInteger(env, 'PIPELINE_SKU_CONCURRENCY', 32),
    imageConcurrency: positiveInteger(env, 'PIPELINE_IMAGE_CONCURRENCY', 4),
    renderConcurrency: positiveInteger(env, 'RENDER_CONCURRENCY', 2),
    imagesInFlight: positiveInteger(env, 'IMAGES_IN_FLIGHT', 16),
    variantWidths: variantWidths(env),
    ...storefrontSlots(env),
    avifEffort: avifEffort(env),
    deadLetterQueueUrl: env.DEAD_LETTER_QUEUE_URL || undefined,
    deadLetterFile: env.DEAD_LETTER_FILE || undefined,
    renderQueueUrl: env.RENDER_QUEUE_URL || undefined,
    sqsEndpoint: env.SQS_ENDPOINT || undefined,
    pendingSweepMinutes: positiveInteger(env, 'PENDING_SWEEP_MINUTES', 15),
    maxSweeps: positiveInteger(env, 'MAX_SWEEPS', 3),
    backlogPatienceMinutes: positiveInteger(env, 'BACKLOG_PATIENCE_MINUTES', 360),
    logLevel: parseLogLevel(env.LOG_LEVEL),
  };
}

/** The pipeline's functions need the jobs' queue; an operator's command (rerender) does not. */
export function requireRenderQueue(config: PipelineConfig): PipelineConfig & { renderQueueUrl: string } {
  if (!config.renderQueueUrl)
    throw new ConfigurationError('environment variable RENDER_QUEUE_URL is required');
  return config as PipelineConfig & { renderQueueUrl: string };
}

/** What the authorizer reads: the table, its cache and its logs; none of the API's answer settings. */
export interface AuthorizerConfig {
  tableName: string;
  region?: string;
  dynamodbEndpoint?: string;
  authCacheTtlMs: number;
  logLevel: LogLevel;
}

export function loadAuthorizerConfig(env: Environment = process.env): AuthorizerConfig {
  return {
    tableName: required(env, 'TABLE_NAME'),
    region: env.AWS_REGION || undefined,
    dynamodbEndpoint: env.DYNAMODB_ENDPOINT || undefined,
    // 0 turns the cache off (local mode, where a revoked key must stop working at once).
    authCacheTtlMs: nonNegativeInteger(env, 'AUTH_CACHE_TTL_SECONDS', 60) * 1000,
    logLevel: parseLogLevel(env.LOG_LEVEL),
  };
}

export function loadConfig(env: Environment = process.env): ServiceConfig {
  return {
    tableName: required(env, 'TABLE_NAME'),
    region: env.AWS_REGION || undefined,
    dynamodbEndpoint: env.DYNAMODB_ENDPOINT || undefined,
    maxImagesPerSku: positiveInteger(env, 'MAX_IMAGES_PER_SKU', 100),
    maxBodyBytes: positiveInteger(env, 'MAX_BODY_BYTES', 1024 * 1024),
    idBlockSize: positiveInteger(env, 'ID_BLOCK_SIZE', 1000),
    maxWriteAttempts: positiveInteger(env, 'MAX_WRITE_ATTEMPTS', 10),
    // 0 turns the cache off (local mode, where a revoked key must stop working at once).
    authCacheTtlMs: nonNegativeInteger(env, 'AUTH_CACHE_TTL_SECONDS', 60) * 1000,
    cdnBaseUrl: absoluteUrl(env, 'CDN_BASE_URL'),
    cursorKey: secret(env, 'PAGE_CURSOR_KEY'),
    logLevel: parseLogLevel(env.LOG_LEVEL),
  };
}
