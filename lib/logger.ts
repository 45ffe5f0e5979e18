import { Logger as PowertoolsLogger } from '@aws-lambda-powertools/logger';

/**
 * Structured JSON logs, one line per event, from Powertools for AWS Lambda's Logger: its middy
 * middleware adds the Lambda context, `cold_start` and the correlation id (API Gateway's request id).
 * `silent` writes nothing; for tests that provoke errors on purpose.
 */
export type LogLevel = 'debug' | 'info' | 'warn' | 'error' | 'silent';
export type LogFields = Record<string, unknown>;
export type Logger = PowertoolsLogger;

const POWERTOOLS_LEVELS = {
  debug: 'DEBUG',
  info: 'INFO',
  warn: 'WARN',
  error: 'ERROR',
  silent: 'SILENT',
} as const;

export function createLogger(options: { level?: LogLevel; service?: string } = {}): Logger {
  return new PowertoolsLogger({
    serviceName: options.service ?? 'product-images',
    logLevel: POWERTOOLS_LEVELS[options.level ?? 'info'],
  });
}

/** A logger whose lines all carry `fields` too, besides what `logger` carries. */
export function childLogger(logger: Logger, fields: LogFields): Logger {
  const child = logger.createChild();
  child.appendPersistentKeys(fields);
  return child;
}

export function parseLogLevel(value: string | undefined): LogLevel {
  return value === 'debug' || value === 'warn' || value === 'error' || value === 'silent' ? value : 'info';
}
