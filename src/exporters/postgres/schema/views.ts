/**
 * Reporting views. agentops_sessions reads the summary table (schema/summary.ts); the LLM-call
 * and error views read the span table, so a filter on start_ts skips whole partitions (each time
 * partition has a CHECK constraint on start_ts for that: see maintenance/partitions.ts). They
 * never fail on odd attribute values. CREATE OR REPLACE keeps them idempotent: their columns are
 * exactly those of version 2, and a later version that changes them must DROP them first.
 */
import { q, type TableNames } from '../identifier';

/** A JSON number attribute as numeric; NULL when absent or not a number (never a cast error). */
function num(expr: string, key: string): string {
  return `CASE WHEN jsonb_typeof(${expr}->'${key}') = 'number' THEN (${expr}->>'${key}')::numeric END`;
}

export function viewsSql(n: TableNames): string {
  const t = q(n.table);
  return `-- One row per AgentOps session (trace). A session still open has no session span yet: it
-- shows with is_open = true, end_state NULL, and times/counts from the spans written so far.
-- Counts come from the event spans (agentops.event.type), tokens and cost from the LLM spans.
CREATE OR REPLACE VIEW ${q(n.sessionsView)} AS
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
FROM ${q(n.summary)} m;

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
