/**
 * Per-session summaries, kept as spans are written.
 *
 * A statement-level AFTER INSERT trigger on the span table reads the statement's transition
 * table (the rows it actually inserted: a row skipped by ON CONFLICT DO NOTHING is not in it, a
 * COPY that fails inserts none) and upserts one summary row per session, in the same
 * transaction. So a retried, replayed or concurrently written batch never counts twice, whatever
 * wrote it: the exporter's COPY, its idempotent staging path, the spool replay, psql's \copy, or
 * the migration's backfill. Concurrent writers of one session serialise on its summary row (rows
 * are upserted in trace_id order, so two batches cannot deadlock on each other's sessions).
 *
 * The numbers are exactly those the version-2 agentops_sessions view computed from the spans:
 * counts add up, times take the least/greatest, the session span's own fields win.
 */
import { q, type TableNames } from '../identifier';

/** A JSON number attribute as numeric; NULL when absent or not a number (never a cast error). */
function num(key: string): string {
  return `CASE WHEN jsonb_typeof(r.attributes->'${key}') = 'number' THEN (r.attributes->'${key}')::numeric END`;
}

export const SUMMARY_COLUMNS = [
  'trace_id',
  'has_session_span',
  'session_service',
  'min_service',
  'session_start_time',
  'session_end_time',
  'first_start_time',
  'last_start_time',
  'last_end_time',
  'end_state',
  'end_state_reason',
  'tags',
  'llm_calls',
  'tool_calls',
  'actions',
  'errors',
  'error_spans',
  'spans',
  'input_tokens',
  'output_tokens',
  'cost_usd',
  'models',
] as const;

function tsOf(expr: string): string {
  return `to_timestamp((${expr} / 1000)::double precision / 1000000)`;
}

export function summaryTableSql(n: TableNames): string {
  const s = q(n.summary);
  return `-- One row per AgentOps session (trace), upserted by the trigger below in the transaction that
-- writes its spans. agentops_sessions reads it, so listing sessions costs what it returns.
CREATE TABLE IF NOT EXISTS ${s} (
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
    start_ts           timestamptz GENERATED ALWAYS AS (${tsOf('COALESCE(session_start_time, first_start_time)')}) STORED,
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
    CONSTRAINT ${q(n.summary + '_pkey')} PRIMARY KEY (trace_id)
) WITH (fillfactor = 70); -- room for in-page (HOT) updates: most upserts change counters only
CREATE INDEX IF NOT EXISTS ${q(n.summaryStartIndex)} ON ${s} (start_time DESC, trace_id);
CREATE INDEX IF NOT EXISTS ${q(n.summaryTsIndex)} ON ${s} (start_ts);
`;
}

/**
 * One summary row per session of the spans in `source` (aliased r), in trace_id order. The
 * inner query computes each attribute once (OFFSET 0 keeps the planner from inlining it into
 * every aggregate), which is most of the trigger's cost.
 */
export function aggregateSql(source: string, extraWhere = ''): string {
  return `SELECT s.trace_id,
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
           ${num('gen_ai.usage.input_tokens')} AS input_tokens,
           ${num('gen_ai.usage.output_tokens')} AS output_tokens,
           ${num('agentops.usage.cost_usd')} AS cost_usd
    FROM ${source} r
    WHERE r.attributes ? 'agentops.session.id'${extraWhere}
    OFFSET 0
) s
GROUP BY s.trace_id
ORDER BY s.trace_id`;
}

