/**
 * PostgreSQL span exporter: public surface for the preload and the CLI.
 */
import { Pool } from 'pg';
import { PostgresExporterConfig, poolConfig } from './config';
import { PostgresSpanExporter, ReplayResult } from './exporter';
import { MigrateOptions, MigrationResult, migrate as migrateTable } from './schema/migrate';
import { OVERFLOW_SUFFIX, Spool, SpoolStatus } from '../spool';
import { PG_SPOOL_HEADER } from './rows';
import type { Client, PoolClient } from 'pg';

export { PostgresSpanExporter, EXPORTER_NAME } from './exporter';
export type { PostgresSpanExporterOptions, ReplayResult } from './exporter';
export { readPostgresConfig, describePostgresConfig, describeTarget, poolConfig, defaultSpoolDir, DEFAULT_PG_URL, SSL_MODES } from './config';
export type { PostgresExporterConfig, PostgresConnectionConfig, ConfigVariable, SslMode } from './config';
export { schemaVersion, needsMigration } from './schema/migrate';
export type { MigrationResult, MigrateOptions } from './schema/migrate';
export { runMaintenance, MAX_CLOCK_SKEW_MS } from './maintenance/maintain';
export type { MaintenanceReport, MaintenanceOptions } from './maintenance/maintain';
export { PARTITION_INTERVALS } from './maintenance/periods';
export type { PartitionInterval } from './maintenance/periods';
export { renderSchemaSql, LATEST_VERSION, VIEWS_MARKER } from './schema/ddl';
export { isValidTableName, TABLE_NAME_PATTERN } from './identifier';
export { classifyError } from './errors';
export type { ErrorClass } from './errors';
export type { SpoolStatus } from '../spool';
export type { WriteMethod } from './writer';

/** Creates or upgrades the schema for `table` (idempotent, safe concurrently). */
export function migrate(db: Pool | PoolClient | Client, table: string, opts: MigrateOptions = {}): Promise<MigrationResult> {
  return migrateTable(db, table, opts);
}

/** A pg Pool configured like the exporter's (for the CLI's migrate/doctor commands). */
export function createPool(config: PostgresExporterConfig, max = 1): Pool {
  const pool = new Pool(poolConfig(config, { max }));
  pool.on('error', () => undefined);
  return pool;
}

/** What the spool holds now, the export worker's overflow files included; reads the directory only, no database. */
export async function spoolStatus(config: PostgresExporterConfig): Promise<SpoolStatus> {
  const rows = new Spool(config.spoolDir, config.spoolMaxBytes, PG_SPOOL_HEADER);
  const overflow = new Spool(config.spoolDir, config.spoolMaxBytes, '', OVERFLOW_SUFFIX);
  try {
    const [a, b] = await Promise.all([rows.status(), overflow.status()]);
    const ages = [a.oldestAgeMs, b.oldestAgeMs].filter((x): x is number => x !== null);
    return { ...a, files: a.files + b.files, claimed: a.claimed + b.claimed, bytes: a.bytes + b.bytes, oldestAgeMs: ages.length > 0 ? Math.max(...ages) : null };
  } finally {
    rows.close();
    overflow.close();
  }
}

/** Sends the spool to the database now (until it is empty or the database fails); returns counts. */
export async function replaySpool(config: PostgresExporterConfig): Promise<ReplayResult> {
  const exporter = new PostgresSpanExporter(config, { autoReplay: false });
  try {
    return await exporter.replaySpoolNow();
  } finally {
    await exporter.shutdown();
  }
}
