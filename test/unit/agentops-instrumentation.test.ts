/**
 * The AgentOps instrumentation in-process, with a real provider and an in-memory exporter:
 * what the child-process tests cannot see (memory released, guards, mapping helpers).
 */
import * as assert from 'node:assert/strict';
import { EventEmitter } from 'node:events';
import { context, trace } from '@opentelemetry/api';
import { InMemorySpanExporter, SimpleSpanProcessor, type ReadableSpan } from '@opentelemetry/sdk-trace-base';
import { NodeTracerProvider } from '@opentelemetry/sdk-trace-node';
import { AgentOpsInstrumentation } from '../../instrumentations/agentops/instrumentation';
import { hrTimeFromNanos, isContentKey } from '../../instrumentations/agentops/utils';
import { isWrapped } from '@opentelemetry/instrumentation';
import { traceLlmCall, type RecorderDeps } from '../../instrumentations/genai/recorder';
import type { LlmRequest } from '../../instrumentations/genai/types';
import { NO_OVERRIDES } from '../../src/shared/prices';
import { Agent, Client, init, LLMEvent, Session, ToolEvent } from '../../src/client';
import { sessionIdGenerator } from '../../instrumentations/agentops/id-generator';
import { logger } from '../../src/shared/logger';
import * as sinon from 'sinon';

