/**
 * Configuration of the PostgreSQL exporter, read from AGENTOPS_PG_* variables.
 *
 * The connection starts from AGENTOPS_PG_URL (or the default URL); each of AGENTOPS_PG_HOST,
 * _PORT, _USER, _PASSWORD and _DATABASE, when set, overrides that part. The password is
 * registered as a secret as soon as it is known, so no later log line or error can print it.
 */
import { createHash } from 'node:crypto';
import type { VariableDoc } from '../../config/variables';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { PoolConfig } from 'pg';
import type { ConnectionOptions } from 'node:tls';
import { DEFAULT_QUEUE_BYTES, DEFAULT_QUEUE_SPANS } from '../../config/defaults';
import { ConfigError } from '../../config/errors';
import { readBool, readEnum, readInt, readString } from '../../config/parse';
import type { ConfigSource } from '../../config/source';
import { registerSecret, redactSecrets } from '../../shared/redact';
import { TABLE_NAME_EXPECTED, isValidTableName } from './identifier';
import { PARTITION_INTERVALS, type PartitionInterval } from './maintenance/periods';

export const SSL_MODES = ['disable', 'require', 'verify-ca', 'verify-full'] as const;
export type SslMode = (typeof SSL_MODES)[number];

export interface PostgresConnectionConfig {
  host: string;
  port: number;
  user: string;
  password: string | undefined;
  database: string;
  sslMode: SslMode;
  /** PEM text of the CA bundle (already read, so a bad path fails at start-up, not at first export). */
  sslRootCert: string | undefined;
  sslRootCertPath: string | undefined;
}

export interface PostgresExporterConfig {
  connection: PostgresConnectionConfig;
  table: string;
  autoMigrate: boolean;
  poolSize: number;
  batchSize: number;
  flushIntervalMs: number;
  connectTimeoutMs: number;
  statementTimeoutMs: number;
  retryCount: number;
  retryBaseMs: number;
  retryMaxDelayMs: number;
  bufferMaxSpans: number;
  bufferMaxBytes: number;
  spoolDir: string;
  spoolMaxBytes: number;
  maxAttributesBytes: number;
  maxStringLength: number;
  flushTimeoutMs: number;
  shutdownTimeoutMs: number;
  partitionInterval: PartitionInterval;
  /** Days of spans kept; 0 keeps them forever. */
  retentionDays: number;
  /**
   * Invalid values that fell back to their default (the exporter logs them once): plain objects,
   * as the configuration crosses to the export worker.
   */
  warnings: Array<{ variable: string; message: string }>;
}

export const DEFAULT_PG_URL = 'postgres://postgres:postgres@localhost:5432/agentops';

/**
 * One spool directory per target (host, port, database, table): rows spooled for one database
 * must never be replayed into another by a different app of the same user.
 */
export function defaultSpoolDir(target?: { host: string; port: number; database: string }, table = 'agentops_spans'): string {
  let uid: string;
  try {
    uid = String(os.userInfo().uid);
  } catch {
    uid = 'user';
  }
  const base = path.join(os.tmpdir(), `agentops-otel-${uid}`, 'spool');
  if (target === undefined) return base;
  const key = createHash('sha256').update(`${target.host}\0${target.port}\0${target.database}\0${table}`).digest('hex').slice(0, 12);
  return path.join(base, `${target.database.replace(/[^A-Za-z0-9_-]/g, '_').slice(0, 40)}-${table}-${key}`);
}

/** The one shape every documented variable has (README table, `doctor`). */
export type ConfigVariable = VariableDoc;

const MiB = 1024 * 1024;

