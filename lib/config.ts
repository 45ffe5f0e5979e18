import { type LogLevel, parseLogLevel } from './logger';

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

function positiveInteger(env: Environment, name: string, fallback: number): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isSafeInteger(value) || value < 1) {
    throw new ConfigurationError(`environment variable ${name} must be a positive integer, got "${raw}"`);
  }
  return value;
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
    authCacheTtlMs: positiveInteger(env, 'AUTH_CACHE_TTL_SECONDS', 60) * 1000,
    logLevel: parseLogLevel(env.LOG_LEVEL),
  };
}
