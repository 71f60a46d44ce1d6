/**
 * Applies the schema migrations that a database does not have yet. Used by the exporter at
 * start-up (AGENTOPS_PG_AUTO_MIGRATE) and meant for the CLI's `migrate` command.
 */
import type { Client, Pool, PoolClient } from 'pg';
import { tableNames } from '../identifier';
import { LATEST_VERSION, MIGRATIONS, MIGRATION_LOCK_KEY, VERSION_TABLE, recordVersionSql, versionTableSql } from './ddl';

export interface MigrationResult {
  table: string;
  /** Version found before migrating (0: none). */
  from: number;
  to: number;
  /** Versions applied by this call; empty when the schema was already current. */
  applied: number[];
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

/** Idempotent; safe to call concurrently from several processes (advisory transaction lock). */
export async function migrate(db: Queryable, table: string): Promise<MigrationResult> {
  const n = tableNames(table);
  const client = isPool(db) ? await db.connect() : db;
  try {
    await client.query('BEGIN');
    try {
      await client.query(`SELECT pg_advisory_xact_lock(${MIGRATION_LOCK_KEY})`);
      await client.query(versionTableSql());
      const cur = await client.query<{ v: number | null }>(`SELECT max(version) AS v FROM ${VERSION_TABLE} WHERE table_name = $1`, [n.table]);
      const from = cur.rows[0].v ?? 0;
      const applied: number[] = [];
      for (const m of MIGRATIONS) {
        if (m.version <= from) continue;
        await client.query(m.sql(n));
        await client.query(recordVersionSql(n, m));
        applied.push(m.version);
      }
      await client.query('COMMIT');
      return { table: n.table, from, to: Math.max(from, LATEST_VERSION), applied };
    } catch (err) {
      await client.query('ROLLBACK').catch(() => undefined);
      throw err;
    }
  } finally {
    if (isPool(db)) (client as PoolClient).release();
  }
}
