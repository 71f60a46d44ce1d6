/**
 * The span table (range-partitioned by span start time) and the dead-letter table. Every
 * statement is idempotent; the time partitions themselves are created by maintenance
 * (maintenance/partitions.ts), which needs the configured interval and the clock.
 */
import { q, type TableNames } from '../identifier';

/** The span table's columns, shared by the table and its partitions (LIKE copies them). */
function spanColumns(): string {
  return `    trace_id                      uuid        NOT NULL, -- OTel 32-hex trace id = AgentOps session id
    span_id                       text        NOT NULL, -- 16 hex
    parent_span_id                text,                 -- NULL for a root span
    operation_name                text        NOT NULL,
    kind                          text        NOT NULL DEFAULT 'INTERNAL', -- INTERNAL, SERVER, CLIENT, PRODUCER, CONSUMER
    service_name                  text,                 -- resource attribute service.name
    start_time                    bigint      NOT NULL, -- ns since epoch; the partition key
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
    inserted_at                   timestamptz NOT NULL DEFAULT now()`;
}

/** Columns a row copy must name: every column that is not generated. */
export const STORED_COLUMNS = [
  'trace_id',
  'span_id',
  'parent_span_id',
  'operation_name',
  'kind',
  'service_name',
  'start_time',
  'end_time',
  'status',
  'status_message',
  'attributes',
  'events',
  'links',
  'resource',
  'instrumentation_scope',
  'instrumentation_scope_version',
  'inserted_at',
] as const;

export function spanTableSql(n: TableNames): string {
  const t = q(n.table);
  return `-- One row per span. Times are exact nanoseconds since the Unix epoch (bigint); the
-- timestamptz columns are derived, microsecond-precision conveniences for humans and BI tools.
-- Range-partitioned by start_time (one partition per day, week or month, UTC: see
-- AGENTOPS_PG_PARTITION_INTERVAL); retention drops whole partitions.
CREATE TABLE IF NOT EXISTS ${t} (
${spanColumns()},
    -- A retried or replayed batch inserts with ON CONFLICT DO NOTHING against this key: harmless.
    -- It holds start_time because a partitioned table's unique keys must hold the partition key
    -- (a span keeps its start time however often it is sent), and trace_id first so that the
    -- table can be distributed by trace_id (Citus).
    CONSTRAINT ${q(n.table + '_pkey')} PRIMARY KEY (trace_id, span_id, start_time)
) PARTITION BY RANGE (start_time);

-- Lookups by trace (session) use the primary key; time-range scans use this one.
CREATE INDEX IF NOT EXISTS ${q(n.startIndex)} ON ${t} (start_ts);

-- Spans of a period without a partition of its own (years old, or far in the future) land here:
-- a span is never refused for its time. Maintenance moves them into a partition once their
-- period gets one.
CREATE TABLE IF NOT EXISTS ${q(n.defaultPartition)} PARTITION OF ${t} DEFAULT;

-- Optional, not created by default: a GIN index makes attribute queries (attributes @> '{...}')
-- fast but cost about 25% of ingest throughput in our measurements.
--   CREATE INDEX ${n.table}_attributes_gin ON ${n.table} USING gin (attributes jsonb_path_ops);
`;
}

export function deadLetterSql(n: TableNames): string {
  return `-- Rows PostgreSQL refused for their data, with the reason, so nothing is lost silently.
-- raw_row is the row as a JSON object of column -> text, kept as text because it may be exactly
-- what JSONB refused. Few rows: retention deletes them by failed_at.
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
`;
}
