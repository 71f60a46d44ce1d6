-- agentops-otel PostgreSQL schema (version 4).
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
SELECT pg_advisory_xact_lock(7018690069354475635);

CREATE TABLE IF NOT EXISTS agentops_schema_version (
    table_name  text        NOT NULL,
    version     integer     NOT NULL,
    description text        NOT NULL,
    applied_at  timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (table_name, version)
);

DO $guard$
BEGIN
    IF EXISTS (SELECT 1 FROM pg_class WHERE oid = to_regclass('"agentops_spans"') AND relkind = 'r') THEN
        RAISE EXCEPTION 'table agentops_spans is of schema version 1 or 2: upgrade it with "agentops-otel migrate", which keeps its rows';
    END IF;
END
$guard$;

-- One row per span. Times are exact nanoseconds since the Unix epoch (bigint); the
-- timestamptz columns are derived, microsecond-precision conveniences for humans and BI tools.
-- Range-partitioned by start_time (one partition per day, week or month, UTC: see
-- AGENTOPS_PG_PARTITION_INTERVAL); retention drops whole partitions.
CREATE TABLE IF NOT EXISTS "agentops_spans" (
    trace_id                      uuid        NOT NULL, -- OTel 32-hex trace id = AgentOps session id
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
    inserted_at                   timestamptz NOT NULL DEFAULT now(),
    -- A retried or replayed batch inserts with ON CONFLICT DO NOTHING against this key: harmless.
    -- It holds start_time because a partitioned table's unique keys must hold the partition key
    -- (a span keeps its start time however often it is sent), and trace_id first so that the
    -- table can be distributed by trace_id (Citus).
    CONSTRAINT "agentops_spans_pkey" PRIMARY KEY (trace_id, span_id, start_time)
) PARTITION BY RANGE (start_time);

-- Lookups by trace (session) use the primary key; time-range scans use this one.
CREATE INDEX IF NOT EXISTS "agentops_spans_start_ts_idx" ON "agentops_spans" (start_ts);

-- Spans of a period without a partition of its own (years old, or far in the future) land here:
-- a span is never refused for its time. Maintenance moves them into a partition once their
-- period gets one.
CREATE TABLE IF NOT EXISTS "agentops_spans_default" PARTITION OF "agentops_spans" DEFAULT;

-- Optional, not created by default: a GIN index makes attribute queries (attributes @> '{...}')
-- fast but cost about 25% of ingest throughput in our measurements.
--   CREATE INDEX agentops_spans_attributes_gin ON agentops_spans USING gin (attributes jsonb_path_ops);

-- Rows PostgreSQL refused for their data, with the reason, so nothing is lost silently.
-- raw_row is the row as a JSON object of column -> text, kept as text because it may be exactly
-- what JSONB refused. trace_id is the span's trace id as received (cleaned of NUL, at most 256
-- characters), '' when it had none: text, since a row may be here for an invalid trace id.
-- Few rows: retention deletes them by failed_at.
CREATE TABLE IF NOT EXISTS "agentops_spans_dead_letter" (
    id            bigint      GENERATED ALWAYS AS IDENTITY,
    trace_id      text        NOT NULL DEFAULT '',
    span_id       text,
    raw_row       text        NOT NULL,
    error_code    text,                 -- SQLSTATE
    error_message text,
    failed_at     timestamptz NOT NULL DEFAULT now(),
    -- trace_id first, as in every key of ours: the table can be distributed by it (Citus).
    CONSTRAINT "agentops_spans_dead_letter_pkey" PRIMARY KEY (trace_id, id)
);
CREATE INDEX IF NOT EXISTS "agentops_spans_dl_failed_at_idx" ON "agentops_spans_dead_letter" (failed_at);