/** Merges a batch's summaries into the stored ones (alias m); EXCLUDED is the batch's. */
function mergeSql(): string {
  const add = (c: string) => `${c} = m.${c} + EXCLUDED.${c}`;
  const addNullable = (c: string) => `${c} = COALESCE(m.${c} + EXCLUDED.${c}, m.${c}, EXCLUDED.${c})`;
  const fromSessionSpan = (c: string) => `${c} = CASE WHEN EXCLUDED.has_session_span THEN EXCLUDED.${c} ELSE m.${c} END`;
  return [
    'has_session_span = m.has_session_span OR EXCLUDED.has_session_span',
    fromSessionSpan('session_service'),
    'min_service = LEAST(m.min_service, EXCLUDED.min_service)',
    'session_start_time = LEAST(m.session_start_time, EXCLUDED.session_start_time)',
    'session_end_time = GREATEST(m.session_end_time, EXCLUDED.session_end_time)',
    'first_start_time = LEAST(m.first_start_time, EXCLUDED.first_start_time)',
    'last_start_time = GREATEST(m.last_start_time, EXCLUDED.last_start_time)',
    'last_end_time = GREATEST(m.last_end_time, EXCLUDED.last_end_time)',
    fromSessionSpan('end_state'),
    fromSessionSpan('end_state_reason'),
    fromSessionSpan('tags'),
    ...['llm_calls', 'tool_calls', 'actions', 'errors', 'error_spans', 'spans'].map(add),
    ...['input_tokens', 'output_tokens', 'cost_usd'].map(addNullable),
    `models = CASE WHEN m.models IS NULL THEN EXCLUDED.models WHEN EXCLUDED.models IS NULL THEN m.models
                  ELSE ARRAY(SELECT DISTINCT x FROM unnest(m.models || EXCLUDED.models) x ORDER BY x) END`,
  ].join(',\n    ');
}

/** INSERT … ON CONFLICT DO UPDATE of the sessions of `source`. */
export function upsertSql(n: TableNames, source: string, extraWhere = ''): string {
  return `INSERT INTO ${q(n.summary)} AS m (${SUMMARY_COLUMNS.join(', ')})
${aggregateSql(source, extraWhere)}
ON CONFLICT (trace_id) DO UPDATE SET
    ${mergeSql()}`;
}

export function summaryTriggerSql(n: TableNames): string {
  const fn = q(n.summarize);
  const rowFn = q(n.summarize + '_row');
  return `-- Keeps ${n.summary} in the inserting transaction; new_rows holds exactly the rows inserted.
CREATE OR REPLACE FUNCTION ${fn}() RETURNS trigger LANGUAGE plpgsql AS $fn$
BEGIN
${upsertSql(n, 'new_rows')};
RETURN NULL;
END
$fn$;
-- Not where the row-level twin below is installed instead (Citus: see the README): both would
-- count every span twice, and a distributed table refuses trigger DDL by default.
DO $trigger$
BEGIN
    IF NOT EXISTS (SELECT 1 FROM pg_trigger WHERE tgrelid = to_regclass('${q(n.table)}') AND tgname = '${n.summarize}_row') THEN
        DROP TRIGGER IF EXISTS ${q(n.summarize)} ON ${q(n.table)};
        CREATE TRIGGER ${q(n.summarize)} AFTER INSERT ON ${q(n.table)}
            REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION ${fn}();
    END IF;
END
$trigger$;

-- The same upsert for one row, for a row-level trigger where statement-level triggers are not
-- available (Citus distributed tables: see the README). Not installed by default.
CREATE OR REPLACE FUNCTION ${rowFn}() RETURNS trigger LANGUAGE plpgsql AS $fn$
BEGIN
${upsertSql(n, '(SELECT NEW.*)')};
RETURN NULL;
END
$fn$;
`;
}

/**
 * Rebuilds the summaries of sessions `$1` (uuid[]) from the spans still stored: after retention
 * dropped some of their spans. A session with no span left gets no row.
 */
export function recomputeSql(n: TableNames): string[] {
  return [
    `DELETE FROM ${q(n.summary)} WHERE trace_id = ANY($1::uuid[])`,
    `INSERT INTO ${q(n.summary)} (${SUMMARY_COLUMNS.join(', ')})\n${aggregateSql(q(n.table), '\n      AND r.trace_id = ANY($1::uuid[])')}`,
  ];
}
