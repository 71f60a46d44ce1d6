/**
 * The library's own diagnostics: one JSON object per line on stderr.
 *
 * Telemetry must never hurt the host app, so every method swallows its own failures, and
 * repeated messages are rate-limited per key (a dead database would otherwise log once per
 * batch, forever). Suppressed repeats are counted and reported with the next line that passes.
 */
import { safeValue } from './safe-value';
import { redactSecrets } from './redact';

export type LogLevel = 'debug' | 'info' | 'warn' | 'error' | 'silent';

const LEVEL_RANK: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40, silent: 100 };

export interface LogFields {
  [key: string]: unknown;
}

export interface Logger {
  debug(msg: string, fields?: LogFields): void;
  info(msg: string, fields?: LogFields): void;
  warn(msg: string, fields?: LogFields): void;
  error(msg: string, fields?: LogFields): void;
  /** Like `warn`/`error`, but at most one line per `key` per interval; the rest are counted. */
  limited(level: LogLevel, key: string, msg: string, fields?: LogFields): void;
}

interface Window {
  until: number;
  suppressed: number;
}

export interface LoggerOptions {
  level?: LogLevel;
  /** Minimum time between two lines with the same rate-limit key. */
  intervalMs?: number;
  write?: (line: string) => void;
  now?: () => number;
}

export function parseLogLevel(value: string | undefined): LogLevel | undefined {
  if (value === undefined || value === '') return undefined;
  const v = value.trim().toLowerCase();
  switch (v) {
    case 'none':
    case 'silent':
    case 'off':
      return 'silent';
    case 'all':
    case 'verbose':
    case 'debug':
      return 'debug';
    case 'info':
      return 'info';
    case 'warn':
    case 'warning':
      return 'warn';
    case 'error':
      return 'error';
    default:
      return undefined;
  }
}

export class JsonLogger implements Logger {
  level: LogLevel;
  private readonly intervalMs: number;
  private write: (line: string) => void;
  private readonly now: () => number;
  private readonly windows = new Map<string, Window>();

  constructor(options: LoggerOptions = {}) {
    this.level = options.level ?? 'info';
    this.intervalMs = options.intervalMs ?? 30_000;
    this.write = options.write ?? ((line) => process.stderr.write(line));
    this.now = options.now ?? Date.now;
  }

  debug(msg: string, fields?: LogFields): void {
    this.emit('debug', msg, fields);
  }
  info(msg: string, fields?: LogFields): void {
    this.emit('info', msg, fields);
  }
  warn(msg: string, fields?: LogFields): void {
    this.emit('warn', msg, fields);
  }
  error(msg: string, fields?: LogFields): void {
    this.emit('error', msg, fields);
  }

  /** Where lines go from now on (the export thread writes to fd 2 itself). */
  setWriter(write: (line: string) => void): void {
    this.write = write;
  }

  limited(level: LogLevel, key: string, msg: string, fields?: LogFields): void {
    if (!this.enabled(level)) return;
    const now = this.now();
    const w = this.windows.get(key);
    if (w !== undefined && now < w.until) {
      w.suppressed++;
      return;
    }
    const suppressed = w?.suppressed ?? 0;
    // The map is bounded by the number of distinct keys, which callers keep small and static.
    this.windows.set(key, { until: now + this.intervalMs, suppressed: 0 });
    this.emit(level, msg, suppressed > 0 ? { ...fields, suppressed } : fields);
  }

  enabled(level: LogLevel): boolean {
    return LEVEL_RANK[level] >= LEVEL_RANK[this.level] && this.level !== 'silent';
  }

  private emit(level: LogLevel, msg: string, fields?: LogFields): void {
    if (!this.enabled(level)) return;
    try {
      const record: Record<string, unknown> = { time: new Date(this.now()).toISOString(), level, name: 'agentops-otel', msg: redactSecrets(msg) };
      if (fields !== undefined) {
        for (const k of Object.keys(fields)) record[k] = toLoggable(fields[k]);
      }
      this.write(JSON.stringify(record) + '\n');
    } catch {
      // Logging is best effort: a broken stderr must not become the app's problem.
    }
  }
}

/** Log fields through the shared safe-value walk, secrets masked in every string, keys included. */
function toLoggable(value: unknown): unknown {
  return safeValue(value, {
    maxStringLength: 64 * 1024,
    maxDepth: 6,
    maxKeyLength: 256,
    maxItems: 100,
    mapString: redactSecrets,
    error: (err, text) => {
      const code = (err as { code?: unknown }).code;
      return { type: text(String(err.name)), message: text(String(err.message)), ...(typeof code === 'string' || typeof code === 'number' ? { code } : {}) };
    },
  });
}

/** The process-wide logger. Its level is set by the preload from configuration. */
export const logger = new JsonLogger({ level: parseLogLevel(process.env.AGENTOPS_LOG_LEVEL ?? process.env.OTEL_LOG_LEVEL) ?? 'info' });