-- A dead-letter table of schema version 1 to 3 (key (id), trace_id nullable) gets the key above;
-- every row is kept, a missing trace id becomes ''.
DO $dead_letter$
BEGIN
    IF NOT EXISTS (SELECT 1 FROM pg_index i JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = ANY (i.indkey)
                   WHERE i.indrelid = to_regclass('"agentops_spans_dead_letter"') AND i.indisprimary AND a.attname = 'trace_id') THEN
        UPDATE "agentops_spans_dead_letter" SET trace_id = '' WHERE trace_id IS NULL;
        ALTER TABLE "agentops_spans_dead_letter" ALTER COLUMN trace_id SET DEFAULT '', ALTER COLUMN trace_id SET NOT NULL,
            DROP CONSTRAINT IF EXISTS "agentops_spans_dead_letter_pkey", ADD CONSTRAINT "agentops_spans_dead_letter_pkey" PRIMARY KEY (trace_id, id);
    END IF;
END
$dead_letter$;

-- One row per AgentOps session (trace), upserted by the trigger below in the transaction that
-- writes its spans. agentops_sessions reads it, so listing sessions costs what it returns.
CREATE TABLE IF NOT EXISTS "agentops_spans_summary" (
    trace_id           uuid        NOT NULL, -- = session id
    has_session_span   boolean     NOT NULL, -- false while the session is open
    session_service    text,                 -- service.name of the session span
    min_service        text,                 -- least service.name of its spans (while open)
    session_start_time bigint,               -- ns, of the session span
    session_end_time   bigint,
    first_start_time   bigint      NOT NULL, -- ns, least start of its spans
    last_start_time    bigint      NOT NULL, -- ns, greatest start (retention and trace look-ups)
    last_end_time      bigint      NOT NULL,
    start_time         bigint      GENERATED ALWAYS AS (COALESCE(session_start_time, first_start_time)) STORED,
    end_time           bigint      GENERATED ALWAYS AS (COALESCE(session_end_time, last_end_time)) STORED,
    start_ts           timestamptz GENERATED ALWAYS AS (to_timestamp((COALESCE(session_start_time, first_start_time) / 1000)::double precision / 1000000)) STORED,
    end_state          text,
    end_state_reason   text,
    tags               jsonb,
    llm_calls          bigint      NOT NULL,
    tool_calls         bigint      NOT NULL,
    actions            bigint      NOT NULL,
    errors             bigint      NOT NULL,
    error_spans        bigint      NOT NULL,
    spans              bigint      NOT NULL,
    input_tokens       numeric,
    output_tokens      numeric,
    cost_usd           numeric,
    models             text[],
    CONSTRAINT "agentops_spans_summary_pkey" PRIMARY KEY (trace_id)
) WITH (fillfactor = 70); -- room for in-page (HOT) updates: most upserts change counters only
CREATE INDEX IF NOT EXISTS "agentops_spans_sum_start_idx" ON "agentops_spans_summary" (start_time DESC, trace_id);
CREATE INDEX IF NOT EXISTS "agentops_spans_sum_ts_idx" ON "agentops_spans_summary" (start_ts);

-- Keeps agentops_spans_summary in the inserting transaction; new_rows holds exactly the rows inserted.
CREATE OR REPLACE FUNCTION "agentops_spans_summarize"() RETURNS trigger LANGUAGE plpgsql AS $fn$
BEGIN
INSERT INTO "agentops_spans_summary" AS m (trace_id, has_session_span, session_service, min_service, session_start_time, session_end_time, first_start_time, last_start_time, last_end_time, end_state, end_state_reason, tags, llm_calls, tool_calls, actions, errors, error_spans, spans, input_tokens, output_tokens, cost_usd, models)
SELECT s.trace_id,
       bool_or(s.k),
       (array_agg(s.service_name) FILTER (WHERE s.k))[1],
       min(s.service_name),
       min(s.start_time) FILTER (WHERE s.k),
       max(s.end_time) FILTER (WHERE s.k),
       min(s.start_time),
       max(s.start_time),
       max(s.end_time),
       (array_agg(s.end_state) FILTER (WHERE s.k))[1],
       (array_agg(s.reason) FILTER (WHERE s.k))[1],
       (array_agg(s.tags) FILTER (WHERE s.k))[1],
       count(*) FILTER (WHERE s.et = 'llms'),
       count(*) FILTER (WHERE s.et = 'tools'),
       count(*) FILTER (WHERE s.et = 'actions'),
       count(*) FILTER (WHERE s.et = 'errors'),
       count(*) FILTER (WHERE s.status = 'ERROR'),
       count(*),
       sum(s.input_tokens) FILTER (WHERE s.et = 'llms'),
       sum(s.output_tokens) FILTER (WHERE s.et = 'llms'),
       sum(s.cost_usd) FILTER (WHERE s.et = 'llms'),
       array_agg(DISTINCT s.model) FILTER (WHERE s.et = 'llms' AND s.model IS NOT NULL)
