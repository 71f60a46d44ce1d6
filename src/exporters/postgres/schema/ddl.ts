/**
 * The schema, as versioned migrations. `schema.sql` at the repository top is this text rendered
 * for the default table name (a unit test keeps the two identical), so `psql -f schema.sql` and
 * the automatic migration create exactly the same objects.
 *
 * Every statement is idempotent (IF NOT EXISTS / ON CONFLICT) and the whole script runs in one
 * transaction under an advisory lock, so it is safe twice and from two processes at once
 * (concurrent CREATE TABLE IF NOT EXISTS can otherwise fail on the catalog's unique index).
 */
import { q, tableNames, TableNames } from '../identifier';

/** Arbitrary but fixed: the ASCII bytes of "agentops" as a bigint. Shared by every table name. */
export const MIGRATION_LOCK_KEY = '7018690069354475635';

export const VERSION_TABLE = 'agentops_schema_version';

export interface Migration {
  version: number;
  description: string;
  sql(n: TableNames): string;
}

export const MIGRATIONS: Migration[] = [
  {
    version: 1,
    description: 'span table, dead-letter table',
    sql: (n) => `-- One row per span. Times are exact nanoseconds since the Unix epoch (bigint); the
-- timestamptz columns are derived, microsecond-precision conveniences for humans and BI tools.
CREATE TABLE IF NOT EXISTS ${q(n.table)} (
    trace_id                      uuid        NOT NULL, -- OTel 32-hex trace id = AgentOps session id
    span_id                       text        NOT NULL, -- 16 hex
    parent_span_id                text,                 -- NULL for a root span
    operation_name                text        NOT NULL,
    kind                          text        NOT NULL DEFAULT 'INTERNAL', -- INTERNAL, SERVER, CLIENT, PRODUCER, CONSUMER
    service_name                  text,                 -- resource attribute service.name
    start_time                    bigint      NOT NULL, -- ns since epoch
    end_time                      bigint      NOT NULL, -- ns since epoch
    duration_ns                   bigint      GENERATED ALWAYS AS (end_time - start_time) STORED,
    start_ts                      timestamptz GENERATED ALWAYS AS (to_timestamp((start_time / 1000)::double precision / 1000000)) STORED,
    end_ts                        timestamptz GENERATED ALWAYS AS (to_timestamp((end_time / 1000)::double precision / 1000000)) STORED,
    status                        text        NOT NULL DEFAULT 'UNSET', -- UNSET, OK, ERROR
    status_message                text,
    attributes                    jsonb       NOT NULL DEFAULT '{}',
    events                        jsonb       NOT NULL DEFAULT '[]', -- [{name, time (ns text), attributes}]
    links                         jsonb       NOT NULL DEFAULT '[]', -- [{trace_id, span_id, attributes}]
    resource                      jsonb       NOT NULL DEFAULT '{}', -- resource attributes
    instrumentation_scope         text,
    instrumentation_scope_version text,
    inserted_at                   timestamptz NOT NULL DEFAULT now(),
    -- A retried or replayed batch inserts with ON CONFLICT DO NOTHING against this key: harmless.
    CONSTRAINT ${q(n.table + '_pkey')} PRIMARY KEY (trace_id, span_id)
);

-- Lookups by trace (session) use the primary key; time-range scans use this one.
CREATE INDEX IF NOT EXISTS ${q(n.startIndex)} ON ${q(n.table)} (start_ts);

-- Optional, not created by default: a GIN index makes attribute queries (attributes @> '{...}')
-- fast but cost about 25% of ingest throughput in our measurements.
--   CREATE INDEX ${n.table}_attributes_gin ON ${n.table} USING gin (attributes jsonb_path_ops);

-- Rows PostgreSQL refused for their data, with the reason, so nothing is lost silently.
-- raw_row is the row as a JSON object of column -> text, kept as text because it may be exactly
-- what JSONB refused.
CREATE TABLE IF NOT EXISTS ${q(n.deadLetter)} (
    id            bigint      GENERATED ALWAYS AS IDENTITY,
    trace_id      text,
    span_id       text,
    raw_row       text        NOT NULL,
    error_code    text,                 -- SQLSTATE
    error_message text,
    failed_at     timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT ${q(n.deadLetter + '_pkey')} PRIMARY KEY (id)
);
CREATE INDEX IF NOT EXISTS ${q(n.deadLetterIndex)} ON ${q(n.deadLetter)} (failed_at);
`,
  },
];

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

export const VIEWS_MARKER = '-- ==== VIEWS (agentops_sessions, agentops_llm_calls, agentops_errors) — added by a later release; keep this marker ====';

/** The complete script for `psql -f`: every migration, in order, in one locked transaction. */
export function renderSchemaSql(table = 'agentops_spans'): string {
  const n = tableNames(table);
  let out = `-- agentops-otel PostgreSQL schema (version ${LATEST_VERSION}).
--
-- Apply with:   psql -v ON_ERROR_STOP=1 -f schema.sql "postgres://user@host:5432/agentops"
-- The exporter applies the same statements itself at start-up when the table is missing
-- (AGENTOPS_PG_AUTO_MIGRATE=true, the default). Safe to run more than once, and concurrently.
-- GENERATED FILE: edit src/exporters/postgres/schema/ddl.ts, then regenerate
-- (node -e "process.stdout.write(require('./dist/src/exporters/postgres/schema/ddl').renderSchemaSql())" > schema.sql).

BEGIN;

-- Serialises concurrent migrations (several processes starting at once).
SELECT pg_advisory_xact_lock(${MIGRATION_LOCK_KEY});

${versionTableSql()}`;
  for (const m of MIGRATIONS) {
    out += `\n-- ---- version ${m.version}: ${m.description} ----\n\n${m.sql(n)}\n${recordVersionSql(n, m)}`;
  }
  out += `\nCOMMIT;\n\n${VIEWS_MARKER}\n`;
  return out;
}
