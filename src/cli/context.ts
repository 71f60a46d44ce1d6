/**
 * What every command shares: output (always through redactSecrets), the configuration read
 * exactly as the preload reads it, and database access with errors mapped to one clear line.
 */
import type { Pool } from 'pg';
import { ConfigError } from '../config/errors';
import { ConfigSource } from '../config/source';
import { readTelemetryConfig, type Loaded, type TelemetryConfig } from '../config/telemetry-config';
import type { PostgresExporterConfig } from '../exporters/postgres/config';
import { redactSecrets } from '../shared/redact';
import { CliError, OutputClosed, describeDbError } from './errors';
import { asciiText } from './format';

export interface Io {
  /** Writes to stdout, secrets masked; resolves when the stream can take more (backpressure). */
  out(text: string): Promise<void>;
  /** Writes to stderr, secrets masked. */
  err(text: string): void;
  /**
   * Writes to stdout WITHOUT masking. Only for text the CLI made up itself that must be exact,
   * e.g. the URL of the demo's own throwaway database, whose password is a published constant.
   */
  unmasked(text: string): Promise<void>;
  /** Terminal width, or undefined when stdout is not a terminal. */
  columns: number | undefined;
}

export function processIo(): Io {
  // A reader that goes away (`agentops-otel export --since 1d | head`) closes stdout: EPIPE.
  // The stream's error is handled here, so it is never an uncaught exception with a stack trace;
  // the next write, or the one waiting for 'drain', rejects with OutputClosed instead.
  let closed: Error | undefined;
  const waiting = new Set<(err: Error) => void>();
  process.stdout.on('error', (err: NodeJS.ErrnoException) => {
    closed ??= err.code === 'EPIPE' ? new OutputClosed() : new CliError(`cannot write to stdout: ${err.code ?? err.message}`);
    for (const fail of waiting) fail(closed);
    waiting.clear();
  });
  const write = (stream: NodeJS.WriteStream, text: string): Promise<void> =>
    new Promise((resolve, reject) => {
      if (closed) return reject(closed);
      if (stream.write(text)) return resolve();
      const fail = (err: Error): void => reject(err);
      waiting.add(fail);
      stream.once('drain', () => {
        waiting.delete(fail);
        resolve();
      });
    });
  return {
    out: (text) => write(process.stdout, redactSecrets(text)),
    err: (text) => {
      process.stderr.write(redactSecrets(text));
    },
    unmasked: (text) => write(process.stdout, text),
    columns: process.stdout.isTTY ? process.stdout.columns : undefined,
  };
}

/** `io` printing only printable ASCII (and line breaks): what `--ascii` promises for everything a command prints. */
export function asciiIo(io: Io): Io {
  return {
    out: (text) => io.out(asciiText(text)),
    err: (text) => io.err(asciiText(text)),
    unmasked: (text) => io.unmasked(asciiText(text)),
    columns: io.columns,
  };
}

export interface Ctx {
  env: NodeJS.ProcessEnv;
  io: Io;
  verbose: boolean;
}

export interface LoadedConfig {
  source: ConfigSource;
  telemetry: Loaded<TelemetryConfig>;
  /** Undefined when the PostgreSQL settings are invalid; the error is in pgError. */
  pg: PostgresExporterConfig | undefined;
  pgError: ConfigError | undefined;
}

/** The configuration as the preload reads it (same source, same readers, same defaults). */
export function loadConfig(env: NodeJS.ProcessEnv): LoadedConfig {
  const source = new ConfigSource(env);
  const telemetry = readTelemetryConfig(source);
  // The configuration module only, not the exporter package: a command's start-up is felt.
  const pgMod = require('../exporters/postgres/config') as typeof import('../exporters/postgres/config');
  let pg: PostgresExporterConfig | undefined;
  let pgError: ConfigError | undefined;
  try {
    pg = pgMod.readPostgresConfig(source);
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    pgError = err;
  }
  return { source, telemetry, pg, pgError };
}

/** The PostgreSQL settings, or a CliError that names the bad variable. */
export function requirePg(cfg: LoadedConfig): PostgresExporterConfig {
  if (cfg.pg === undefined) throw new CliError(`invalid configuration: ${cfg.pgError?.message ?? 'PostgreSQL settings'}`);
  return cfg.pg;
}

export interface Db {
  pool: Pool;
  config: PostgresExporterConfig;
  target: string;
  query<R extends Record<string, unknown>>(text: string, values?: unknown[]): Promise<R[]>;
  close(): Promise<void>;
}

/**
 * pg, loaded for a command. At load, pg 8 asks whether it runs in a Cloudflare Worker: where
 * there is no `navigator` (Node 20) it constructs a fetch Response to find out, which loads Node's
 * fetch implementation, 60-90 ms of a command's start-up here. Node 21 and later have a
 * `navigator` whose userAgent answers at once; Node 20 gets the same answer while pg loads.
 */
function loadPg(): typeof import('pg') {
  const g = globalThis as { navigator?: unknown };
  if (g.navigator !== undefined) return require('pg') as typeof import('pg');
  g.navigator = { userAgent: `Node.js/${process.versions.node}` };
  try {
    return require('pg') as typeof import('pg');
  } finally {
    delete g.navigator;
  }
}

/** A small pool configured like the exporter's; the first query proves the connection. */
export async function openDb(config: PostgresExporterConfig): Promise<Db> {
  const { Pool: PgPool } = loadPg();
  const pgMod = require('../exporters/postgres/config') as typeof import('../exporters/postgres/config');
  const pool = new PgPool(pgMod.poolConfig(config, { max: 2 }));
  pool.on('error', () => undefined);
  const target = pgMod.describeTarget(config.connection);
  const db: Db = {
    pool,
    config,
    target,
    async query<R extends Record<string, unknown>>(text: string, values?: unknown[]): Promise<R[]> {
      try {
        return (await pool.query<R>(text, values)).rows;
      } catch (err) {
        throw describeDbError(err, target, config.table);
      }
    },
    close: () => pool.end().catch(() => undefined),
  };
  try {
    await db.query('SELECT 1');
  } catch (err) {
    await db.close();
    throw err;
  }
  return db;
}

export async function withDb<T>(config: PostgresExporterConfig, fn: (db: Db) => Promise<T>): Promise<T> {
  const db = await openDb(config);
  try {
    return await fn(db);
  } finally {
    await db.close();
  }
}

/** Width for renderers: --width, else the terminal's, else 120. */
export function outputWidth(ctx: Ctx, explicit: number | undefined): number {
  return explicit ?? ctx.io.columns ?? 120;
}