FROM (
    SELECT r.trace_id, r.service_name, r.start_time, r.end_time, r.status,
           r.attributes->>'agentops.event.type' AS et,
           COALESCE(r.attributes->>'agentops.span.kind' = 'session', false) AS k,
           COALESCE(r.attributes->>'gen_ai.response.model', r.attributes->>'gen_ai.request.model') AS model,
           r.attributes->>'agentops.session.end_state' AS end_state,
           r.attributes->>'agentops.session.end_state_reason' AS reason,
           r.attributes->'agentops.session.tags' AS tags,
           CASE WHEN jsonb_typeof(r.attributes->'gen_ai.usage.input_tokens') = 'number' THEN (r.attributes->'gen_ai.usage.input_tokens')::numeric END AS input_tokens,
           CASE WHEN jsonb_typeof(r.attributes->'gen_ai.usage.output_tokens') = 'number' THEN (r.attributes->'gen_ai.usage.output_tokens')::numeric END AS output_tokens,
           CASE WHEN jsonb_typeof(r.attributes->'agentops.usage.cost_usd') = 'number' THEN (r.attributes->'agentops.usage.cost_usd')::numeric END AS cost_usd
    FROM new_rows r
    WHERE r.attributes ? 'agentops.session.id'
    OFFSET 0
) s
GROUP BY s.trace_id
ORDER BY s.trace_id
ON CONFLICT (trace_id) DO UPDATE SET
    has_session_span = m.has_session_span OR EXCLUDED.has_session_span,
    session_service = CASE WHEN EXCLUDED.has_session_span THEN EXCLUDED.session_service ELSE m.session_service END,
    min_service = LEAST(m.min_service, EXCLUDED.min_service),
    session_start_time = LEAST(m.session_start_time, EXCLUDED.session_start_time),
    session_end_time = GREATEST(m.session_end_time, EXCLUDED.session_end_time),
    first_start_time = LEAST(m.first_start_time, EXCLUDED.first_start_time),
    last_start_time = GREATEST(m.last_start_time, EXCLUDED.last_start_time),
    last_end_time = GREATEST(m.last_end_time, EXCLUDED.last_end_time),
    end_state = CASE WHEN EXCLUDED.has_session_span THEN EXCLUDED.end_state ELSE m.end_state END,
    end_state_reason = CASE WHEN EXCLUDED.has_session_span THEN EXCLUDED.end_state_reason ELSE m.end_state_reason END,
    tags = CASE WHEN EXCLUDED.has_session_span THEN EXCLUDED.tags ELSE m.tags END,
    llm_calls = m.llm_calls + EXCLUDED.llm_calls,
    tool_calls = m.tool_calls + EXCLUDED.tool_calls,
    actions = m.actions + EXCLUDED.actions,
    errors = m.errors + EXCLUDED.errors,
    error_spans = m.error_spans + EXCLUDED.error_spans,
    spans = m.spans + EXCLUDED.spans,
    input_tokens = COALESCE(m.input_tokens + EXCLUDED.input_tokens, m.input_tokens, EXCLUDED.input_tokens),
    output_tokens = COALESCE(m.output_tokens + EXCLUDED.output_tokens, m.output_tokens, EXCLUDED.output_tokens),
    cost_usd = COALESCE(m.cost_usd + EXCLUDED.cost_usd, m.cost_usd, EXCLUDED.cost_usd),
    models = CASE WHEN m.models IS NULL THEN EXCLUDED.models WHEN EXCLUDED.models IS NULL THEN m.models
                  ELSE ARRAY(SELECT DISTINCT x FROM unnest(m.models || EXCLUDED.models) x ORDER BY x) END;
