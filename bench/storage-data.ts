/**
 * Data for the storage benchmark: AgentOps sessions of 30 spans (session, 2 agents, 15 LLM calls
 * with content, 8 tool calls, 3 actions, 1 error), made by a real tracer with the attributes the
 * instrumentation writes, and a bulk loader that turns them into rows with the exporter's own row
 * encoder and COPYs them in, chunk by chunk, so a million spans never sit in memory at once.
 */
import { context, trace, SpanStatusCode } from '@opentelemetry/api';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { BasicTracerProvider, type ReadableSpan, type SpanProcessor } from '@opentelemetry/sdk-trace-base';
import type { ClientBase } from 'pg';
import { copyFrom } from '../src/exporters/postgres/copy';
import { COLUMNS, RowEncoder, encodeCopyLine } from '../src/exporters/postgres/rows';

export const SPANS_PER_SESSION = 30;

const PROMPT = 'Summarise the quarterly report for the board, in five bullet points, citing the figures. ';
const COMPLETION = 'Revenue grew 12% quarter on quarter; costs were flat; the new region broke even. ';

/** `sessions` sessions whose starts are spread evenly over [fromMs, toMs), oldest first. */
export function makeSessions(sessions: number, fromMs: number, toMs: number, firstIndex = 0, total = sessions): ReadableSpan[] {
  const out: ReadableSpan[] = [];
  const collector: SpanProcessor = { onStart: () => undefined, onEnd: (s) => void out.push(s), forceFlush: () => Promise.resolve(), shutdown: () => Promise.resolve() };
  const provider = new BasicTracerProvider({ resource: resourceFromAttributes({ 'service.name': 'bench-agents', 'service.version': '1.0.0' }), spanProcessors: [collector] });
  const tracer = provider.getTracer('agentops-otel', '0.1.0');
  const step = (toMs - fromMs) / total;
  for (let k = 0; k < sessions; k++) {
    const t0 = fromMs + (firstIndex + k) * step;
    const at = (ms: number): Date => new Date(t0 + ms);
    const root = tracer.startSpan('session', { startTime: at(0), attributes: { 'agentops.span.kind': 'session' } });
    const sid = root.spanContext().traceId;
    const base = { 'agentops.session.id': sid, 'gen_ai.conversation.id': sid };
    root.setAttributes(base);
    const rctx = trace.setSpan(context.active(), root);
    let t = 1;
    for (const name of ['researcher', 'writer']) {
      const agent = tracer.startSpan(
        `invoke_agent ${name}`,
        { startTime: at(t++), attributes: { ...base, 'agentops.span.kind': 'agent', 'gen_ai.operation.name': 'invoke_agent', 'gen_ai.agent.name': name } },
        rctx,
      );
      const actx = trace.setSpan(context.active(), agent);
      const event = (spanName: string, type: string, attrs: Record<string, string | number>, ms: number, failed = false): void => {
        const s = tracer.startSpan(spanName, { startTime: at(t), attributes: { ...base, 'agentops.event.type': type, 'agentops.event.id': `${sid}-${t}`, ...attrs } }, actx);
        if (failed) s.setStatus({ code: SpanStatusCode.ERROR, message: 'source could not be verified' });
        s.end(at(t + ms));
        t += ms + 1;
      };
      for (let i = 0; i < (name === 'researcher' ? 8 : 7); i++) {
        const model = i % 3 === 0 ? 'gpt-4o' : 'gpt-4o-mini';
        event(
          `chat ${model}`,
          'llms',
          {
            'gen_ai.operation.name': 'chat',
            'gen_ai.provider.name': 'openai',
            'gen_ai.request.model': model,
            'gen_ai.response.model': `${model}-2024-08-06`,
            'gen_ai.usage.input_tokens': 400 + i,
            'gen_ai.usage.output_tokens': 120 + i,
            'agentops.usage.cost_usd': 0.0012,
            'gen_ai.prompt': PROMPT,
            'gen_ai.completion': COMPLETION,
          },
          40,
        );
      }
      for (let i = 0; i < 4; i++) event('execute_tool search', 'tools', { 'gen_ai.tool.name': 'search', 'agentops.tool.params': '{"q":"quarterly figures"}', 'agentops.tool.returns': '3 hits' }, 5);
      if (name === 'researcher') for (let i = 0; i < 3; i++) event('action fetch_page', 'actions', { 'agentops.action.type': 'fetch_page' }, 8);
      else event('error TypeError', 'errors', { 'error.type': 'TypeError' }, 0, true);
      agent.end(at(t++));
    }
    root.setAttributes({ 'agentops.session.end_state': k % 10 === 0 ? 'Fail' : 'Success', 'agentops.session.end_state_reason': 'done', 'agentops.session.tags': ['bench', `shard-${k % 8}`] });
    root.end(at(t));
  }
  return out;
}

/** COPYs `spans` spans (whole sessions) into `table` through the exporter's row encoder. */
export async function bulkLoad(db: ClientBase, table: string, spans: number, fromMs: number, toMs: number, progress?: (done: number) => void): Promise<void> {
  const encoder = new RowEncoder();
  const sessions = Math.ceil(spans / SPANS_PER_SESSION);
  const chunk = 500;
  const sql = `COPY "${table}" (${COLUMNS.join(', ')}) FROM STDIN`;
  for (let first = 0; first < sessions; first += chunk) {
    const batch = makeSessions(Math.min(chunk, sessions - first), fromMs, toMs, first, sessions);
    const lines = batch.map((s) => encodeCopyLine(encoder.toRow(s)));
    for (let i = 0; i < lines.length; i += 5000) await copyFrom(db, sql, lines.slice(i, i + 5000));
    progress?.((first + chunk) * SPANS_PER_SESSION);
  }
}
