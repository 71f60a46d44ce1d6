/**
 * The SQL behind `sessions`, `trace` and `export`. Sessions come from the per-table view (the
 * same numbers an analyst gets in SQL); a trace and an export read the span table directly.
 */
import { tableNames } from '../exporters/postgres/identifier';
import type { Db } from './context';
import { uuidHex } from '../client/ids';
import { isoNanos, toBigInt, toNumber } from './format';
import type { TraceSpan } from './tree';

export interface SessionFilters {
  sinceMs?: number;
  untilMs?: number;
  service?: string;
  /** An end state (case-insensitive), or `open`. */
  state?: string;
  /** Every tag must be present. */
  tags?: string[];
  sessionId?: string;
  limit: number;
}

export interface SessionRow {
  sessionId: string;
  traceId: string;
  serviceName: string | null;
  startNs: bigint;
  endNs: bigint;
  durationNs: bigint;
  open: boolean;
  endState: string | null;
  endStateReason: string | null;
  tags: string[];
  llmCalls: number;
  toolCalls: number;
  actions: number;
  errors: number;
  errorSpans: number;
  spans: number;
  inputTokens: number | null;
  outputTokens: number | null;
  totalTokens: number;
  costUsd: number | null;
  models: string[];
}

const MS_NS = 1_000_000n;

export async function listSessions(db: Db, f: SessionFilters): Promise<SessionRow[]> {
  const n = tableNames(db.config.table);
  const where: string[] = [];
  const values: unknown[] = [];
  const add = (cond: (p: string) => string, v: unknown): void => {
    values.push(v);
    where.push(cond(`$${values.length}`));
  };
  if (f.sinceMs !== undefined) add((p) => `start_time >= ${p}::bigint`, (BigInt(Math.floor(f.sinceMs)) * MS_NS).toString());
  if (f.untilMs !== undefined) add((p) => `start_time <= ${p}::bigint`, (BigInt(Math.floor(f.untilMs)) * MS_NS).toString());
  if (f.service !== undefined) add((p) => `service_name = ${p}`, f.service);
  if (f.state !== undefined) {
    if (f.state.toLowerCase() === 'open') where.push('is_open');
    else add((p) => `lower(end_state) = lower(${p})`, f.state);
  }
  for (const tag of f.tags ?? []) add((p) => `tags @> jsonb_build_array(${p}::text)`, tag);
  if (f.sessionId !== undefined) add((p) => `session_id = ${p}::uuid`, f.sessionId);
  values.push(f.limit);
  const sql = `SELECT session_id::text AS session_id, service_name, start_time::text AS start_time, end_time::text AS end_time,
       duration_ns::text AS duration_ns, is_open, end_state, end_state_reason, tags, llm_calls, tool_calls, actions, errors,
       error_spans, spans, input_tokens, output_tokens, total_tokens, cost_usd, models
FROM "${n.sessionsView}" s
${where.length > 0 ? `WHERE ${where.join(' AND ')}` : ''}
ORDER BY s.start_time DESC, s.session_id
LIMIT $${values.length}`;
  // ORDER BY names the view's columns (s.): bare, they would be the text output columns above,
  // which sort as text and cannot use the start-time index.
  const rows = await db.query<Record<string, unknown>>(sql, values);
  return rows.map(toSessionRow);
}

function toSessionRow(r: Record<string, unknown>): SessionRow {
  const sessionId = String(r.session_id);
  return {
    sessionId,
    traceId: uuidHex(sessionId),
    serviceName: (r.service_name as string | null) ?? null,
    startNs: toBigInt(r.start_time) ?? 0n,
    endNs: toBigInt(r.end_time) ?? 0n,
    durationNs: toBigInt(r.duration_ns) ?? 0n,
    open: r.is_open === true,
    endState: (r.end_state as string | null) ?? null,
    endStateReason: (r.end_state_reason as string | null) ?? null,
    tags: Array.isArray(r.tags) ? (r.tags as unknown[]).map(String) : [],
    llmCalls: toNumber(r.llm_calls) ?? 0,
    toolCalls: toNumber(r.tool_calls) ?? 0,
    actions: toNumber(r.actions) ?? 0,
    errors: toNumber(r.errors) ?? 0,
    errorSpans: toNumber(r.error_spans) ?? 0,
    spans: toNumber(r.spans) ?? 0,
    inputTokens: toNumber(r.input_tokens),
    outputTokens: toNumber(r.output_tokens),
    totalTokens: toNumber(r.total_tokens) ?? 0,
    costUsd: toNumber(r.cost_usd),
    models: Array.isArray(r.models) ? (r.models as unknown[]).map(String) : [],
  };
}

/** A session row as JSON: ids, exact ns times as strings, ISO times, plain numbers. */
export function sessionJson(s: SessionRow): Record<string, unknown> {
  return {
    session_id: s.sessionId,
    trace_id: s.traceId,
    service_name: s.serviceName,
    start_time_unix_nano: s.startNs.toString(),
    end_time_unix_nano: s.endNs.toString(),
    start_time: isoNanos(s.startNs),
    end_time: isoNanos(s.endNs),
    duration_ns: s.durationNs.toString(),
    open: s.open,
    end_state: s.endState,
    end_state_reason: s.endStateReason,
    tags: s.tags,
    llm_calls: s.llmCalls,
    tool_calls: s.toolCalls,
    actions: s.actions,
    errors: s.errors,
    error_spans: s.errorSpans,
    spans: s.spans,
    input_tokens: s.inputTokens,
    output_tokens: s.outputTokens,
    total_tokens: s.totalTokens,
    cost_usd: s.costUsd,
    models: s.models,
  };
}

