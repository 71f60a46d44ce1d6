-- agentops-otel PostgreSQL schema (version 1).
--
-- Apply with:   psql -v ON_ERROR_STOP=1 -f schema.sql "postgres://user@host:5432/agentops"
-- The exporter applies the same statements itself at start-up when the table is missing
-- (AGENTOPS_PG_AUTO_MIGRATE=true, the default). Safe to run more than once, and concurrently.
-- GENERATED FILE: edit src/exporters/postgres/schema/ddl.ts, then regenerate
-- (node -e "process.stdout.write(require('./dist/src/exporters/postgres/schema/ddl').renderSchemaSql())" > schema.sql).

BEGIN;

-- Serialises concurrent migrations (several processes starting at once).
SELECT pg_advisory_xact_lock(7018690069354475635);

CREATE TABLE IF NOT EXISTS agentops_schema_version (
    table_name  text        NOT NULL,
    version     integer     NOT NULL,
    description text        NOT NULL,
    applied_at  timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (table_name, version)
);

-- ---- version 1: span table, dead-letter table ----

-- One row per span. Times are exact nanoseconds since the Unix epoch (bigint); the
-- timestamptz columns are derived, microsecond-precision conveniences for humans and BI tools.
CREATE TABLE IF NOT EXISTS "agentops_spans" (
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
    CONSTRAINT "agentops_spans_pkey" PRIMARY KEY (trace_id, span_id)
);

-- Lookups by trace (session) use the primary key; time-range scans use this one.
CREATE INDEX IF NOT EXISTS "agentops_spans_start_ts_idx" ON "agentops_spans" (start_ts);

-- Optional, not created by default: a GIN index makes attribute queries (attributes @> '{...}')
-- fast but cost about 25% of ingest throughput in our measurements.
--   CREATE INDEX agentops_spans_attributes_gin ON agentops_spans USING gin (attributes jsonb_path_ops);

-- Rows PostgreSQL refused for their data, with the reason, so nothing is lost silently.
-- raw_row is the row as a JSON object of column -> text, kept as text because it may be exactly
-- what JSONB refused.
CREATE TABLE IF NOT EXISTS "agentops_spans_dead_letter" (
    id            bigint      GENERATED ALWAYS AS IDENTITY,
    trace_id      text,
    span_id       text,
    raw_row       text        NOT NULL,
    error_code    text,                 -- SQLSTATE
    error_message text,
    failed_at     timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT "agentops_spans_dead_letter_pkey" PRIMARY KEY (id)
);
CREATE INDEX IF NOT EXISTS "agentops_spans_dl_failed_at_idx" ON "agentops_spans_dead_letter" (failed_at);

INSERT INTO agentops_schema_version (table_name, version, description) VALUES ('agentops_spans', 1, 'span table, dead-letter table') ON CONFLICT DO NOTHING;

COMMIT;

-- ==== VIEWS (agentops_sessions, agentops_llm_calls, agentops_errors) — added by a later release; keep this marker ====