RETURN NULL;
END
$fn$;
-- Not where the row-level twin below is installed instead (Citus: see the README): both would
-- count every span twice, and a distributed table refuses trigger DDL by default.
DO $trigger$
BEGIN
    IF NOT EXISTS (SELECT 1 FROM pg_trigger WHERE tgrelid = to_regclass('"agentops_spans"') AND tgname = 'agentops_spans_summarize_row') THEN
        DROP TRIGGER IF EXISTS "agentops_spans_summarize" ON "agentops_spans";
        CREATE TRIGGER "agentops_spans_summarize" AFTER INSERT ON "agentops_spans"
            REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION "agentops_spans_summarize"();
    END IF;
END
$trigger$;

-- The same upsert for one row, for a row-level trigger where statement-level triggers are not
-- available (Citus distributed tables: see the README). Not installed by default.
CREATE OR REPLACE FUNCTION "agentops_spans_summarize_row"() RETURNS trigger LANGUAGE plpgsql AS $fn$
BEGIN
INSERT INTO "agentops_spans_summary" AS m (trace_id, has_session_span, session_service, min_service, session_start_time, session_end_time, first_start_time, last_start_time, last_end_time, end_state, end_state_reason, tags, llm_calls, tool_calls, actions, errors, error_spans, spans, input_tokens, output_tokens, cost_usd, models)
SELECT s.trace_id,
       bool_or(s.k),
       (array_agg(s.service_name) FILTER (WHERE s.k))[1],
       min(s.service_name),
       min(s.start_time) FILTER (WHERE s.k),
       max(s.end_time) FILTER (WHERE s.k),
       min(s.start_time),
       max(s.start_time),
       max(s.end_time),
       (array_agg(s.end_state) FILTER (WHERE s.k))[1],
       (array_agg(s.reason) FILTER (WHERE s.k))[1],
       (array_agg(s.tags) FILTER (WHERE s.k))[1],
       count(*) FILTER (WHERE s.et = 'llms'),
       count(*) FILTER (WHERE s.et = 'tools'),
       count(*) FILTER (WHERE s.et = 'actions'),
       count(*) FILTER (WHERE s.et = 'errors'),
       count(*) FILTER (WHERE s.status = 'ERROR'),
       count(*),
       sum(s.input_tokens) FILTER (WHERE s.et = 'llms'),
       sum(s.output_tokens) FILTER (WHERE s.et = 'llms'),
       sum(s.cost_usd) FILTER (WHERE s.et = 'llms'),
       array_agg(DISTINCT s.model) FILTER (WHERE s.et = 'llms' AND s.model IS NOT NULL)