describe('AgentOps instrumentation (in-process)', () => {
  let provider: NodeTracerProvider;
  let exporter: InMemorySpanExporter;
  let instrumentation: AgentOpsInstrumentation;

  before(() => {
    exporter = new InMemorySpanExporter();
    provider = new NodeTracerProvider({ idGenerator: sessionIdGenerator, spanProcessors: [new SimpleSpanProcessor(exporter)] });
    provider.register();
    instrumentation = new AgentOpsInstrumentation({ serviceName: 'unit' });
    instrumentation.setTracerProvider(provider);
    instrumentation.enable();
  });
  after(async () => {
    instrumentation.disable();
    await provider.shutdown();
    trace.disable();
    context.disable();
  });
  beforeEach(() => exporter.reset());

  it('converts nanoseconds to HrTime without losing a digit', () => {
    assert.deepEqual(hrTimeFromNanos(1700000000123456789n), [1700000000, 123456789]);
    assert.deepEqual(hrTimeFromNanos(0n), [0, 0]);
  });

  it('tells content attributes from metadata', () => {
    assert.ok(isContentKey('gen_ai.input.messages'));
    assert.ok(isContentKey('gen_ai.tool.call.arguments'));
    assert.ok(!isContentKey('gen_ai.usage.input_tokens'));
  });

  it('prices an LLMEvent recorded with a model and tokens but no cost from the same prices as the SDK calls', async () => {
    const session = new Client().startSession();
    const cached = { 'gen_ai.provider.name': 'anthropic', 'gen_ai.usage.cache_read.input_tokens': 6, 'gen_ai.usage.cache_creation.input_tokens': 2 };
    session.record(new LLMEvent({ id: 'priced', model: 'gpt-4o', promptTokens: 12, completionTokens: 3 }));
    session.record(new LLMEvent({ id: 'cached', model: 'claude-3-5-haiku-20241022', promptTokens: 18, completionTokens: 8, attributes: cached }));
    session.record(new LLMEvent({ id: 'given', model: 'gpt-4o', promptTokens: 12, completionTokens: 3, cost: 0.5 }));
    session.record(new LLMEvent({ id: 'unknown', model: 'my-own-model', promptTokens: 12, completionTokens: 3 }));
    session.record(new LLMEvent({ id: 'no-tokens', model: 'gpt-4o' }));
    await session.end('Success');
    const cost = (id: string): unknown => exporter.getFinishedSpans().find((s) => s.attributes['agentops.event.id'] === id)?.attributes['agentops.usage.cost_usd'];
    assert.ok(Math.abs((cost('priced') as number) - (12 * 2.5 + 3 * 10) / 1e6) < 1e-12, String(cost('priced')));
    assert.ok(Math.abs((cost('cached') as number) - 0.00004248) < 1e-12, String(cost('cached')));
    assert.equal(cost('given'), 0.5);
    assert.equal(cost('unknown'), undefined);
    assert.equal(cost('no-tokens'), undefined);

    // AGENTOPS_PRICE_TABLE overrides reach hand-recorded events too.
    instrumentation.setConfig({ serviceName: 'unit', prices: { 'my-own-model': { input: 1, output: 1 }, 'gpt-4o': null } });
    try {
      exporter.reset();
      const s2 = new Client().startSession();
      s2.record(new LLMEvent({ id: 'unknown', model: 'my-own-model', promptTokens: 12, completionTokens: 3 }));
      s2.record(new LLMEvent({ id: 'priced', model: 'gpt-4o', promptTokens: 12, completionTokens: 3 }));
      await s2.end('Success');
      assert.ok(Math.abs((cost('unknown') as number) - 15 / 1e6) < 1e-12);
      assert.equal(cost('priced'), undefined);
    } finally {
      instrumentation.setConfig({ serviceName: 'unit' });
    }
  });

  it('releases every session state once sessions end (100k sessions)', async () => {
    const client = new Client({ maxEventsKept: 0 });
    for (let i = 0; i < 100_000; i++) {
      const s = client.startSession();
      const a = s.createAgent({ name: 'a' });
      a.run(() => s.record(new ToolEvent({ name: 't' })));
      await s.end('Success');
      if (i % 10_000 === 0) exporter.reset();
    }
    assert.equal(instrumentation.openSessions().length, 0);
    assert.equal(client.sessions.length, 0);
  });

  it('makes the session id the trace id even inside another active span', () => {
    const outer = provider.getTracer('t').startSpan('http request');
    const s = context.with(trace.setSpan(context.active(), outer), () => new Client().startSession());
    void s.end('Success');
    outer.end();
    const session = exporter.getFinishedSpans().find((x) => x.name === 'session');
    assert.equal(session?.spanContext().traceId, s.id.replace(/-/g, ''));
    assert.equal(session?.parentSpanContext, undefined);
  });

  it('puts recordTool / recordAction spans under the agent while a span it did not create is active', async () => {
    const s = new Client().startSession();
    const agent = s.createAgent({ name: 'worker' });
    const lookup = s.recordTool('lookup', async (q: string) => `found ${q}`);
    const fetchPage = s.recordAction('fetch_page', () => 'page');
    const got = await agent.run(() =>
      provider.getTracer('other-library').startActiveSpan('ai.toolCall', async (foreign) => {
        try {
          return [await lookup('x'), fetchPage()];
        } finally {
          foreign.end();
        }
      }),
    );
    await s.end('Success');
    assert.deepEqual(got, ['found x', 'page']);
    const spans = exporter.getFinishedSpans();
    const agentSpan = spans.find((x) => x.name === 'invoke_agent worker');
    const foreign = spans.find((x) => x.name === 'ai.toolCall');
    assert.equal(foreign?.parentSpanContext?.spanId, agentSpan?.spanContext().spanId);
    for (const name of ['execute_tool lookup', 'action fetch_page']) {
      const span = spans.find((x) => x.name === name);
      assert.equal(span?.parentSpanContext?.spanId, agentSpan?.spanContext().spanId, name);
      assert.equal(span?.attributes['agentops.agent.id'], agent.id, name);
    }
  });

  it('never lets a tracing failure reach the app, and still ends the span', () => {
    const warn = sinon.stub(logger, 'limited');
    const s = new Client().startSession();
    const evil = new LLMEvent({ model: 'm' });
    Object.defineProperty(evil, 'attributes', {
      get() {
        throw new Error('hostile getter');
      },
    });
    assert.doesNotThrow(() => s.record(evil));
    warn.restore();
    assert.equal(s.eventCounts.llms, 1);
    assert.ok(
      exporter.getFinishedSpans().some((x) => x.attributes['agentops.event.id'] === evil.id),
      'the event span was ended',
    );
    assert.equal(warn.firstCall.args[1], 'agentops-instrumentation:record');
    void s.end();
  });

  it('binds EventEmitter listeners to the registering agent, and removal still works', () => {
    const s = new Client().startSession();
    const a = s.createAgent({ name: 'a' });
    const e = new EventEmitter();
    let calls = 0;
    const listener = (): void => {
      calls++;
      s.record(new ToolEvent({ name: 'from-listener' }));
    };
    a.run(() => {
      e.on('x', listener);
      e.once('y', listener);
    });
    assert.deepEqual(e.listeners('x'), [listener], 'listeners() shows the original');
    e.emit('y');
    e.emit('y');
    assert.equal(calls, 1, 'once fires once');
    assert.equal(e.listenerCount('y'), 0);
    a.run(() => e.once('z', listener));
    e.removeListener('z', listener);
    assert.equal(e.listenerCount('z'), 0, 'a once listener is removable by the original function');
    e.emit('x');
    e.removeListener('x', listener);
    assert.equal(e.listenerCount('x'), 0);
    void s.end();
    const recorded = s.events.map((ev) => ev.agentId);
    assert.deepEqual(recorded, [a.id, a.id]);
  });

  it('reaches the bundled client through its hook, not by patching it, and leaves it alone when disabled', async () => {
    for (const [name, proto] of [
      ['Client', Client.prototype],
      ['Session', Session.prototype],
      ['Agent', Agent.prototype],
    ] as const) {
      for (const [method, value] of Object.entries(Object.getOwnPropertyDescriptors(proto))) assert.ok(!isWrapped(value.value), `${name}.${method} is patched`);
    }
    instrumentation.disable();
    try {
      const s = new Client().startSession();
      s.createAgent({ name: 'a' }).run(() => s.record(new ToolEvent({ name: 't' })));
      await s.end('Success');
      assert.equal(exporter.getFinishedSpans().length, 0, 'no span while disabled');
    } finally {
      instrumentation.enable();
    }
    const s = new Client().startSession();
    s.record(new ToolEvent({ name: 't' }));
    await s.end('Success');
    assert.deepEqual(
      exporter
        .getFinishedSpans()
        .map((x) => x.name)
        .sort(),
      ['execute_tool t', 'session'],
    );
  });

  it('gives an LLM call the same span in a session and outside one; outside, the failure is on the span itself', async () => {
    const deps = (captureContent: boolean): RecorderDeps => ({
      tracer: provider.getTracer('llm-unit'),
      options: () => ({ serviceName: 'unit', captureContent, maxAttributeLength: 1000, prices: NO_OVERRIDES }),
    });
    const req = (): LlmRequest => ({ provider: 'openai', operation: 'chat', requestModel: 'gpt-4o', attributes: { 'server.address': 'localhost' }, prompt: 'hi', streaming: false });
    const call = (captureContent: boolean, fail: Error | undefined): Promise<string> =>
      traceLlmCall(
        deps(captureContent),
        req,
        () => Promise.resolve('answer'),
        (p, handle) => {
          void p.then(() => (fail === undefined ? handle.end({ responseModel: 'gpt-4o-2024', usage: { inputTokens: 12, outputTokens: 3 }, completion: 'answer' }) : handle.fail(fail)));
        },
      );
    const llmSpan = (): ReadableSpan => {
      const found = exporter.getFinishedSpans().filter((x) => x.attributes['agentops.event.type'] === 'llms');
      assert.equal(found.length, 1);
      return found[0];
    };
    const settle = (): Promise<unknown> => new Promise((r) => setTimeout(r, 5));

    assert.equal(await call(true, undefined), 'answer');
    await settle();
    const alone = llmSpan();
    assert.equal(alone.name, 'chat gpt-4o');
    assert.equal(alone.parentSpanContext, undefined, 'outside a session: its own trace');
    assert.equal(alone.instrumentationScope.name, 'llm-unit', "outside a session: the LLM instrumentation's own span");

    exporter.reset();
    const s = init().startSession(); // the process client: where an LLM call looks for its session
    await s.run(() => call(true, undefined));
    await settle();
    await s.end('Success');
    const inSession = llmSpan();
    assert.equal(inSession.name, alone.name);
    assert.equal(inSession.spanContext().traceId, s.id.replace(/-/g, ''));
    const keys = (x: ReadableSpan): string[] => Object.keys(x.attributes).sort();
    assert.deepEqual(keys(inSession), [...keys(alone), 'agentops.session.id', 'gen_ai.conversation.id'].sort());
    for (const k of keys(alone)) if (k !== 'agentops.event.id') assert.deepEqual(inSession.attributes[k], alone.attributes[k], k);
    assert.equal(alone.attributes['gen_ai.usage.input_tokens'], 12);

    for (const capture of [true, false]) {
      exporter.reset();
      assert.equal(await call(capture, new RangeError('quota')), 'answer', 'the app gets what the SDK returned');
      await settle();
      const failed = llmSpan();
      assert.equal(failed.status.code, 2);
      assert.equal(failed.attributes['error.type'], 'RangeError');
      assert.equal(failed.status.message, capture ? 'quota' : undefined);
      assert.deepEqual(
        failed.events.map((e) => e.name),
        capture ? ['exception'] : [],
        'the exception is on the span only when content is captured',
      );
    }
  });
});
