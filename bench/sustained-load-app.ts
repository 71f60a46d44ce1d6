/**
 * The app the sustained-load benchmark runs (with and without the preload): SESSIONS concurrent
 * sessions recording EVENTS events each, as fast as possible (PACE_MS=0) or paced so that each
 * session records one event every PACE_MS. Prints one JSON line with what it measured.
 *
 * RAW_OTEL=1 (without the preload) is the floor of any tracer built on the OpenTelemetry SDK:
 * beside each record() the app itself makes the span the preload would make (same name, same
 * attributes, session and agent spans as parents) through a BatchSpanProcessor whose exporter
 * discards. No export work at all happens; what remains is span creation on the app's thread.
 */
import { randomUUID } from 'node:crypto';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { context, trace, type Attributes, type Span, type Tracer } from '@opentelemetry/api';
import { ExportResultCode } from '@opentelemetry/core';
import { BatchSpanProcessor } from '@opentelemetry/sdk-trace-base';
import { NodeTracerProvider } from '@opentelemetry/sdk-trace-node';
import { init, LLMEvent, ToolEvent } from 'agentops-otel';

const SESSIONS = Number(process.env.SESSIONS ?? 1000);
const EVENTS = Number(process.env.EVENTS ?? 100);
const PACE_MS = Number(process.env.PACE_MS ?? 0);
/** How the process ends once every session has ended: naturally (default), exit, throw or reject. */
const END = process.env.END ?? 'natural';

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));
const tick = () => new Promise<void>((r) => setImmediate(r));

const rawTracer: Tracer | undefined = process.env.RAW_OTEL === '1' ? rawOtelTracer() : undefined;

function rawOtelTracer(): Tracer {
  const discard = { export: (_s: unknown, cb: (r: { code: ExportResultCode }) => void) => cb({ code: ExportResultCode.SUCCESS }), shutdown: () => Promise.resolve() };
  const provider = new NodeTracerProvider({ spanProcessors: [new BatchSpanProcessor(discard)] });
  provider.register();
  return trace.getTracer('raw-otel-floor');
}

/** The span the preload makes for one event: the same name and attributes. */
function rawEventSpan(tracer: Tracer, parent: Span, sessionId: string, agentId: string, agentName: string, llm: boolean, prompt: string, completion: string, query: string): void {
  const common: Attributes = {
    'service.name': 'agentops',
    'agentops.span.kind': llm ? 'llms' : 'tools',
    'agentops.session.id': sessionId,
    'gen_ai.conversation.id': sessionId,
    'agentops.event.id': randomUUID(),
    'agentops.event.type': llm ? 'llms' : 'tools',
    'agentops.agent.id': agentId,
    'gen_ai.agent.id': agentId,
    'gen_ai.agent.name': agentName,
  };
  const attributes: Attributes = llm
    ? {
        ...common,
        'gen_ai.operation.name': 'chat',
        'gen_ai.request.model': 'gpt-4o-mini',
        'gen_ai.usage.input_tokens': 20,
        'gen_ai.usage.output_tokens': 8,
        'agentops.llm.prompt': prompt,
        'agentops.llm.completion': completion,
      }
    : { ...common, 'agentops.event.params': JSON.stringify({ q: query }), 'agentops.event.returns': JSON.stringify(['a', 'b']), 'gen_ai.operation.name': 'execute_tool', 'gen_ai.tool.name': 'search' };
  tracer.startSpan(llm ? 'chat gpt-4o-mini' : 'execute_tool search', { attributes }, trace.setSpan(context.active(), parent)).end();
}

async function session(i: number): Promise<void> {
  const s = init().startSession({ tags: ['load', `s${i % 10}`] });
  const agent = s.createAgent({ name: `agent-${i % 5}` });
  const raw = rawTracer?.startSpan('session', { attributes: { 'agentops.session.id': s.id } });
  const rawAgent = raw && rawTracer?.startSpan(`invoke_agent agent-${i % 5}`, {}, trace.setSpan(context.active(), raw));
  await agent.run(async () => {
    for (let k = 0; k < EVENTS; k++) {
      const llm = k % 2 === 0;
      const prompt = `question ${k} of session ${i}`;
      const completion = `answer ${k}`;
      const query = `query ${k}`;
      if (llm) s.record(new LLMEvent({ model: 'gpt-4o-mini', prompt, completion, promptTokens: 20, completionTokens: 8 }));
      else s.record(new ToolEvent({ name: 'search', params: { q: query }, returns: ['a', 'b'] }));
      if (rawTracer !== undefined && rawAgent !== undefined) rawEventSpan(rawTracer, rawAgent, s.id, agent.id, `agent-${i % 5}`, llm, prompt, completion, query);
      if (PACE_MS > 0) await sleep(PACE_MS);
      else if (k % 10 === 9) await tick();
    }
  });
  rawAgent?.end();
  raw?.end();
  await s.end('Success');
}

async function main(): Promise<void> {
  const delay = monitorEventLoopDelay({ resolution: 10 });
  delay.enable();
  const rss: Array<[number, number]> = [];
  let heapMax = 0;
  const t0 = performance.now();
  const sampler = setInterval(() => {
    const m = process.memoryUsage();
    rss.push([Math.round(performance.now() - t0), m.rss]);
    heapMax = Math.max(heapMax, m.heapTotal);
  }, 250);
  console.log('started');
  await Promise.all(Array.from({ length: SESSIONS }, (_, i) => session(i)));
  const ms = performance.now() - t0;
  clearInterval(sampler);
  delay.disable();
  rss.push([Math.round(ms), process.memoryUsage().rss]);
  const events = SESSIONS * EVENTS;
  console.log(
    JSON.stringify({
      events,
      spans: SESSIONS * (EVENTS + 2),
      ms,
      eventsPerSec: events / (ms / 1000),
      loopDelayP99Ms: delay.percentile(99) / 1e6,
      loopDelayMaxMs: delay.max / 1e6,
      rssMaxBytes: Math.max(...rss.map(([, b]) => b)),
      /** The app's thread's heap alone (an export worker's heap is in the RSS only). */
      heapMaxBytes: heapMax,
      rss,
    }),
  );
}

void main().then(() => {
  if (END === 'exit') process.exit(3);
  if (END === 'throw')
    setImmediate(() => {
      throw new Error('the app crashed');
    });
  if (END === 'reject') void Promise.reject(new Error('the app rejected'));
});
