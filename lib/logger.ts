/** Structured JSON logs, one line per event, searchable by `requestId`, `level` and `message`. */
/** `silent` writes nothing; for tests that provoke errors on purpose. */
export type LogLevel = 'debug' | 'info' | 'warn' | 'error' | 'silent';
export type LogFields = Record<string, unknown>;

const LEVEL_RANK: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40, silent: 100 };

export interface Logger {
  debug(message: string, fields?: LogFields): void;
  info(message: string, fields?: LogFields): void;
  warn(message: string, fields?: LogFields): void;
  error(message: string, fields?: LogFields): void;
  /** A logger whose lines all carry `fields` too. */
  child(fields: LogFields): Logger;
}

export type LogSink = (line: string) => void;

const stdoutSink: LogSink = (line) => {
  process.stdout.write(`${line}\n`);
};

function serializeError(error: unknown): LogFields {
  if (error instanceof Error) {
    return { name: error.name, message: error.message, stack: error.stack };
  }
  return { value: String(error) };
}

export function createLogger(
  options: { level?: LogLevel; service?: string; sink?: LogSink; bindings?: LogFields } = {},
): Logger {
  const minimum = LEVEL_RANK[options.level ?? 'info'];
  const sink = options.sink ?? stdoutSink;
  const bindings = { service: options.service ?? 'product-images', ...options.bindings };
  const write = (level: LogLevel, message: string, fields: LogFields = {}) => {
    if (LEVEL_RANK[level] < minimum || level === 'silent') return;
    const entry: LogFields = { level, time: new Date().toISOString(), message, ...bindings };
    for (const [key, value] of Object.entries(fields)) {
      entry[key] = key === 'error' ? serializeError(value) : value;
    }
    sink(JSON.stringify(entry));
  };
  return {
    debug: (message, fields) => write('debug', message, fields),
    info: (message, fields) => write('info', message, fields),
    warn: (message, fields) => write('warn', message, fields),
    error: (message, fields) => write('error', message, fields),
    child: (fields) => createLogger({ ...options, bindings: { ...bindings, ...fields } }),
  };
}

export function parseLogLevel(value: string | undefined): LogLevel {
  return value === 'debug' || value === 'warn' || value === 'error' || value === 'silent' ? value : 'info';
}
