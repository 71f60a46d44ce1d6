/** Shared set-up for the PostgreSQL integration tests (not a test file itself). */
import { context, trace, Tracer } from '@opentelemetry/api';
import { BasicTracerProvider, BatchSpanProcessor, ReadableSpan, SpanProcessor } from '@opentelemetry/sdk-trace-base';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { ConfigSource } from '../../src/config/source';
import { PostgresExporterConfig, readPostgresConfig } from '../../src/exporters/postgres';
import { tempDir } from '../helpers/postgres';

export function pgConfig(url: string, extra: Record<string, string> = {}): PostgresExporterConfig {
  return readPostgresConfig(new ConfigSource({ AGENTOPS_PG_URL: url, AGENTOPS_PG_SPOOL_DIR: tempDir(), AGENTOPS_PG_FLUSH_INTERVAL_MS: '20', ...extra }, {}));
}

/** Fast retries so outage tests finish quickly; behaviour, not timing, is asserted. */
export const FAST_RETRY = { AGENTOPS_PG_RETRY_BASE_MS: '10', AGENTOPS_PG_RETRY_MAX_DELAY_MS: '200', AGENTOPS_PG_RETRY_COUNT: '2', AGENTOPS_PG_CONNECT_TIMEOUT_MS: '1000' };

export interface TestTracing {
  provider: BasicTracerProvider;
  tracer: Tracer;
  /** Every span that ended, in order (what the exporter should eventually store). */
  ended: ReadableSpan[];
}

export function tracing(processor: SpanProcessor, limits: { attributeCountLimit?: number; attributeValueLengthLimit?: number } = {}): TestTracing {
  const ended: ReadableSpan[] = [];
  const recorder: SpanProcessor = { onStart: () => undefined, onEnd: (s) => void ended.push(s), forceFlush: () => Promise.resolve(), shutdown: () => Promise.resolve() };
  const provider = new BasicTracerProvider({
    resource: resourceFromAttributes({ 'service.name': 'pg-test' }),
    spanProcessors: [recorder, processor],
    spanLimits: { attributeCountLimit: limits.attributeCountLimit ?? 128, attributeValueLengthLimit: limits.attributeValueLengthLimit },
  });
  return { provider, tracer: provider.getTracer('pg-test-scope', '9.9.9'), ended };
}

export function bsp(exporter: ConstructorParameters<typeof BatchSpanProcessor>[0]): BatchSpanProcessor {
  return new BatchSpanProcessor(exporter, { maxQueueSize: 4096, maxExportBatchSize: 256, scheduledDelayMillis: 20 });
}

/** A session-like tree: root, `children` children, each with one grandchild. */
export function makeTree(tracer: Tracer, children: number): void {
  const root = tracer.startSpan('session');
  const rctx = trace.setSpan(context.active(), root);
  for (let i = 0; i < children; i++) {
    const c = tracer.startSpan(`agent ${i}`, { attributes: { i } }, rctx);
    const g = tracer.startSpan(`llm ${i}`, {}, trace.setSpan(context.active(), c));
    g.end();
    c.end();
  }
  root.end();
}

export const tick = (): Promise<void> => new Promise((r) => setImmediate(r));
export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** A view of a real span with some fields replaced; the span itself is not touched. */
export function withOverrides(span: ReadableSpan, fields: Record<string, unknown>): ReadableSpan {
  const props: PropertyDescriptorMap = {};
  for (const [k, v] of Object.entries(fields)) props[k] = { value: v, enumerable: true };
  return Object.create(span, props) as ReadableSpan;
}

export function uuidOf(traceId: string): string {
  return `${traceId.slice(0, 8)}-${traceId.slice(8, 12)}-${traceId.slice(12, 16)}-${traceId.slice(16, 20)}-${traceId.slice(20)}`;
}