/** Every variable, its default and meaning: the README table and `doctor` are generated from this. */
export function describePostgresConfig(): ConfigVariable[] {
  return [
    {
      variable: 'AGENTOPS_PG_URL',
      default: 'postgres://postgres:****@localhost:5432/agentops',
      meaning: 'Connection URL (postgres:// or postgresql://); query parameters sslmode and host are honoured.',
    },
    { variable: 'AGENTOPS_PG_HOST', default: '(from the URL)', meaning: 'Overrides the host of the URL (a directory means a Unix socket).' },
    { variable: 'AGENTOPS_PG_PORT', default: '(from the URL)', meaning: 'Overrides the port of the URL.' },
    { variable: 'AGENTOPS_PG_USER', default: '(from the URL)', meaning: 'Overrides the user of the URL.' },
    { variable: 'AGENTOPS_PG_PASSWORD', default: '(from the URL)', meaning: 'Overrides the password of the URL; never logged.' },
    { variable: 'AGENTOPS_PG_DATABASE', default: '(from the URL)', meaning: 'Overrides the database of the URL.' },
    { variable: 'AGENTOPS_PG_SSLMODE', default: 'disable (or sslmode= of the URL)', meaning: 'disable, require (encrypt, no verification), verify-ca, verify-full.' },
    { variable: 'AGENTOPS_PG_SSLROOTCERT', default: '(system CAs)', meaning: 'PEM file of the CA(s) that sign the server certificate, for verify-ca/verify-full.' },
    { variable: 'AGENTOPS_PG_TABLE', default: 'agentops_spans', meaning: `Span table name; also prefixes <table>_dead_letter. Must be ${TABLE_NAME_EXPECTED}.` },
    { variable: 'AGENTOPS_PG_AUTO_MIGRATE', default: 'true', meaning: 'Create/upgrade the schema at start-up when it is missing or older.' },
    { variable: 'AGENTOPS_PG_POOL_SIZE', default: '4', meaning: 'Connections in the pool; also the number of batches written concurrently.' },
    { variable: 'AGENTOPS_PG_BATCH_SIZE', default: '1000', meaning: 'Rows per write statement.' },
    { variable: 'AGENTOPS_PG_FLUSH_INTERVAL_MS', default: '1000', meaning: 'Longest time a span waits in memory for a fuller batch.' },
    { variable: 'AGENTOPS_PG_CONNECT_TIMEOUT_MS', default: '5000', meaning: 'Connection attempt timeout.' },
    { variable: 'AGENTOPS_PG_STATEMENT_TIMEOUT_MS', default: '30000', meaning: 'Server statement_timeout and client read timeout per write.' },
    { variable: 'AGENTOPS_PG_RETRY_COUNT', default: '5', meaning: 'Retries of a batch after transient failures before it is moved to the spool.' },
    { variable: 'AGENTOPS_PG_RETRY_BASE_MS', default: '100', meaning: 'Base of the exponential backoff (full jitter).' },
    { variable: 'AGENTOPS_PG_RETRY_MAX_DELAY_MS', default: '10000', meaning: 'Upper bound of one backoff delay; also the probe interval while the database is down.' },
    { variable: 'AGENTOPS_PG_BUFFER_MAX_SPANS', default: String(DEFAULT_QUEUE_SPANS), meaning: 'Spans held in memory; beyond it the oldest go to the spool.' },
    { variable: 'AGENTOPS_PG_BUFFER_MAX_BYTES', default: String(DEFAULT_QUEUE_BYTES), meaning: 'Approximate bytes held in memory; beyond it the oldest go to the spool.' },
    {
      variable: 'AGENTOPS_PG_SPOOL_DIR',
      default: '<tmpdir>/agentops-otel-<uid>/spool/<database>-<table>-<hash of target>',
      meaning:
        'On-disk spool for spans the database could not take yet (mode 0700, files 0600), replayed into the configured database by the next process. The default is one directory per target; if you set it, give each target database its own.',
    },
    { variable: 'AGENTOPS_PG_SPOOL_MAX_BYTES', default: String(512 * MiB), meaning: 'Spool size limit; spans beyond it are dropped and counted (reason spool_full). 0 disables the spool.' },
    { variable: 'AGENTOPS_PG_MAX_ATTRIBUTES_BYTES', default: String(MiB), meaning: "Cap on the JSON of one span's attributes (and separately its events); the excess is dropped with a marker." },
    { variable: 'AGENTOPS_PG_MAX_STRING_LENGTH', default: String(256 * 1024), meaning: 'Cap on one string value, in characters; longer ones are truncated with a marker.' },
    { variable: 'AGENTOPS_PG_FLUSH_TIMEOUT_MS', default: '10000', meaning: 'How long forceFlush() waits for the buffer to drain.' },
    { variable: 'AGENTOPS_PG_SHUTDOWN_TIMEOUT_MS', default: '5000', meaning: 'How long shutdown() drains before spooling what is left.' },
    {
      variable: 'AGENTOPS_PG_PARTITION_INTERVAL',
      default: 'day',
      meaning: 'Period of one partition of the span table: day, week or month (UTC). Applies to partitions created from then on. An invalid value is reported and the default used.',
    },
    {
      variable: 'AGENTOPS_PG_RETENTION_DAYS',
      default: '0',
      meaning:
        'Spans older than this many days are removed by dropping their whole partitions (agentops-otel maintain, and the exporter hourly); 0 keeps them forever. An invalid value is reported and 0 used: nothing is dropped.',
    },
  ];
}