export const SPAN_COLUMNS = `trace_id::text AS trace_id, span_id, parent_span_id, operation_name, kind, service_name,
       start_time::text AS start_time, end_time::text AS end_time, status, status_message, attributes, events, links,
       resource, instrumentation_scope, instrumentation_scope_version`;

export type SpanDbRow = Record<string, unknown> & {
  trace_id: string;
  span_id: string;
  parent_span_id: string | null;
  operation_name: string;
  start_time: string;
  end_time: string;
  status: string;
};

/**
 * How far before the session's own spans, and after them, a span of its trace may start and
 * still be read: one not written by the session itself (an HTTP client's, an MCP server's in
 * another process, on another clock) starts near them. A day covers clock skew and work that
 * outlives the session, and still lets the span query read a few partitions only.
 */
export const TRACE_MARGIN_NS = 86_400_000_000_000n;

/**
 * Where a session's spans start (ns, inclusive bounds; `hi` null while the session is open: more
 * may come), from its summary: undefined when it has none (a trace that is not a session).
 */
export async function traceRange(db: Db, sessionId: string): Promise<{ lo: string; hi: string | null } | undefined> {
  const n = tableNames(db.config.table);
  try {
    const [r] = await db.query<{ lo: string; hi: string | null }>(
      `SELECT (first_start_time - $2::bigint)::text AS lo,
              CASE WHEN has_session_span THEN (GREATEST(last_start_time, last_end_time) + $2::bigint)::text END AS hi
       FROM "${n.summary}" WHERE trace_id = $1::uuid`,
      [sessionId, TRACE_MARGIN_NS.toString()],
    );
    return r;
  } catch (err) {
    // A table of schema version 1 or 2 (not upgraded yet) has no summary, nor partitions.
    if ((err as { cause?: { code?: unknown } }).cause?.code === '42P01') return undefined;
    throw err;
  }
}

/**
 * A session's spans in start order. The span table is partitioned by start time, not by trace:
 * the session's time range (its summary's) lets the query read the partitions of that range
 * only, whatever the table's age; a trace with no summary is looked up in every partition.
 */
export async function traceRows(db: Db, sessionId: string): Promise<SpanDbRow[]> {
  const range = await traceRange(db, sessionId);
  const within = range === undefined ? '' : ` AND start_time >= $2::bigint${range.hi === null ? '' : ' AND start_time <= $3::bigint'}`;
  const values = range === undefined ? [sessionId] : range.hi === null ? [sessionId, range.lo] : [sessionId, range.lo, range.hi];
  return db.query<SpanDbRow>(`SELECT ${SPAN_COLUMNS} FROM "${db.config.table}" WHERE trace_id = $1::uuid${within} ORDER BY start_time, span_id`, values);
}

export function toTraceSpan(r: SpanDbRow): TraceSpan {
  return {
    spanId: r.span_id,
    parentSpanId: r.parent_span_id,
    name: r.operation_name,
    serviceName: (r.service_name as string | null) ?? null,
    startNs: BigInt(r.start_time),
    endNs: BigInt(r.end_time),
    status: r.status,
    statusMessage: (r.status_message as string | null) ?? null,
    attributes: (r.attributes as Record<string, unknown> | null) ?? {},
  };
}

/** One span as the export's JSON object (see docs/cli.md for the fields). */
export function spanJson(r: SpanDbRow): Record<string, unknown> {
  const start = BigInt(r.start_time);
  const end = BigInt(r.end_time);
  const attributes = (r.attributes as Record<string, unknown> | null) ?? {};
  const sessionId = typeof attributes['agentops.session.id'] === 'string' ? r.trace_id : null;
  const events = Array.isArray(r.events)
    ? (r.events as Array<Record<string, unknown>>).map((e) => {
        const t = toBigInt(e?.time);
        return { name: e?.name ?? null, time_unix_nano: t === null ? null : t.toString(), time: t === null ? null : isoNanos(t), attributes: e?.attributes ?? {} };
      })
    : [];
  return {
    trace_id: uuidHex(r.trace_id),
    span_id: r.span_id,
    parent_span_id: r.parent_span_id ?? null,
    session_id: sessionId,
    name: r.operation_name,
    kind: r.kind ?? 'INTERNAL',
    service_name: r.service_name ?? null,
    start_time_unix_nano: start.toString(),
    end_time_unix_nano: end.toString(),
    duration_ns: (end - start).toString(),
    start_time: isoNanos(start),
    end_time: isoNanos(end),
    status: { code: r.status, message: r.status_message ?? null },
    attributes,
    events,
    links: Array.isArray(r.links) ? r.links : [],
    resource: r.resource ?? {},
    scope: { name: r.instrumentation_scope ?? null, version: r.instrumentation_scope_version ?? null },
  };
}
