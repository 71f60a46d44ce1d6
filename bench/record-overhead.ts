/**
 * The cost of `session.record(event)` under the preload's pipeline, beside a raw OpenTelemetry
 * span carrying the same attributes and beside the client with no instrumentation. All three
 * run through the same provider and BatchSpanProcessor with an exporter that discards, so the
 * difference is ours. Events are built before the timed loop: construction is the app's cost.
 */
import { context, trace, type Attributes } from '@opentelemetry/api';
import { ExportResultCode } from '@opentelemetry/core';
import { BatchSpanProcessor, InMemorySpanExporter, SimpleSpanProcessor, type ReadableSpan, type SpanExporter } from '@opentelemetry/sdk-trace-base';
import { NodeTracerProvider } from '@opentelemetry/sdk-trace-node';
import { AgentOpsInstrumentation } from '../instrumentations/agentops/instrumentation';
import { Client, LLMEvent, type Session } from '../src/client';
import { sessionIdGenerator } from '../src/telemetry/id-generator';
import { nsPerOp, nsPerOpWithSetup } from './measure';
import type { BenchRow } from './table';

class DiscardingExporter implements SpanExporter {
  export(_spans: ReadableSpan[], cb: (r: { code: ExportResultCode }) => void): void {
    cb({ code: ExportResultCode.SUCCESS });
  }
  shutdown(): Promise<void> {
    return Promise.resolve();
  }
}

const N = 50_000;

function makeEvents(n: number): LLMEvent[] {
  const out = new Array<LLMEvent>(n);
  for (let i = 0; i < n; i++) out[i] = new LLMEvent({ model: 'gpt-4o', prompt: 'What is the capital of France?', completion: 'Paris.', promptTokens: 12, completionTokens: 3 });
  return out;
}

function timeRecord(session: Session, run: (fn: () => void) => void): number {
  return nsPerOpWithSetup(makeEvents, (events, n) =>
    run(() => {
      for (let i = 0; i < n; i++) session.record(events[i]);
    }),
  N);
}

/** The attributes and name our instrumentation gives one such event, so the raw span carries the same. */
function sampleSpan(instrumentation: AgentOpsInstrumentation): { name: string; attributes: Attributes } {
  const memory = new InMemorySpanExporter();
  const p = new NodeTracerProvider({ idGenerator: sessionIdGenerator, spanProcessors: [new SimpleSpanProcessor(memory)] });
  instrumentation.setTracerProvider(p);
  const session = new Client().startSession();
  session.createAgent({ name: 'a' }).run(() => session.record(makeEvents(1)[0]));
  const span = memory.getFinishedSpans().find((s) => s.name.startsWith('chat'));
  if (span === undefined) throw new Error('no sample span');
  return { name: span.name, attributes: { ...span.attributes } };
}

export async function run(): Promise<BenchRow[]> {
  const provider = new NodeTracerProvider({
    idGenerator: sessionIdGenerator,
    spanProcessors: [new BatchSpanProcessor(new DiscardingExporter(), { maxQueueSize: 1 << 20, maxExportBatchSize: 512, scheduledDelayMillis: 200 })],
  });
  provider.register();
  const instrumentation = new AgentOpsInstrumentation({ serviceName: 'bench' });
  const sample = sampleSpan(instrumentation);
  instrumentation.setTracerProvider(provider);

  const client = new Client({ maxEventsKept: 1000 });
  const tracer = provider.getTracer('bench');

  // Raw OpenTelemetry: a span with the same attributes, started under an active parent as ours are.
  const parent = tracer.startSpan('parent');
  const parentCtx = trace.setSpan(context.active(), parent);
  const raw = nsPerOp((n) => {
    for (let i = 0; i < n; i++) tracer.startSpan(sample.name, { attributes: sample.attributes }, parentCtx).end();
  }, N);
  parent.end();

  const traced = client.startSession();
  const agent = traced.createAgent({ name: 'a' });
  const withPreload = timeRecord(traced, (fn) => agent.run(fn));
  await traced.end('Success');

  instrumentation.disable();
  const plain = client.startSession();
  const plainAgent = plain.createAgent({ name: 'a' });
  const unpatched = timeRecord(plain, (fn) => plainAgent.run(fn));
  await plain.end('Success');

  await provider.shutdown();
  trace.disable();
  context.disable();

  const ratio = withPreload / raw;
  const group = 'session.record(event) overhead';
  return [
    { group, name: 'raw OpenTelemetry span, same attributes', value: raw / 1000, unit: 'µs/event' },
    { group, name: 'session.record with the preload', value: withPreload / 1000, unit: 'µs/event' },
    { group, name: 'session.record, client without instrumentation', value: unpatched / 1000, unit: 'µs/event' },
    { group, name: 'preload / raw span', value: ratio, unit: 'x', note: `target ≤ 1.5x: ${ratio <= 1.5 ? 'met' : 'NOT met'}` },
  ];
}

if (require.main === module) {
  void run().then((rows) => console.table(rows));
}
