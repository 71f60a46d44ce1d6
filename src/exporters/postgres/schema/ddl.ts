/**
 * The schema, versioned. `schema.sql` at the repository top is latestSchemaSql() rendered for the
 * default table name (a unit test keeps the two identical), so `psql -f schema.sql` and the
 * automatic migration create exactly the same objects.
 *
 * Every statement is idempotent (IF NOT EXISTS / OR REPLACE / ON CONFLICT) and the whole script
 * runs in one transaction under an advisory lock, so it is safe twice and from two processes at
 * once (concurrent CREATE TABLE IF NOT EXISTS can otherwise fail on the catalog's unique index).
 * Upgrading an older table (moving its rows) is migrate.ts's and backfill.ts's work.
 */
import { q, tableNames, TableNames } from '../identifier';
import { summaryTableSql, summaryTriggerSql } from './summary';
import { deadLetterSql, spanTableSql } from './tables';
import { viewsSql } from './views';

/** Arbitrary but fixed: the ASCII bytes of "agentops" as a bigint. Shared by every table name. */
export const MIGRATION_LOCK_KEY = '7018690069354475635';

export const VERSION_TABLE = 'agentops_schema_version';

export interface Migration {
  version: number;
  description: string;
}

/** What each version brought; a database records every version it has. */
export const MIGRATIONS: Migration[] = [
  { version: 1, description: 'span table, dead-letter table' },
  { version: 2, description: 'views: sessions, LLM calls, errors' },
  { version: 3, description: 'span table partitioned by start time, session summaries' },
  { version: 4, description: 'dead-letter table keyed by (trace_id, id)' },
];

/** The version whose statements are the reporting views; schema.sql puts VIEWS_MARKER before them. */
export const VIEWS_VERSION = 2;

/** Tables, summary and its trigger, at the latest version (the views come apart: viewsSql). */
export function latestTablesSql(n: TableNames): string {
  return `${spanTableSql(n)}
${deadLetterSql(n)}
${summaryTableSql(n)}
${summaryTriggerSql(n)}`;
}

/**
 * Stops psql on a table of version 1 or 2 (a plain table): its rows must be moved into the
 * partitioned table, which is `agentops-otel migrate`'s work.
 */
function refuseOldTableSql(n: TableNames): string {
  return `DO $guard$
BEGIN
    IF EXISTS (SELECT 1 FROM pg_class WHERE oid = to_regclass('${q(n.table)}') AND relkind = 'r') THEN
        RAISE EXCEPTION 'table ${n.table} is of schema version 1 or 2: upgrade it with "agentops-otel migrate", which keeps its rows';
    END IF;
END
$guard$;
`;
}

export const LATEST_VERSION = MIGRATIONS[MIGRATIONS.length - 1].version;

export function versionTableSql(): string {
  return `CREATE TABLE IF NOT EXISTS ${VERSION_TABLE} (
    table_name  text        NOT NULL,
    version     integer     NOT NULL,
    description text        NOT NULL,
    applied_at  timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (table_name, version)
);
`;
}

export function recordVersionSql(n: TableNames, m: Migration): string {
  // Literals are safe: the table name matched the identifier pattern, the description is ours.
  return `INSERT INTO ${VERSION_TABLE} (table_name, version, description) VALUES ('${n.table}', ${m.version}, '${m.description.replace(/'/g, "''")}') ON CONFLICT DO NOTHING;\n`;
}

/** Heads the views section of schema.sql (version VIEWS_VERSION); the text is kept for anyone who searched for it. */
export const VIEWS_MARKER = '-- ==== VIEWS (agentops_sessions, agentops_llm_calls, agentops_errors) — added by a later release; keep this marker ====';

/** The complete script for `psql -f`: the latest schema in one locked transaction. */
export function renderSchemaSql(table = 'agentops_spans'): string {
  const n = tableNames(table);
  let out = `-- agentops-otel PostgreSQL schema (version ${LATEST_VERSION}).
--
-- Apply with:   psql -v ON_ERROR_STOP=1 -f schema.sql "postgres://user@host:5432/agentops"
-- The exporter applies the same statements itself at start-up when the table is missing
-- (AGENTOPS_PG_AUTO_MIGRATE=true, the default). Safe to run more than once, and concurrently.
-- It creates the default partition only: the exporter (or "agentops-otel maintain") creates the
-- time partitions. A table of version 1 or 2 is upgraded by "agentops-otel migrate", not here.
-- GENERATED FILE: edit src/exporters/postgres/schema/ddl.ts, then regenerate
-- (node -e "process.stdout.write(require('./dist/src/exporters/postgres/schema/ddl').renderSchemaSql())" > schema.sql).

BEGIN;

-- Serialises concurrent migrations (several processes starting at once).
SELECT pg_advisory_xact_lock(${MIGRATION_LOCK_KEY});

${versionTableSql()}
${refuseOldTableSql(n)}
${latestTablesSql(n)}
${VIEWS_MARKER}

${viewsSql(n)}
`;
  for (const m of MIGRATIONS) out += recordVersionSql(n, m);
  out += `\nCOMMIT;\n`;
  return out;
}