FROM (
    SELECT r.trace_id, r.service_name, r.start_time, r.end_time, r.status,
           r.attributes->>'agentops.event.type' AS et,
           COALESCE(r.attributes->>'agentops.span.kind' = 'session', false) AS k,
           COALESCE(r.attributes->>'gen_ai.response.model', r.attributes->>'gen_ai.request.model') AS model,
           r.attributes->>'agentops.session.end_state' AS end_state,
           r.attributes->>'agentops.session.end_state_reason' AS reason,
           r.attributes->'agentops.session.tags' AS tags,
           CASE WHEN jsonb_typeof(r.attributes->'gen_ai.usage.input_tokens') = 'number' THEN (r.attributes->'gen_ai.usage.input_tokens')::numeric END AS input_tokens,
           CASE WHEN jsonb_typeof(r.attributes->'gen_ai.usage.output_tokens') = 'number' THEN (r.attributes->'gen_ai.usage.output_tokens')::numeric END AS output_tokens,
           CASE WHEN jsonb_typeof(r.attributes->'agentops.usage.cost_usd') = 'number' THEN (r.attributes->'agentops.usage.cost_usd')::numeric END AS cost_usd
    FROM (SELECT NEW.*) r
    WHERE r.attributes ? 'agentops.session.id'
    OFFSET 0
) s
GROUP BY s.trace_id
ORDER BY s.trace_id
ON CONFLICT (trace_id) DO UPDATE SET
    has_session_span = m.has_session_span OR EXCLUDED.has_session_span,
    session_service = CASE WHEN EXCLUDED.has_session_span THEN EXCLUDED.session_service ELSE m.session_service END,
    min_service = LEAST(m.min_service, EXCLUDED.min_service),
    session_start_time = LEAST(m.session_start_time, EXCLUDED.session_start_time),
    session_end_time = GREATEST(m.session_end_time, EXCLUDED.session_end_time),
    first_start_time = LEAST(m.first_start_time, EXCLUDED.first_start_time),
    last_start_time = GREATEST(m.last_start_time, EXCLUDED.last_start_time),
    last_end_time = GREATEST(m.last_end_time, EXCLUDED.last_end_time),
    end_state = CASE WHEN EXCLUDED.has_session_span THEN EXCLUDED.end_state ELSE m.end_state END,
    end_state_reason = CASE WHEN EXCLUDED.has_session_span THEN EXCLUDED.end_state_reason ELSE m.end_state_reason END,
    tags = CASE WHEN EXCLUDED.has_session_span THEN EXCLUDED.tags ELSE m.tags END,
    llm_calls = m.llm_calls + EXCLUDED.llm_calls,
    tool_calls = m.tool_calls + EXCLUDED.tool_calls,
    actions = m.actions + EXCLUDED.actions,
    errors = m.errors + EXCLUDED.errors,
    error_spans = m.error_spans + EXCLUDED.error_spans,
    spans = m.spans + EXCLUDED.spans,
    input_tokens = COALESCE(m.input_tokens + EXCLUDED.input_tokens, m.input_tokens, EXCLUDED.input_tokens),
    output_tokens = COALESCE(m.output_tokens + EXCLUDED.output_tokens, m.output_tokens, EXCLUDED.output_tokens),
    cost_usd = COALESCE(m.cost_usd + EXCLUDED.cost_usd, m.cost_usd, EXCLUDED.cost_usd),
    models = CASE WHEN m.models IS NULL THEN EXCLUDED.models WHEN EXCLUDED.models IS NULL THEN m.models
                  ELSE ARRAY(SELECT DISTINCT x FROM unnest(m.models || EXCLUDED.models) x ORDER BY x) END;
RETURN NULL;
END
$fn$;

-- ==== VIEWS (agentops_sessions, agentops_llm_calls, agentops_errors) — added by a later release; keep this marker ====

-- One row per AgentOps session (trace). A session still open has no session span yet: it
-- shows with is_open = true, end_state NULL, and times/counts from the spans written so far.
-- Counts come from the event spans (agentops.event.type), tokens and cost from the LLM spans.
CREATE OR REPLACE VIEW "agentops_sessions" AS
SELECT
    m.trace_id                                     AS session_id,
    COALESCE(m.session_service, m.min_service)     AS service_name,
    m.start_time,
    m.end_time,
    m.end_time - m.start_time                      AS duration_ns,
    m.start_ts,
    to_timestamp((m.end_time / 1000)::double precision / 1000000) AS end_ts,
    NOT m.has_session_span                         AS is_open,
    m.end_state,                                   -- Success, Fail, Indeterminate; NULL while open
    m.end_state_reason,
    m.tags,                                        -- jsonb array; NULL while open
    m.llm_calls,
    m.tool_calls,
    m.actions,
    m.errors,                                      -- ErrorEvents
    m.error_spans,                                 -- spans with status ERROR
    m.spans,
    m.input_tokens,
    m.output_tokens,
    COALESCE(m.input_tokens, 0) + COALESCE(m.output_tokens, 0) AS total_tokens,
    m.cost_usd,
    m.models
FROM "agentops_spans_summary" m;

