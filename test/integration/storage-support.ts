/** Shared set-up for the storage tests (partitions, summaries, retention, migration); not a test file. */
import * as assert from 'node:assert/strict';
import { context, trace, SpanStatusCode } from '@opentelemetry/api';
import type { ReadableSpan } from '@opentelemetry/sdk-trace-base';
import { Client } from 'pg';
import { PostgresSpanExporter, type PostgresExporterConfig } from '../../src/exporters/postgres';
import { tableNames, type TableNames } from '../../src/exporters/postgres/identifier';
import { logger } from '../../src/shared/logger';
import { legacyV2ViewsSql } from '../helpers/legacy-schema';
import { sql } from '../helpers/postgres';
import { tracing } from './postgres-support';

export const DAY_MS = 86_400_000;

export interface SessionShape {
  /** Start of the session span, epoch ms. */
  startMs: number;
  llms?: number;
  tools?: number;
  errors?: number;
  /** false: no session span (the session is still open). */
  ended?: boolean;
  service?: string;
}

/**
 * AgentOps-like spans of one session (session span, agent span, LLM/tool/error event spans), with
 * the attributes the summary reads, at the given time. Returns them in the order they end.
 */
export function sessionSpans(shape: SessionShape): ReadableSpan[] {
  const t = tracing({ onStart: () => undefined, onEnd: () => undefined, forceFlush: async () => undefined, shutdown: async () => undefined });
  // A Date, not a number: OpenTelemetry takes a number below the process's time origin as performance.now() time.
  const at = (offsetMs: number): Date => new Date(shape.startMs + offsetMs);
  const root = t.tracer.startSpan('session', { startTime: at(0), attributes: { 'agentops.span.kind': 'session' } });
  const sessionId = root.spanContext().traceId;
  const base = { 'agentops.session.id': sessionId };
  root.setAttributes(base);
  const rctx = trace.setSpan(context.active(), root);
  const agent = t.tracer.startSpan('invoke_agent researcher', { startTime: at(1), attributes: { ...base, 'agentops.span.kind': 'agent' } }, rctx);
  const actx = trace.setSpan(context.active(), agent);
  let offset = 2;
  for (let i = 0; i < (shape.llms ?? 2); i++) {
    const model = i % 2 === 0 ? 'gpt-4o-mini' : 'claude-3-5-haiku';
    const s = t.tracer.startSpan(
      `chat ${model}`,
      {
        startTime: at(offset),
        attributes: {
          ...base,
          'agentops.event.type': 'llms',
          'gen_ai.request.model': model,
          'gen_ai.usage.input_tokens': 10 + i,
          'gen_ai.usage.output_tokens': 5 + i,
          'agentops.usage.cost_usd': 0.25,
        },
      },
      actx,
    );
    s.end(at(offset + 1));
    offset += 2;
  }
  for (let i = 0; i < (shape.tools ?? 1); i++) {
    const s = t.tracer.startSpan('execute_tool search', { startTime: at(offset), attributes: { ...base, 'agentops.event.type': 'tools' } }, actx);
    s.end(at(offset + 1));
    offset += 2;
  }
  for (let i = 0; i < (shape.errors ?? 0); i++) {
    const s = t.tracer.startSpan('error TypeError', { startTime: at(offset), attributes: { ...base, 'agentops.event.type': 'errors', 'error.type': 'TypeError' } }, actx);
    s.setStatus({ code: SpanStatusCode.ERROR, message: 'boom' });
    s.end(at(offset + 1));
    offset += 2;
  }
  agent.end(at(offset));
  if (shape.ended !== false) {
    root.setAttributes({ 'agentops.session.end_state': 'Success', 'agentops.session.end_state_reason': 'done', 'agentops.session.tags': ['t1', 'storage'] });
    root.end(at(offset + 1));
  }
  return t.ended;
}

/** Exports spans through a real exporter and waits until they are written (or spooled). */
export async function exportAll(config: PostgresExporterConfig, spans: readonly ReadableSpan[], opts: { maintain?: boolean; batch?: number } = {}): Promise<PostgresSpanExporter> {
  const exp = new PostgresSpanExporter(config, { autoReplay: false, maintain: opts.maintain ?? false });
  const step = opts.batch ?? 50;
  for (let i = 0; i < spans.length; i += step) exp.export(spans.slice(i, i + step) as ReadableSpan[], () => undefined);
  await exp.forceFlush();
  return exp;
}

/**
 * The version-2 views, computed from the spans, under other names: the reference the summary
 * must equal at every moment.
 */
export function referenceNames(table = 'agentops_spans'): TableNames {
  return { ...tableNames(table), sessionsView: 'ref_sessions', llmCallsView: 'ref_llm_calls', errorsView: 'ref_errors' };
}

export async function installReference(url: string, table = 'agentops_spans'): Promise<void> {
  await sql(url, legacyV2ViewsSql(referenceNames(table)));
}

/** agentops_sessions equals what the version-2 view computes from the spans now stored. */
export async function assertSummariesExact(url: string, what: string, table = 'agentops_spans'): Promise<number> {
  const n = tableNames(table);
  const order = 'ORDER BY session_id';
  const got = await sql(url, `SELECT * FROM "${n.sessionsView}" ${order}`);
  const want = await sql(url, `SELECT * FROM ref_sessions ${order}`);
  assert.equal(got.length, want.length, `${what}: as many sessions in the summary as in the spans`);
  for (let i = 0; i < want.length; i++) assert.deepEqual(got[i], want[i], `${what}: session ${String(want[i].session_id)}`);
  return got.length;
}

export async function withClient<T>(url: string, fn: (c: Client) => Promise<T>): Promise<T> {
  const c = new Client({ connectionString: url });
  c.on('error', () => undefined);
  await c.connect();
  try {
    return await fn(c);
  } finally {
    await c.end().catch(() => undefined);
  }
}

export async function partitionNames(url: string, table = 'agentops_spans'): Promise<string[]> {
  const r = await sql<{ name: string }>(url, `SELECT c.relname AS name FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid WHERE i.inhparent = to_regclass($1) ORDER BY 1`, [`"${table}"`]);
  return r.map((x) => x.name);
}

export async function count(url: string, relation: string): Promise<number> {
  return (await sql<{ n: number }>(url, `SELECT count(*)::int AS n FROM "${relation}"`))[0].n;
}

/** In a describe block: the logger at `level` during its tests (their expected warnings kept out of the output), restored after. */
export function loggerLevelDuring(level: typeof logger.level): void {
  let saved: typeof logger.level;
  before(() => {
    saved = logger.level;
    logger.level = level;
  });
  after(() => {
    logger.level = saved;
  });
}
