/**
 * The real OpenAI and Anthropic SDKs, pointed at the loopback LLM server, in child processes under
 * the preload (CommonJS `--require` and ESM `--import`), exporting to the loopback OTLP receiver.
 */
import * as assert from 'node:assert/strict';
import { startLlmServer } from '../helpers/llm-server';
import { attr, treeOf, type ReceivedSpan } from '../helpers/otlp-receiver';
import { loopbackApps, type LoopbackRun } from '../helpers/loopback-apps';

const SECRET = 'SECRET_PROMPT_7f3a';
const PROMPT = `${SECRET} say hello`;
const COMPLETION_TEXT = 'loopback';
const ALL = ['chat', 'chat-stream', 'chat-stream-usage', 'responses', 'responses-stream', 'embeddings', 'anthropic', 'anthropic-stream', 'anthropic-helper'];

const apps = loopbackApps(startLlmServer, (llm) => ({ LLM_BASE: llm.url }));

function runApp(app: string, preload: 'require' | 'import' | 'none', env: Record<string, string>): Promise<LoopbackRun> {
  return apps.run(`test/fixtures/llm/${app}`, preload, env);
}

function llmSpans(spans: ReceivedSpan[]): ReceivedSpan[] {
  return spans.filter((s) => attr(s, 'agentops.span.kind') === 'llms').sort((a, b) => (a.startTimeUnixNano < b.startTimeUnixNano ? -1 : 1));
}

function num(v: unknown): number | undefined {
  return typeof v === 'bigint' ? Number(v) : typeof v === 'number' ? v : undefined;
}

const EXPECTED: Record<string, { name: string; provider: string; input?: number; output?: number; responseModel: string; finish?: string; cost?: number; cacheRead?: number; cacheWrite?: number }> = {
  chat: { name: 'chat gpt-4o-mini', provider: 'openai', input: 12, output: 7, responseModel: 'gpt-4o-mini-2024-07-18', finish: 'stop', cost: 0.0000057, cacheRead: 4 },
  'chat-stream': { name: 'chat gpt-4o-mini', provider: 'openai', responseModel: 'gpt-4o-mini-2024-07-18', finish: 'stop' },
  'chat-stream-usage': { name: 'chat gpt-4o-mini', provider: 'openai', input: 12, output: 7, responseModel: 'gpt-4o-mini-2024-07-18', finish: 'stop', cost: 0.0000057, cacheRead: 4 },
  responses: { name: 'chat gpt-4.1', provider: 'openai', input: 20, output: 9, responseModel: 'gpt-4.1', finish: 'completed', cost: 0.000112 },
  'responses-stream': { name: 'chat gpt-4.1', provider: 'openai', input: 20, output: 9, responseModel: 'gpt-4.1', finish: 'completed', cost: 0.000112 },
  embeddings: { name: 'embeddings text-embedding-3-small', provider: 'openai', input: 8, responseModel: 'text-embedding-3-small', cost: 0.00000016 },
  anthropic: {
    name: 'chat claude-3-5-haiku',
    provider: 'anthropic',
    input: 18,
    output: 8,
    responseModel: 'claude-3-5-haiku-20241022',
    finish: 'end_turn',
    cost: 0.00004248,
    cacheRead: 6,
    cacheWrite: 2,
  },
  'anthropic-stream': {
    name: 'chat claude-3-5-haiku',
    provider: 'anthropic',
    input: 18,
    output: 8,
    responseModel: 'claude-3-5-haiku-20241022',
    finish: 'end_turn',
    cost: 0.00004248,
    cacheRead: 6,
    cacheWrite: 2,
  },
  'anthropic-helper': {
    name: 'chat claude-3-5-haiku',
    provider: 'anthropic',
    input: 18,
    output: 8,
    responseModel: 'claude-3-5-haiku-20241022',
    finish: 'end_turn',
    cost: 0.00004248,
    cacheRead: 6,
    cacheWrite: 2,
  },
};

/** The conventions' structured content (schemas of GenAI semconv 1.42.0), beside the agentops.llm.* text. */
function checkMessages(span: ReceivedSpan, scenario: string, where: string): void {
  const json = (key: string): unknown => {
    const v = attr(span, key);
    return typeof v === 'string' ? JSON.parse(v) : v;
  };
  if (scenario === 'embeddings') {
    for (const k of ['gen_ai.input.messages', 'gen_ai.output.messages', 'gen_ai.system_instructions']) assert.equal(attr(span, k), undefined, where);
    return;
  }
  assert.deepEqual(json('gen_ai.input.messages'), [{ role: 'user', parts: [{ type: 'text', content: PROMPT }] }], where);
  const system = scenario === 'responses' || scenario === 'anthropic' ? [{ type: 'text', content: 'Answer briefly.' }] : undefined;
  assert.deepEqual(json('gen_ai.system_instructions'), system, where);
  const output = json('gen_ai.output.messages') as Array<{ role: string; parts: Array<{ type: string; content?: string }>; finish_reason: string }>;
  assert.equal(output.length, 1, where);
  assert.equal(output[0].role, 'assistant', where);
  assert.equal(output[0].finish_reason, 'stop', where);
  const text = output[0].parts
    .filter((p) => p.type === 'text')
    .map((p) => p.content)
    .join('');
  assert.ok(text.includes(COMPLETION_TEXT), where);
}