-- One row per LLM call (event spans of type llms, inside a session or not).
CREATE OR REPLACE VIEW "agentops_llm_calls" AS
SELECT
    s.trace_id,
    CASE WHEN s.attributes ? 'agentops.session.id' THEN s.trace_id END AS session_id,
    s.span_id,
    s.parent_span_id,
    s.service_name,
    s.operation_name,
    s.attributes->>'agentops.agent.id'           AS agent_id,
    s.attributes->>'gen_ai.provider.name'        AS provider,
    s.attributes->>'gen_ai.request.model'        AS request_model,
    s.attributes->>'gen_ai.response.model'       AS response_model,
    COALESCE(s.attributes->>'gen_ai.response.model', s.attributes->>'gen_ai.request.model') AS model,
    CASE WHEN jsonb_typeof(s.attributes->'gen_ai.usage.input_tokens') = 'number' THEN (s.attributes->>'gen_ai.usage.input_tokens')::numeric END AS input_tokens,
    CASE WHEN jsonb_typeof(s.attributes->'gen_ai.usage.output_tokens') = 'number' THEN (s.attributes->>'gen_ai.usage.output_tokens')::numeric END AS output_tokens,
    CASE WHEN jsonb_typeof(s.attributes->'agentops.usage.cost_usd') = 'number' THEN (s.attributes->>'agentops.usage.cost_usd')::numeric END AS cost_usd,
    s.start_time,
    s.end_time,
    s.duration_ns,
    round(s.duration_ns / 1000000.0, 3)          AS latency_ms,
    s.start_ts,
    s.end_ts,
    s.status,
    s.status_message,
    s.attributes->>'error.type'                  AS error_type
FROM "agentops_spans" s
WHERE s.attributes->>'agentops.event.type' = 'llms';

-- One row per error: every ErrorEvent span and every span with status ERROR (a failed action or
-- tool, an LLM call that threw, a session that ended Fail).
CREATE OR REPLACE VIEW "agentops_errors" AS
SELECT
    s.trace_id,
    CASE WHEN s.attributes ? 'agentops.session.id' THEN s.trace_id END AS session_id,
    s.span_id,
    s.parent_span_id,
    s.service_name,
    s.operation_name,
    CASE WHEN s.attributes->>'agentops.event.type' = 'errors' THEN 'error_event' ELSE 'failed_span' END AS source,
    COALESCE(s.attributes->>'agentops.event.type', s.attributes->>'agentops.span.kind') AS span_kind,
    s.status,
    s.attributes->>'error.type'                  AS error_type,
    COALESCE(s.status_message,
             CASE WHEN jsonb_typeof(s.events) = 'array' THEN
                 (SELECT e->'attributes'->>'exception.message' FROM jsonb_array_elements(s.events) e
                  WHERE jsonb_typeof(e) = 'object' AND e->>'name' = 'exception' LIMIT 1)
             END)                                AS message,
    s.attributes->>'agentops.error.code'         AS error_code,
    s.attributes->>'agentops.error.trigger_event.id' AS trigger_event_id,
    s.attributes->>'agentops.agent.id'           AS agent_id,
    s.start_time,
    s.start_ts
FROM "agentops_spans" s
WHERE s.status = 'ERROR' OR s.attributes->>'agentops.event.type' = 'errors';

INSERT INTO agentops_schema_version (table_name, version, description) VALUES ('agentops_spans', 1, 'span table, dead-letter table') ON CONFLICT DO NOTHING;
INSERT INTO agentops_schema_version (table_name, version, description) VALUES ('agentops_spans', 2, 'views: sessions, LLM calls, errors') ON CONFLICT DO NOTHING;
INSERT INTO agentops_schema_version (table_name, version, description) VALUES ('agentops_spans', 3, 'span table partitioned by start time, session summaries') ON CONFLICT DO NOTHING;
INSERT INTO agentops_schema_version (table_name, version, description) VALUES ('agentops_spans', 4, 'dead-letter table keyed by (trace_id, id)') ON CONFLICT DO NOTHING;

COMMIT;
