/**
 * The cost of `session.record(event)` under the preload's pipeline, beside a raw OpenTelemetry
 * span carrying the same attributes and beside the client with no instrumentation.
 *
 * The raw span runs as an OpenTelemetry user would have it: a BatchSpanProcessor with an exporter
 * that discards. `session.record` runs through what the preload really installs, the hand-off
 * processor with its export worker (given no destinations, so the worker only takes spans in):
 * the hand-off (wire copy and postMessage of each batch) is on the app's thread and counted.
 * Events are built before the timed loop: construction is the app's cost.
 */
import { context, trace, type Attributes } from '@opentelemetry/api';
import { ExportResultCode } from '@opentelemetry/core';
import { BatchSpanProcessor, InMemorySpanExporter, SimpleSpanProcessor, type ReadableSpan, type SpanExporter } from '@opentelemetry/sdk-trace-base';
import { NodeTracerProvider } from '@opentelemetry/sdk-trace-node';
import { AgentOpsInstrumentation } from '../instrumentations/agentops/instrumentation';
import { Client, LLMEvent, type Session } from '../src/client';
import { HandoffSpanProcessor } from '../src/engine/handoff';
import { sessionIdGenerator } from '../instrumentations/agentops/id-generator';
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
  return nsPerOpWithSetup(
    makeEvents,
    (events, n) =>
      run(() => {
        for (let i = 0; i < n; i++) session.record(events[i]);
      }),
    N,
  );
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
  const handoff = new HandoffSpanProcessor({ destinations: {}, thread: 'worker', nice: 10, timeoutMillis: 5000 });
  const preloadProvider = new NodeTracerProvider({ idGenerator: sessionIdGenerator, spanProcessors: [handoff] });
  preloadProvider.register();
  const instrumentation = new AgentOpsInstrumentation({ serviceName: 'bench' });
  const sample = sampleSpan(instrumentation);
  instrumentation.setTracerProvider(preloadProvider);

  const client = new Client({ maxEventsKept: 1000 });
  const tracer = provider.getTracer('bench');
  const handoffTracer = preloadProvider.getTracer('bench');

  // Raw OpenTelemetry: a span with the same attributes, started under an active parent as ours are.
  const parent = tracer.startSpan('parent');
  const parentCtx = trace.setSpan(context.active(), parent);
  const raw = nsPerOp((n) => {
    for (let i = 0; i < n; i++) tracer.startSpan(sample.name, { attributes: sample.attributes }, parentCtx).end();
  }, N);
  parent.end();
  const handoffParent = handoffTracer.startSpan('parent');
  const handoffCtx = trace.setSpan(context.active(), handoffParent);
  const rawHandoff = nsPerOp((n) => {
    for (let i = 0; i < n; i++) handoffTracer.startSpan(sample.name, { attributes: sample.attributes }, handoffCtx).end();
  }, N);
  handoffParent.end();

  const traced = client.startSession();
  const agent = traced.createAgent({ name: 'a' });
  instrumentation.setFinishedSpanSink(undefined);
  const withSdkSpans = timeRecord(traced, (fn) => agent.run(fn));
  // As the preload installs it: recorded events go to the hand-off without SDK span objects.
  instrumentation.setFinishedSpanSink(handoff.finishedSpanSink);
  const withPreload = timeRecord(traced, (fn) => agent.run(fn));
  await traced.end('Success');

  instrumentation.disable();
  const plain = client.startSession();
  const plainAgent = plain.createAgent({ name: 'a' });
  const unpatched = timeRecord(plain, (fn) => plainAgent.run(fn));
  await plain.end('Success');

  await provider.shutdown();
  await preloadProvider.shutdown();
  trace.disable();
  context.disable();

  const ratio = withPreload / raw;
  const group = 'session.record(event) overhead';
  return [
    { group, name: 'raw OpenTelemetry span, same attributes (BatchSpanProcessor)', value: raw / 1000, unit: 'µs/event' },
    {
      group,
      name: 'raw OpenTelemetry span, same attributes, through the hand-off',
      value: rawHandoff / 1000,
      unit: 'µs/event',
      note: `the hand-off costs ${((rawHandoff - raw) / 1000).toFixed(2)} µs more per span than a BatchSpanProcessor queue`,
    },
    { group, name: 'session.record with the preload (hand-off to the export worker)', value: withPreload / 1000, unit: 'µs/event' },
    {
      group,
      name: 'session.record with the preload, through SDK span objects',
      value: withSdkSpans / 1000,
      unit: 'µs/event',
      note: 'the path taken when attribute limits or a sampler that is not parent-based are set',
    },
    { group, name: 'session.record, client without instrumentation', value: unpatched / 1000, unit: 'µs/event' },
    { group, name: 'preload / raw span', value: ratio, unit: 'x', note: `target ≤ 1.5x: ${ratio <= 1.5 ? 'met' : 'NOT met'}` },
    { group, name: 'preload / raw span through the same hand-off', value: withPreload / rawHandoff, unit: 'x', note: 'what the instrumentation itself adds' },
  ];
}

if (require.main === module) {
  void run().then((rows) => console.table(rows));
}
