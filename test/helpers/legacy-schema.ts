/**
 * The version 1 and 2 schema of earlier releases (a plain span table, views that aggregate the
 * spans), and the dead-letter table of versions 1 to 3, as they created them: for tests and
 * benchmarks of the upgrade, and of the "before".
 */
import { q, type TableNames } from '../../src/exporters/postgres/identifier';
import { MIGRATIONS, VERSION_TABLE, recordVersionSql, versionTableSql } from '../../src/exporters/postgres/schema/ddl';

/** Version 1: the plain span table and the dead-letter table. */
export function legacyV1Sql(n: TableNames): string {
  return `-- One row per span. Times are exact nanoseconds since the Unix epoch (bigint); the
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

${legacyDeadLetterSql(n)}`;
}

/** The dead-letter table of versions 1 to 3: keyed by id alone, trace_id nullable. */
export function legacyDeadLetterSql(n: TableNames): string {
  return `-- Rows PostgreSQL refused for their data, with the reason, so nothing is lost silently.
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
`;
}

/**
 * A database as version 3 left it. Version 4 changed the dead-letter table's key only, so this
 * is the current schema with the dead-letter table of versions 1-3 and version 4 not recorded.
 */
export function downgradeToV3Sql(n: TableNames): string {
  return `DROP TABLE ${q(n.deadLetter)};
${legacyDeadLetterSql(n)}
DELETE FROM ${VERSION_TABLE} WHERE table_name = '${n.table}' AND version > 3;
`;
}

/** A JSON number attribute as numeric; NULL when absent or not a number (never a cast error). */
function num(expr: string, key: string): string {
  return `CASE WHEN jsonb_typeof(${expr}->'${key}') = 'number' THEN (${expr}->>'${key}')::numeric END`;
}

function nsToTs(expr: string): string {
  return `to_timestamp((${expr} / 1000)::double precision / 1000000)`;
}

/**
 * Reporting views over the span table. They read only columns and attributes the exporter
 * writes, compute every number from the spans themselves (so a session that is still open, whose
 * session span is not written yet, has numbers too) and never fail on odd attribute values.
 * CREATE OR REPLACE keeps them idempotent; a later version that changes their columns must DROP
 * them first.
 */
/** Version 2: the views, computed from the spans. */
export function legacyV2ViewsSql(n: TableNames): string {
  const t = q(n.table);
  return `-- One row per AgentOps session (trace). A session still open has no session span yet: it
-- shows with is_open = true, end_state NULL, and times/counts from the spans written so far.
-- Counts come from the event spans (agentops.event.type), tokens and cost from the LLM spans.
CREATE OR REPLACE VIEW ${q(n.sessionsView)} AS
SELECT
    a.session_id,
    a.service_name,
    a.start_time,
    a.end_time,
    a.end_time - a.start_time                      AS duration_ns,
    ${nsToTs('a.start_time')} AS start_ts,
    ${nsToTs('a.end_time')} AS end_ts,
    NOT a.has_session_span                         AS is_open,
    a.end_state,                                   -- Success, Fail, Indeterminate; NULL while open
    a.end_state_reason,
    a.tags,                                        -- jsonb array; NULL while open
    a.llm_calls,
    a.tool_calls,
    a.actions,
    a.errors,                                      -- ErrorEvents
    a.error_spans,                                 -- spans with status ERROR
    a.spans,
    a.input_tokens,
    a.output_tokens,
    COALESCE(a.input_tokens, 0) + COALESCE(a.output_tokens, 0) AS total_tokens,
    a.cost_usd,
    a.models
FROM (
    SELECT
        s.trace_id                                                                       AS session_id,
        bool_or(s.kind_session)                                                          AS has_session_span,
        COALESCE((array_agg(s.service_name) FILTER (WHERE s.kind_session))[1], min(s.service_name)) AS service_name,
        COALESCE(min(s.start_time) FILTER (WHERE s.kind_session), min(s.start_time))     AS start_time,
        COALESCE(max(s.end_time) FILTER (WHERE s.kind_session), max(s.end_time))         AS end_time,
        (array_agg(s.attributes->>'agentops.session.end_state') FILTER (WHERE s.kind_session))[1]        AS end_state,
        (array_agg(s.attributes->>'agentops.session.end_state_reason') FILTER (WHERE s.kind_session))[1] AS end_state_reason,
        (array_agg(s.attributes->'agentops.session.tags') FILTER (WHERE s.kind_session))[1]              AS tags,
        count(*) FILTER (WHERE s.event_type = 'llms')                                    AS llm_calls,
        count(*) FILTER (WHERE s.event_type = 'tools')                                   AS tool_calls,
        count(*) FILTER (WHERE s.event_type = 'actions')                                 AS actions,
        count(*) FILTER (WHERE s.event_type = 'errors')                                  AS errors,
        count(*) FILTER (WHERE s.status = 'ERROR')                                       AS error_spans,
        count(*)                                                                         AS spans,
        sum(${num('s.attributes', 'gen_ai.usage.input_tokens')}) FILTER (WHERE s.event_type = 'llms')  AS input_tokens,
        sum(${num('s.attributes', 'gen_ai.usage.output_tokens')}) FILTER (WHERE s.event_type = 'llms') AS output_tokens,
        sum(${num('s.attributes', 'agentops.usage.cost_usd')}) FILTER (WHERE s.event_type = 'llms')   AS cost_usd,
        array_agg(DISTINCT COALESCE(s.attributes->>'gen_ai.response.model', s.attributes->>'gen_ai.request.model'))
            FILTER (WHERE s.event_type = 'llms' AND COALESCE(s.attributes->>'gen_ai.response.model', s.attributes->>'gen_ai.request.model') IS NOT NULL) AS models
    FROM (
        SELECT trace_id, service_name, start_time, end_time, status, attributes,
               attributes->>'agentops.event.type' AS event_type,
               COALESCE(attributes->>'agentops.span.kind' = 'session', false) AS kind_session
        FROM ${t}
        WHERE attributes ? 'agentops.session.id'
    ) s
    GROUP BY s.trace_id
) a;

-- One row per LLM call (event spans of type llms, inside a session or not).
CREATE OR REPLACE VIEW ${q(n.llmCallsView)} AS
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
    ${num('s.attributes', 'gen_ai.usage.input_tokens')} AS input_tokens,
    ${num('s.attributes', 'gen_ai.usage.output_tokens')} AS output_tokens,
    ${num('s.attributes', 'agentops.usage.cost_usd')} AS cost_usd,
    s.start_time,
    s.end_time,
    s.duration_ns,
    round(s.duration_ns / 1000000.0, 3)          AS latency_ms,
    s.start_ts,
    s.end_ts,
    s.status,
    s.status_message,
    s.attributes->>'error.type'                  AS error_type
FROM ${t} s
WHERE s.attributes->>'agentops.event.type' = 'llms';

-- One row per error: every ErrorEvent span and every span with status ERROR (a failed action or
-- tool, an LLM call that threw, a session that ended Fail).
CREATE OR REPLACE VIEW ${q(n.errorsView)} AS
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
FROM ${t} s
WHERE s.status = 'ERROR' OR s.attributes->>'agentops.event.type' = 'errors';
`;
}

/** A database as version 1 (views false) or 2 left it, versions recorded. */
export function legacySchemaSql(n: TableNames, version: 1 | 2 = 2): string {
  let out = versionTableSql() + legacyV1Sql(n) + recordVersionSql(n, MIGRATIONS[0]);
  if (version === 2) out += legacyV2ViewsSql(n) + recordVersionSql(n, MIGRATIONS[1]);
  return out;
}