function allText(spans: ReceivedSpan[]): string {
  return JSON.stringify(
    spans.map((s) => ({ a: s.attributes, e: s.events.map((e) => e.attributes), st: s.status })),
    (_k, v: unknown) => (typeof v === 'bigint' ? v.toString() : v),
  );
}

for (const [app, preload] of [
  ['app.cjs', 'require'],
  ['app.mjs', 'import'],
] as const) {
  describe(`LLM SDKs in a ${app.endsWith('.mjs') ? 'ESM' : 'CommonJS'} app under --${preload}`, () => {
    it('turns each call (plain and streamed) into one span under the current agent, with GenAI attributes, tokens and cost', async () => {
      const { spans, res } = await runApp(app, preload, { SCENARIOS: ALL.join(','), SESSION: '1', AGENT: 'writer' });
      const tree = treeOf(spans);
      const llms = llmSpans(spans);
      assert.equal(llms.length, ALL.length, tree.render());
      // Only our spans: the Anthropic SDK's own call spans are muted while we record the call.
      assert.deepEqual(
        [...new Set(spans.map((s) => s.scope.name))].sort(),
        ['agentops-otel/instrumentation-agentops', 'agentops-otel/instrumentation-anthropic', 'agentops-otel/instrumentation-openai'].filter((n) => spans.some((s) => s.scope.name === n)).sort(),
      );
      assert.ok(!spans.some((s) => s.scope.name.startsWith('@anthropic-ai')), 'no span of the SDK itself');
      const agent = spans.find((s) => s.name === 'invoke_agent writer');
      const session = spans.find((s) => s.name === 'session');
      assert.ok(agent && session, tree.render());
      assert.equal(attr(session, 'agentops.session.event_counts.llms'), BigInt(ALL.length));
      ALL.forEach((scenario, i) => {
        const span = llms[i];
        const e = EXPECTED[scenario];
        const where = `${scenario}: ${JSON.stringify(span.attributes, (_k, v: unknown) => (typeof v === 'bigint' ? Number(v) : v))}`;
        assert.equal(span.name, e.name, where);
        assert.equal(span.parentSpanId, agent.spanId, where);
        assert.equal(span.traceId, session.traceId, where);
        assert.equal(span.status.code, 0, where);
        assert.equal(attr(span, 'gen_ai.provider.name'), e.provider, where);
        assert.equal(attr(span, 'gen_ai.request.model'), e.name.split(' ')[1], where);
        assert.equal(attr(span, 'gen_ai.response.model'), e.responseModel, where);
        assert.equal(attr(span, 'gen_ai.operation.name'), e.name.split(' ')[0], where);
        assert.equal(num(attr(span, 'gen_ai.usage.input_tokens')), e.input, where);
        assert.equal(num(attr(span, 'gen_ai.usage.output_tokens')), e.output, where);
        assert.equal(num(attr(span, 'gen_ai.usage.cache_read.input_tokens')), e.cacheRead, where);
        assert.equal(num(attr(span, 'gen_ai.usage.cache_creation.input_tokens')), e.cacheWrite, where);
        assert.deepEqual(attr(span, 'gen_ai.response.finish_reasons'), e.finish !== undefined ? [e.finish] : undefined, where);
        const cost = attr(span, 'agentops.usage.cost_usd');
        if (e.cost === undefined) assert.equal(cost, undefined, where);
        else assert.ok(typeof cost === 'number' && Math.abs(cost - e.cost) < 1e-12, where);
        assert.equal(attr(span, 'server.address'), '127.0.0.1', where);
        assert.equal(num(attr(span, 'server.port')), apps.server.port, where);
        if (e.name.startsWith('chat')) assert.ok(String(attr(span, 'gen_ai.response.id')).length > 0, where);
        const streamed = scenario.includes('stream') || scenario === 'anthropic-helper';
        assert.equal(attr(span, 'agentops.llm.streaming'), streamed ? true : undefined, where);
        assert.equal(attr(span, 'gen_ai.request.stream'), streamed ? true : undefined, where);
        const ttfc = attr(span, 'gen_ai.response.time_to_first_chunk');
        if (!streamed) assert.equal(ttfc, undefined, where);
        else assert.ok(typeof ttfc === 'number' && ttfc > 0 && ttfc * 1e9 <= Number(span.endTimeUnixNano - span.startTimeUnixNano), where);
        checkMessages(span, scenario, where);
      });
      // Content is captured by default.
      assert.ok(String(attr(llms[0], 'agentops.llm.prompt')).includes(SECRET));
      assert.ok(String(attr(llms[0], 'agentops.llm.completion')).includes(COMPLETION_TEXT));
      assert.ok(String(attr(llms[2], 'agentops.llm.completion')).includes(COMPLETION_TEXT), 'streamed completion assembled');
      assert.ok(!res.stderr.includes('Warning'), res.stderr);
    });

    it("leaves the app's output byte-identical", async () => {
      const scenarios = [...ALL, 'chat-with-response', 'chat-stream-tee', 'abandon-openai', 'abandon-anthropic', 'error-429-openai', 'error-500-anthropic'].join(',');
      const plain = await runApp(app, 'none', { SCENARIOS: scenarios });
      const traced = await runApp(app, preload, { SCENARIOS: scenarios });
      assert.ok(plain.res.stdout.length > 1000);
      assert.equal(traced.res.stdout, plain.res.stdout);
      assert.equal(plain.spans.length, 0);
      assert.ok(llmSpans(traced.spans).length >= ALL.length + 6);
      // tee(): both halves saw every chunk, and the call is one span.
      assert.match(traced.res.stdout, /chat-stream-tee \{"left":\["","Hello"," from"," the"," loopback","",""\],"right":\["","Hello"/);
    });

    it('ends abandoned streams and provider errors (429, 500) with the right status', async () => {
      const scenarios = ['abandon-openai', 'abandon-anthropic', 'error-429-openai', 'error-500-openai', 'error-429-anthropic', 'error-500-anthropic'];
      // CommonJS: standalone spans (no session); ESM: inside a session (ErrorEvent path).
      const { spans, res } = await runApp(app, preload, { SCENARIOS: scenarios.join(','), ...(app.endsWith('.mjs') ? { SESSION: '1' } : {}) });
      const llms = llmSpans(spans);
      assert.equal(llms.length, scenarios.length, treeOf(spans).render());
      const [abOpenai, abAnthropic, o429, o500, a429, a500] = llms;
      for (const s of [abOpenai, abAnthropic]) {
        assert.equal(s.status.code, 0);
        assert.equal(attr(s, 'agentops.llm.stream.abandoned'), true);
        assert.ok(s.endTimeUnixNano > s.startTimeUnixNano);
      }
      // The Anthropic stream reported its input usage before it was abandoned.
      assert.equal(num(attr(abAnthropic, 'gen_ai.usage.input_tokens')), 18);
      for (const [s, type, status] of [
        [o429, 'RateLimitError', 429],
        [o500, 'InternalServerError', 500],
        [a429, 'RateLimitError', 429],
        [a500, 'InternalServerError', 500],
      ] as const) {
        assert.equal(s.status.code, 2, s.name);
        assert.equal(attr(s, 'error.type'), type);
        assert.equal(num(attr(s, 'http.response.status_code')), status);
      }
      // The SDK errors reached the app untouched.
      assert.match(res.stdout, /error-429-openai \{"caught":"RateLimitError","status":429/);
      assert.match(res.stdout, /error-500-anthropic \{"caught":"InternalServerError","status":500/);
      if (app.endsWith('.mjs')) {
        const session = spans.find((s) => s.name === 'session');
        assert.equal(attr(session!, 'agentops.session.event_counts.errors'), 4n);
        // Each failed call's ErrorEvent names the same class as the call's span: one failure, one type.
        const errors = spans.filter((s) => attr(s, 'agentops.event.type') === 'errors');
        assert.equal(errors.length, 4);
        for (const e of errors) {
          const call = llms.find((s) => attr(s, 'agentops.event.id') === attr(e, 'agentops.error.trigger_event.id'));
          assert.ok(call, `${e.name} has its call`);
          assert.equal(attr(e, 'error.type'), attr(call, 'error.type'), e.name);
          assert.equal(e.name, `error ${String(attr(call, 'error.type'))}`);
        }
      } else {
        for (const s of llms) assert.equal(s.parentSpanId, undefined, 'outside a session each call is its own trace');
        assert.equal(new Set(llms.map((s) => s.traceId)).size, llms.length);
      }
    });

    it('gives an ErrorEvent the app records for a caught 429 the error.type of the failed call', async () => {
      const { spans } = await runApp(app, preload, { SCENARIOS: 'error-429-openai,error-500-anthropic', SESSION: '1', RECORD_ERRORS: '1' });
      const calls = llmSpans(spans);
      const recorded = spans.filter((s) => attr(s, 'agentops.event.type') === 'errors' && attr(s, 'agentops.error.trigger_event.id') === undefined);
      assert.deepEqual(
        calls.map((s) => attr(s, 'error.type')),
        ['RateLimitError', 'InternalServerError'],
      );
      assert.deepEqual(recorded.map((s) => attr(s, 'error.type')).sort(), ['InternalServerError', 'RateLimitError']);
      assert.deepEqual(recorded.map((s) => s.name).sort(), ['error InternalServerError', 'error RateLimitError']);
    });

    it('keeps prompts and completions out of every span when capture is off', async () => {
      const variants: Array<Record<string, string>> = [{ AGENTOPS_CAPTURE_CONTENT: 'false' }, { OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT: 'false' }];
      for (const env of variants) {
        const { spans } = await runApp(app, preload, { SCENARIOS: [...ALL, 'error-429-openai'].join(','), SESSION: '1', ...env });
        assert.equal(llmSpans(spans).length, ALL.length + 1);
        const text = allText(spans);
        assert.ok(!text.includes(SECRET), `prompt leaked with ${JSON.stringify(env)}`);
        assert.ok(!text.includes(COMPLETION_TEXT), `completion leaked with ${JSON.stringify(env)}`);
        assert.equal(num(attr(llmSpans(spans)[0], 'gen_ai.usage.input_tokens')), 12, 'metadata still recorded');
      }
    });
  });
}

describe('LLM SDK instrumentation: loading and configuration', () => {
  it('gives one span per call for a library loaded by both import and require', async () => {
    const { spans, res } = await runApp('dual.mjs', 'import', {});
    assert.equal(res.stdout, 'import Hello from the loopback\nrequire Hello from the loopback\n');
    const llms = llmSpans(spans);
    assert.equal(llms.length, 2);
    assert.deepEqual(llms.map((s) => String(attr(s, 'agentops.llm.prompt'))).sort(), ['[{"role":"user","content":"via import"}]', '[{"role":"user","content":"via require"}]']);
  });

  it('switches instrumentations off by name (OTEL_NODE_DISABLED_INSTRUMENTATIONS, AGENTOPS_INSTRUMENTATIONS_ENABLED)', async () => {
    const off = await runApp('app.cjs', 'require', { SCENARIOS: 'chat,anthropic', OTEL_NODE_DISABLED_INSTRUMENTATIONS: 'openai' });
    assert.deepEqual(
      llmSpans(off.spans).map((s) => attr(s, 'gen_ai.provider.name')),
      ['anthropic'],
    );
    const only = await runApp('app.mjs', 'import', { SCENARIOS: 'chat,anthropic', AGENTOPS_INSTRUMENTATIONS_ENABLED: 'agentops,openai' });
    assert.deepEqual(
      llmSpans(only.spans).map((s) => attr(s, 'gen_ai.provider.name')),
      ['openai'],
    );
    const bad = await runApp('app.cjs', 'require', { SCENARIOS: 'chat', AGENTOPS_INSTRUMENTATIONS_DISABLED: 'nosuch' });
    assert.equal(llmSpans(bad.spans).length, 1);
    assert.ok(
      bad.res.logs.some((l) => String(l.msg).includes('unknown instrumentation "nosuch"')),
      bad.res.stderr,
    );
  });

  it('with AGENTOPS_AUTO_SESSION=process, collects calls made outside any session in one process session ended at exit', async () => {
    const { spans } = await runApp('app.cjs', 'require', { SCENARIOS: 'chat,anthropic', AGENTOPS_AUTO_SESSION: 'process' });
    const session = spans.find((s) => s.name === 'session');
    assert.ok(session, treeOf(spans).render());
    assert.deepEqual(attr(session, 'agentops.session.tags'), ['auto-session']);
    assert.equal(attr(session, 'agentops.session.end_state'), 'Indeterminate');
    const llms = llmSpans(spans);
    assert.equal(llms.length, 2);
    for (const s of llms) assert.equal(s.parentSpanId, session.spanId);
  });

  it('prices from AGENTOPS_PRICE_TABLE override the built-in table; unknown models get no cost', async () => {
    const table = JSON.stringify({ 'gpt-4o-mini': { input: 1000, output: 0 }, 'claude-3-5-haiku': null });
    const { spans } = await runApp('app.cjs', 'require', { SCENARIOS: 'chat,anthropic', AGENTOPS_PRICE_TABLE: table });
    const [chat, claude] = llmSpans(spans);
    assert.ok(Math.abs((attr(chat, 'agentops.usage.cost_usd') as number) - 0.012) < 1e-12);
    assert.equal(attr(claude, 'agentops.usage.cost_usd'), undefined);
  });
});
