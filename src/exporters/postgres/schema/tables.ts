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

/** Columns the exporter writes, in COPY order; generated and defaulted columns are left to the server. */
export const WRITTEN_COLUMNS = [
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
] as const;

/** Columns a row copy must name: every column that is not generated. */
export const STORED_COLUMNS = [...WRITTEN_COLUMNS, 'inserted_at'] as const;

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

/**
 * Rows PostgreSQL refused for their data. Keyed (trace_id, id) like every other table of ours, so
 * it can be distributed by trace_id (Citus) and every row is kept whatever its trace id: the
 * column is text, not uuid, because a row may be here exactly for an invalid trace id.
 */
export function deadLetterSql(n: TableNames): string {
  const dl = q(n.deadLetter);
  return `-- Rows PostgreSQL refused for their data, with the reason, so nothing is lost silently.
-- raw_row is the row as a JSON object of column -> text, kept as text because it may be exactly
-- what JSONB refused. trace_id is the span's trace id as received (cleaned of NUL, at most 256
-- characters), '' when it had none: text, since a row may be here for an invalid trace id.
-- Few rows: retention deletes them by failed_at.
CREATE TABLE IF NOT EXISTS ${dl} (
    id            bigint      GENERATED ALWAYS AS IDENTITY,
    trace_id      text        NOT NULL DEFAULT '',
    span_id       text,
    raw_row       text        NOT NULL,
    error_code    text,                 -- SQLSTATE
    error_message text,
    failed_at     timestamptz NOT NULL DEFAULT now(),
    -- trace_id first, as in every key of ours: the table can be distributed by it (Citus).
    CONSTRAINT ${q(n.deadLetter + '_pkey')} PRIMARY KEY (trace_id, id)
);
CREATE INDEX IF NOT EXISTS ${q(n.deadLetterIndex)} ON ${dl} (failed_at);

-- A dead-letter table of schema version 1 to 3 (key (id), trace_id nullable) gets the key above;
-- every row is kept, a missing trace id becomes ''.
DO $dead_letter$
BEGIN
    IF NOT EXISTS (SELECT 1 FROM pg_index i JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = ANY (i.indkey)
                   WHERE i.indrelid = to_regclass('${dl}') AND i.indisprimary AND a.attname = 'trace_id') THEN
        UPDATE ${dl} SET trace_id = '' WHERE trace_id IS NULL;
        ALTER TABLE ${dl} ALTER COLUMN trace_id SET DEFAULT '', ALTER COLUMN trace_id SET NOT NULL,
            DROP CONSTRAINT IF EXISTS ${q(n.deadLetter + '_pkey')}, ADD CONSTRAINT ${q(n.deadLetter + '_pkey')} PRIMARY KEY (trace_id, id);
    END IF;
END
$dead_letter$;
`;
}
