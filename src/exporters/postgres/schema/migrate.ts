/**
 * Applies the schema a database does not have yet. Used by the exporter at start-up
 * (AGENTOPS_PG_AUTO_MIGRATE) and by the CLI's `migrate` command.
 *
 * Upgrading a version 1/2 table (a plain table) is quick and keeps every row: in one
 * transaction the table is renamed to <table>_v2 and the partitioned table, its summary and the
 * views are created under the old name, so writers go on at once (into the new table). The old
 * rows are then moved over in chunks by backfill (maintenance), which also builds their session
 * summaries. Writes made meanwhile are kept: they go to the new table.
 */
import type { Client, Pool, PoolClient } from 'pg';
import { q, tableNames, type TableNames } from '../identifier';
import { createPartition, listPartitions, missingPeriods } from '../maintenance/partitions';
import { periodsAround, type PartitionInterval } from '../maintenance/periods';
import { LATEST_VERSION, MIGRATIONS, MIGRATION_LOCK_KEY, VERSION_TABLE, latestTablesSql, recordVersionSql, versionTableSql } from './ddl';
import { viewsSql } from './views';

export interface MigrationResult {
  table: string;
  /** Version found before migrating (0: none). */
  from: number;
  to: number;
  /** Versions applied by this call; empty when the schema was already current. */
  applied: number[];
  /** A version 1/2 table was renamed to this name; its rows wait there for the backfill. */
  legacyTable?: string;
  /** Time partitions created by this call. */
  partitions?: string[];
}

export interface MigrateOptions {
  /** Period of the partitions created for now (default day). */
  interval?: PartitionInterval;
  /** The app's clock (ms); tests move it. */
  nowMs?: number;
}

type Queryable = Pool | PoolClient | Client;

function isPool(db: Queryable): db is Pool {
  // A Pool has totalCount; a Client/PoolClient does not.
  return typeof (db as Pool).totalCount === 'number';
}

/** The schema version recorded for `table` (0 when absent), without taking any lock. */
export async function schemaVersion(db: Queryable, table: string): Promise<number> {
  const n = tableNames(table);
  const r = await db.query<{ spans: string | null; versions: string | null }>('SELECT to_regclass($1) AS spans, to_regclass($2) AS versions', [`"${n.table}"`, VERSION_TABLE]);
  if (r.rows[0].spans === null) return 0;
  if (r.rows[0].versions === null) return 0;
  const v = await db.query<{ v: number | null }>(`SELECT max(version) AS v FROM ${VERSION_TABLE} WHERE table_name = $1`, [n.table]);
  return v.rows[0].v ?? 0;
}

export async function needsMigration(db: Queryable, table: string): Promise<boolean> {
  return (await schemaVersion(db, table)) < LATEST_VERSION;
}

/** 'r' plain table, 'p' partitioned, another relkind, or null when absent. */
async function relkind(db: PoolClient | Client, name: string): Promise<string | null> {
  const r = await db.query<{ k: string | null }>('SELECT (SELECT relkind FROM pg_class WHERE oid = to_regclass($1))::text AS k', [q(name)]);
  return r.rows[0].k;
}

/** Moves a version 1/2 table (and the names of its key and index) out of the way. */
async function renameLegacy(db: PoolClient | Client, n: TableNames): Promise<void> {
  if ((await relkind(db, n.legacy)) !== null) {
    throw new Error(`cannot upgrade ${n.table}: ${n.legacy} exists already (an earlier upgrade's old rows?); move its rows into ${n.table} or rename it, then run agentops-otel migrate again`);
  }
  await db.query(`ALTER TABLE ${q(n.table)} RENAME TO ${q(n.legacy)}`);
  const pkey = await db.query(`SELECT 1 FROM pg_constraint WHERE conrelid = to_regclass($1) AND conname = $2`, [q(n.legacy), n.table + '_pkey']);
  if (pkey.rowCount) await db.query(`ALTER TABLE ${q(n.legacy)} RENAME CONSTRAINT ${q(n.table + '_pkey')} TO ${q(n.legacyPkey)}`);
  await db.query(`ALTER INDEX IF EXISTS ${q(n.startIndex)} RENAME TO ${q(n.legacyStartIndex)}`);
  // The old views now read the renamed table; CREATE OR REPLACE (same columns) points them at
  // the new one, and views of the user's built on them stay.
}

/** Idempotent; safe to call concurrently from several processes (advisory transaction lock). */
export async function migrate(db: Queryable, table: string, opts: MigrateOptions = {}): Promise<MigrationResult> {
  const n = tableNames(table);
  const client = isPool(db) ? await db.connect() : db;
  try {
    await client.query('BEGIN');
    try {
      await client.query(`SELECT pg_advisory_xact_lock(${MIGRATION_LOCK_KEY})`);
      await client.query(versionTableSql());
      const cur = await client.query<{ v: number | null }>(`SELECT max(version) AS v FROM ${VERSION_TABLE} WHERE table_name = $1`, [n.table]);
      const from = cur.rows[0].v ?? 0;
      const result: MigrationResult = { table: n.table, from, to: Math.max(from, LATEST_VERSION), applied: [] };
      if (from >= LATEST_VERSION) {
        await client.query('COMMIT');
        return result;
      }
      const kind = await relkind(client, n.table);
      if (kind === 'r') {
        await renameLegacy(client, n);
        result.legacyTable = n.legacy;
      } else if (kind !== null && kind !== 'p') {
        throw new Error(`${n.table} exists but is not a table (relkind ${kind})`);
      }
      await client.query(latestTablesSql(n));
      await client.query(viewsSql(n));
      for (const m of MIGRATIONS) {
        if (m.version <= from) continue;
        await client.query(recordVersionSql(n, m));
        result.applied.push(m.version);
      }
      // The current periods get their partitions now, so the first spans do not land in the
      // default partition; maintenance keeps creating them ahead from here on.
      const parts = await listPartitions(client, n);
      const wanted = missingPeriods(parts.ranges, periodsAround(opts.interval ?? 'day', opts.nowMs ?? Date.now()));
      result.partitions = [];
      for (const p of wanted) result.partitions.push((await createPartition(client, n, p, parts.hasDefault)).name);
      await client.query('COMMIT');
      return result;
    } catch (err) {
      await client.query('ROLLBACK').catch(() => undefined);
      throw err;
    }
  } finally {
    if (isPool(db)) (client as PoolClient).release();
  }
}