function parseUrl(raw: string, variable: string): URL {
  let url: URL;
  try {
    url = new URL(raw.trim());
  } catch {
    throw new ConfigError(variable, 'the value is not a URL', 'a URL such as postgres://user:password@host:5432/database');
  }
  if (url.protocol !== 'postgres:' && url.protocol !== 'postgresql:') {
    throw new ConfigError(variable, `scheme ${url.protocol} is not supported`, 'a URL with scheme postgres: or postgresql:');
  }
  return url;
}

function decode(part: string, variable: string): string {
  try {
    return decodeURIComponent(part);
  } catch {
    throw new ConfigError(variable, 'the URL has invalid percent-encoding', 'a percent-encoded URL');
  }
}

/**
 * The default password is printed in our own documentation, so masking it protects nothing,
 * while masking the word "postgres" in every log line and error would make them unreadable.
 */
function registerPassword(pw: string | undefined): void {
  if (pw !== undefined && pw !== DEFAULT_PASSWORD) registerSecret(pw);
}
const DEFAULT_PASSWORD = 'postgres';

function readConnection(src: ConfigSource): PostgresConnectionConfig {
  const rawUrl = src.get('AGENTOPS_PG_URL');
  // Register before parsing: a parse error message must not be able to echo the password.
  if (rawUrl !== undefined) {
    const m = /^[a-z][a-z0-9+.-]*:\/\/[^:/?#@\s]*:([^@/?#\s]*)@/i.exec(rawUrl.trim());
    if (m) {
      registerPassword(m[1]);
      try {
        registerPassword(decodeURIComponent(m[1]));
      } catch {
        // invalid encoding is reported below
      }
    }
  }
  const explicitPassword = src.get('AGENTOPS_PG_PASSWORD');
  registerPassword(explicitPassword);

  const url = parseUrl(rawUrl ?? DEFAULT_PG_URL, 'AGENTOPS_PG_URL');
  const urlHost = url.searchParams.get('host') ?? decode(url.hostname, 'AGENTOPS_PG_URL').replace(/^\[(.*)\]$/, '$1');
  const host = src.get('AGENTOPS_PG_HOST')?.trim() || urlHost || 'localhost';
  const urlPort = url.port === '' ? 5432 : Number(url.port);
  const port = readInt(src, 'AGENTOPS_PG_PORT', urlPort, 1, 65535);
  const user = src.get('AGENTOPS_PG_USER') ?? (url.username !== '' ? decode(url.username, 'AGENTOPS_PG_URL') : 'postgres');
  const password = explicitPassword ?? (url.password !== '' ? decode(url.password, 'AGENTOPS_PG_URL') : undefined);
  registerPassword(password);
  const urlDb = url.pathname.replace(/^\//, '');
  const database = src.get('AGENTOPS_PG_DATABASE') ?? (urlDb !== '' ? decode(urlDb, 'AGENTOPS_PG_URL') : user);

  let urlSslMode: SslMode = 'disable';
  const fromUrl = url.searchParams.get('sslmode');
  if (fromUrl !== null) {
    // libpq's prefer/allow have no equivalent in pg; prefer is treated as require-if-possible = require.
    const map: Record<string, SslMode> = {
      disable: 'disable',
      allow: 'disable',
      prefer: 'require',
      require: 'require',
      'verify-ca': 'verify-ca',
      'verify-full': 'verify-full',
      'no-verify': 'require',
    };
    const m = map[fromUrl.toLowerCase()];
    if (m === undefined) throw new ConfigError('AGENTOPS_PG_URL', `sslmode=${fromUrl} is not a known value`, `one of ${SSL_MODES.join(', ')}`);
    urlSslMode = m;
  }
  const sslMode = readEnum(src, 'AGENTOPS_PG_SSLMODE', SSL_MODES, urlSslMode);
  const sslRootCertPath = src.get('AGENTOPS_PG_SSLROOTCERT') ?? url.searchParams.get('sslrootcert') ?? undefined;
  let sslRootCert: string | undefined;
  if (sslRootCertPath !== undefined) {
    try {
      sslRootCert = fs.readFileSync(sslRootCertPath, 'utf8');
    } catch (err) {
      throw new ConfigError('AGENTOPS_PG_SSLROOTCERT', `cannot read ${sslRootCertPath} (${(err as NodeJS.ErrnoException).code ?? 'error'})`, 'the path of a readable PEM file');
    }
    if (!sslRootCert.includes('-----BEGIN CERTIFICATE-----')) {
      throw new ConfigError('AGENTOPS_PG_SSLROOTCERT', `${sslRootCertPath} holds no PEM certificate`, 'a PEM file with -----BEGIN CERTIFICATE----- blocks');
    }
  }
  return { host, port, user, password, database, sslMode, sslRootCert, sslRootCertPath };
}

export function readPostgresConfig(src: ConfigSource): PostgresExporterConfig {
  const connection = readConnection(src);
  const table = readString(src, 'AGENTOPS_PG_TABLE', 'agentops_spans').trim();
  if (!isValidTableName(table)) {
    throw new ConfigError('AGENTOPS_PG_TABLE', `${JSON.stringify(table.slice(0, 80))} is not an accepted table name`, TABLE_NAME_EXPECTED);
  }
  const spoolDirRaw = src.get('AGENTOPS_PG_SPOOL_DIR');
  const spoolDir = spoolDirRaw !== undefined ? path.resolve(spoolDirRaw.trim()) : defaultSpoolDir(connection, table);
  const cfg: PostgresExporterConfig = {
    connection,
    table,
    autoMigrate: readBool(src, 'AGENTOPS_PG_AUTO_MIGRATE', true),
    poolSize: readInt(src, 'AGENTOPS_PG_POOL_SIZE', 4, 1, 100),
    batchSize: readInt(src, 'AGENTOPS_PG_BATCH_SIZE', 1000, 1, 100_000),
    flushIntervalMs: readInt(src, 'AGENTOPS_PG_FLUSH_INTERVAL_MS', 1000, 0, 3_600_000),
    connectTimeoutMs: readInt(src, 'AGENTOPS_PG_CONNECT_TIMEOUT_MS', 5000, 100, 600_000),
    statementTimeoutMs: readInt(src, 'AGENTOPS_PG_STATEMENT_TIMEOUT_MS', 30_000, 100, 3_600_000),
    retryCount: readInt(src, 'AGENTOPS_PG_RETRY_COUNT', 5, 0, 1000),
    retryBaseMs: readInt(src, 'AGENTOPS_PG_RETRY_BASE_MS', 100, 1, 600_000),
    retryMaxDelayMs: readInt(src, 'AGENTOPS_PG_RETRY_MAX_DELAY_MS', 10_000, 1, 3_600_000),
    bufferMaxSpans: readInt(src, 'AGENTOPS_PG_BUFFER_MAX_SPANS', DEFAULT_QUEUE_SPANS, 1, 10_000_000),
    bufferMaxBytes: readInt(src, 'AGENTOPS_PG_BUFFER_MAX_BYTES', DEFAULT_QUEUE_BYTES, 1024, 16 * 1024 * MiB),
    spoolDir,
    spoolMaxBytes: readInt(src, 'AGENTOPS_PG_SPOOL_MAX_BYTES', 512 * MiB, 0, Number.MAX_SAFE_INTEGER),
    maxAttributesBytes: readInt(src, 'AGENTOPS_PG_MAX_ATTRIBUTES_BYTES', MiB, 1024, 200 * MiB),
    maxStringLength: readInt(src, 'AGENTOPS_PG_MAX_STRING_LENGTH', 256 * 1024, 64, 200 * MiB),
    flushTimeoutMs: readInt(src, 'AGENTOPS_PG_FLUSH_TIMEOUT_MS', 10_000, 0, 3_600_000),
    shutdownTimeoutMs: readInt(src, 'AGENTOPS_PG_SHUTDOWN_TIMEOUT_MS', 5000, 0, 3_600_000),
    partitionInterval: 'day',
    retentionDays: 0,
    warnings: [],
  };
  // A bad value here must neither turn the exporter off nor drop anything: default, and say so.
  cfg.partitionInterval = orDefault(cfg.warnings, () => readEnum(src, 'AGENTOPS_PG_PARTITION_INTERVAL', PARTITION_INTERVALS, 'day'), 'day');
  cfg.retentionDays = orDefault(cfg.warnings, () => readInt(src, 'AGENTOPS_PG_RETENTION_DAYS', 0, 0, 36_500), 0);
  if (cfg.retryMaxDelayMs < cfg.retryBaseMs) {
    throw new ConfigError('AGENTOPS_PG_RETRY_MAX_DELAY_MS', `${cfg.retryMaxDelayMs} is below AGENTOPS_PG_RETRY_BASE_MS (${cfg.retryBaseMs})`, 'a value >= AGENTOPS_PG_RETRY_BASE_MS');
  }
  if (cfg.connection.sslMode === 'disable' && cfg.connection.sslRootCert !== undefined) {
    throw new ConfigError('AGENTOPS_PG_SSLROOTCERT', 'a CA file is set but AGENTOPS_PG_SSLMODE is disable', 'AGENTOPS_PG_SSLMODE=verify-ca or verify-full with a CA file');
  }
  return cfg;
}

function orDefault<T>(warnings: PostgresExporterConfig['warnings'], read: () => T, def: T): T {
  try {
    return read();
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    warnings.push({ variable: err.variable, message: `${err.message}; using the default ${String(def)}` });
    return def;
  }
}

export function sslOptions(c: PostgresConnectionConfig): false | ConnectionOptions {
  switch (c.sslMode) {
    case 'disable':
      return false;
    case 'require':
      // libpq semantics: encrypted, but the certificate is not checked (unless a root cert is given).
      return c.sslRootCert !== undefined ? { ca: c.sslRootCert, rejectUnauthorized: true, checkServerIdentity: () => undefined } : { rejectUnauthorized: false };
    case 'verify-ca':
      return { ca: c.sslRootCert, rejectUnauthorized: true, checkServerIdentity: () => undefined };
    case 'verify-full':
      return { ca: c.sslRootCert, rejectUnauthorized: true };
  }
}

export function poolConfig(cfg: PostgresExporterConfig, overrides: Partial<PoolConfig> = {}): PoolConfig {
  const c = cfg.connection;
  return {
    host: c.host,
    port: c.port,
    user: c.user,
    password: c.password,
    database: c.database,
    ssl: sslOptions(c),
    max: cfg.poolSize,
    connectionTimeoutMillis: cfg.connectTimeoutMs,
    idleTimeoutMillis: 10_000,
    // Idle pooled connections must never keep the host application alive.
    allowExitOnIdle: true,
    statement_timeout: cfg.statementTimeoutMs,
    // The client-side bound catches a server that stops answering without closing the socket.
    query_timeout: cfg.statementTimeoutMs + 5000,
    application_name: 'agentops-otel',
    keepAlive: true,
    ...overrides,
  };
}

/** `postgres://user:****@host:port/db` for logs: never the password. */
/** What the exporter's start-up line says of its configuration (the password masked). */
export function describeConfig(config: PostgresExporterConfig): Record<string, unknown> {
  return { target: describeTarget(config.connection), table: config.table, spoolDir: config.spoolDir, poolSize: config.poolSize, batchSize: config.batchSize };
}

export function describeTarget(c: PostgresConnectionConfig): string {
  const host = c.host.includes(':') ? `[${c.host}]` : c.host;
  return redactSecrets(`postgres://${encodeURIComponent(c.user)}${c.password !== undefined ? ':****' : ''}@${host}:${c.port}/${encodeURIComponent(c.database)} (sslmode=${c.sslMode})`);
}
