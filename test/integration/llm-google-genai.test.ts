/**
 * The real @google/genai SDK, pointed (`httpOptions.baseUrl`) at the loopback LLM server speaking
 * the Gemini REST wire format, in child processes under the preload (CommonJS `--require` and ESM
 * `--import`), exporting to the loopback OTLP receiver.
 */
import * as assert from 'node:assert/strict';
import { type ChildResult } from '../helpers/child';
import { GEMINI_EMBEDDING_DIMS, GEMINI_RESPONSE_ID, GEMINI_USAGE, VERTEX_EMBEDDING_TOKENS } from '../helpers/gemini-wire';
import { startLlmServer } from '../helpers/llm-server';
import { attr, treeOf, type ReceivedSpan } from '../helpers/otlp-receiver';
import { loopbackApps, type LoopbackRun } from '../helpers/loopback-apps';

const SECRET = 'SECRET_PROMPT_9c1e';
const COMPLETION_TEXT = 'loopback';
/** Each a single SDK call, except `chat`: two sends, so two calls. */
const CALLS = ['generate', 'generate-stream', 'embed', 'vertex-generate', 'vertex-embed', 'chat', 'chat-stream'];
const FAILURES = ['error-429', 'error-400', 'error-429-stream', 'stream-cut', 'abandon'];

const INPUT = GEMINI_USAGE.promptTokenCount;
const OUTPUT = GEMINI_USAGE.candidatesTokenCount + GEMINI_USAGE.thoughtsTokenCount;

const apps = loopbackApps(startLlmServer, (llm) => ({ LLM_BASE: llm.geminiBaseURL }));

interface Run extends LoopbackRun {
  /** HTTP requests the SDK made in this run. */
  requests: number;
}

async function runApp(app: string, preload: 'require' | 'import' | 'none', env: Record<string, string>): Promise<Run> {
  const before = apps.server.requests.length;
  const run = await apps.run(`test/fixtures/llm/${app}`, preload, env);
  return { ...run, requests: apps.server.requests.length - before };
}

function llmSpans(spans: ReceivedSpan[]): ReceivedSpan[] {
  return spans.filter((s) => attr(s, 'agentops.span.kind') === 'llms').sort((a, b) => (a.startTimeUnixNano < b.startTimeUnixNano ? -1 : 1));
}

function num(v: unknown): number | undefined {
  return typeof v === 'bigint' ? Number(v) : typeof v === 'number' ? v : undefined;
}

function show(span: ReceivedSpan): string {
  return `${span.name}: ${JSON.stringify(span.attributes, (_k, v: unknown) => (typeof v === 'bigint' ? Number(v) : v))}`;
}

function allText(spans: ReceivedSpan[]): string {
  return JSON.stringify(
    spans.map((s) => ({ a: s.attributes, e: s.events.map((e) => e.attributes), st: s.status })),
    (_k, v: unknown) => (typeof v === 'bigint' ? v.toString() : v),
  );
}

/** Our warnings (a failure of the tracing itself): there must be none. */
function ownWarnings(res: ChildResult): unknown[] {
  return res.logs.filter((l) => l.level === 'warn' || l.level === 'error');
}

function checkGenerated(span: ReceivedSpan, provider: string, streamed: boolean): void {
  const where = show(span);
  assert.equal(span.name, 'generate_content gemini-2.5-flash', where);
  assert.equal(span.status.code, 0, where);
  assert.equal(attr(span, 'gen_ai.operation.name'), 'generate_content', where);
  assert.equal(attr(span, 'gen_ai.provider.name'), provider, where);
  assert.equal(attr(span, 'gen_ai.request.model'), 'gemini-2.5-flash', where);
  assert.equal(attr(span, 'gen_ai.response.model'), 'gemini-2.5-flash-002', where);
  assert.equal(attr(span, 'gen_ai.response.id'), GEMINI_RESPONSE_ID, where);
  assert.deepEqual(attr(span, 'gen_ai.response.finish_reasons'), ['STOP'], where);
  // Exactly the server's usageMetadata: thinking tokens are output, cached tokens part of the input.
  assert.equal(num(attr(span, 'gen_ai.usage.input_tokens')), INPUT, where);
  assert.equal(num(attr(span, 'gen_ai.usage.output_tokens')), OUTPUT, where);
  assert.equal(num(attr(span, 'gen_ai.usage.cache_read.input_tokens')), GEMINI_USAGE.cachedContentTokenCount, where);
  assert.equal(num(attr(span, 'gen_ai.usage.reasoning.output_tokens')), GEMINI_USAGE.thoughtsTokenCount, where);
  // gemini-2.5-flash-002 is not a name the price data knows; the requested gemini-2.5-flash is
  // (0.30 in, 0.03 cached, 2.50 out per 1M): 7 x 0.3 + 4 x 0.03 + 11 x 2.5.
  const cost = attr(span, 'agentops.usage.cost_usd');
  assert.ok(typeof cost === 'number' && Math.abs(cost - 0.00002972) < 1e-12, where);
  assert.equal(attr(span, 'server.address'), '127.0.0.1', where);
  assert.equal(num(attr(span, 'server.port')), apps.server.port, where);
  assert.equal(attr(span, 'gen_ai.request.stream'), streamed ? true : undefined, where);
  assert.equal(attr(span, 'agentops.llm.streaming'), streamed ? true : undefined, where);
  // The conventions' structured content: the prompt as a user message, the answer with its finish reason.
  // (A chat's later turns carry the history: the first message is the prompt.)
  const input = JSON.parse(String(attr(span, 'gen_ai.input.messages'))) as Array<{ role: string; parts: unknown[] }>;
  assert.deepEqual(input[0], { role: 'user', parts: [{ type: 'text', content: 'SECRET_PROMPT_9c1e say hello' }] }, where);
  assert.ok(
    input.every((m) => m.role === 'user' || m.role === 'assistant'),
    where,
  );
  const output = JSON.parse(String(attr(span, 'gen_ai.output.messages'))) as Array<{ role: string; parts: Array<{ type: string; content?: string }>; finish_reason: string }>;
  assert.equal(output.length, 1, where);
  assert.equal(output[0].role, 'assistant', where);
  assert.equal(output[0].finish_reason, 'stop', where);
  assert.ok(
    output[0].parts.some((p) => p.type === 'text' && (p.content ?? '').length > 0),
    where,
  );
  const ttfc = attr(span, 'gen_ai.response.time_to_first_chunk');
  if (!streamed) assert.equal(ttfc, undefined, where);
  else assert.ok(typeof ttfc === 'number' && ttfc >= 0 && ttfc * 1e9 <= Number(span.endTimeUnixNano - span.startTimeUnixNano), where);
}

for (const [app, preload] of [
  ['genai.cjs', 'require'],
  ['genai.mjs', 'import'],
] as const) {
  describe(`@google/genai in a ${app.endsWith('.mjs') ? 'ESM' : 'CommonJS'} app under --${preload}`, () => {
    it('turns each call (plain, streamed, embeddings, chat sends) into one span under the current agent', async () => {
      const { spans, res, requests } = await runApp(app, preload, { SCENARIOS: CALLS.join(','), SESSION: '1', AGENT: 'writer' });
      const tree = treeOf(spans);
      const llms = llmSpans(spans);
      // One span per SDK call, and as many as the SDK made requests: a chat send is not two spans.
      assert.equal(llms.length, CALLS.length + 1, tree.render());
      assert.equal(requests, llms.length);
      // Only our spans (in a session the AgentOps instrumentation makes the LLM span).
      assert.deepEqual([...new Set(spans.map((s) => s.scope.name))], ['agentops-otel/instrumentation-agentops']);
      const agent = spans.find((s) => s.name === 'invoke_agent writer');
      const session = spans.find((s) => s.name === 'session');
      assert.ok(agent && session, tree.render());
      assert.equal(attr(session, 'agentops.session.event_counts.llms'), BigInt(llms.length));
      for (const span of llms) {
        assert.equal(span.parentSpanId, agent.spanId, show(span));
        assert.equal(span.traceId, session.traceId, show(span));
      }
      const [generate, stream, embed, vertexGenerate, vertexEmbed, chat1, chat2, chatStream] = llms;
      checkGenerated(generate, 'gcp.gemini', false);
      checkGenerated(stream, 'gcp.gemini', true);
      checkGenerated(vertexGenerate, 'gcp.vertex_ai', false);
      checkGenerated(chat1, 'gcp.gemini', false);
      checkGenerated(chat2, 'gcp.gemini', false);
      checkGenerated(chatStream, 'gcp.gemini', true);
      for (const span of [generate, stream, vertexGenerate]) {
        assert.equal(attr(span, 'gen_ai.request.temperature'), 0.2, show(span));
        assert.equal(num(attr(span, 'gen_ai.request.max_tokens')), 64, show(span));
        assert.equal(attr(span, 'gen_ai.request.top_p'), 0.9, show(span));
        assert.equal(num(attr(span, 'gen_ai.request.top_k')), 20, show(span));
        assert.deepEqual(attr(span, 'gen_ai.request.stop_sequences'), ['END'], show(span));
      }
      assert.equal(attr(chat1, 'gen_ai.request.temperature'), 0.5, 'the chat config reaches the call');
      for (const [span, provider, tokens] of [
        [embed, 'gcp.gemini', undefined],
        [vertexEmbed, 'gcp.vertex_ai', 2 * VERTEX_EMBEDDING_TOKENS],
      ] as const) {
        assert.equal(span.name, 'embeddings text-embedding-004', show(span));
        assert.equal(span.status.code, 0, show(span));
        assert.equal(attr(span, 'gen_ai.operation.name'), 'embeddings');
        assert.equal(attr(span, 'gen_ai.provider.name'), provider);
        assert.equal(num(attr(span, 'gen_ai.embeddings.dimension.count')), GEMINI_EMBEDDING_DIMS);
        assert.equal(num(attr(span, 'gen_ai.usage.input_tokens')), tokens, show(span));
      }
      // Content is captured by default: prompts, completions, and a streamed completion assembled.
      assert.ok(String(attr(generate, 'agentops.llm.prompt')).includes(SECRET));
      assert.ok(String(attr(generate, 'agentops.llm.completion')).includes('Hello from the loopback'));
      assert.ok(String(attr(stream, 'agentops.llm.completion')).includes('Hello from the loopback'), show(stream));
      assert.ok(String(attr(chatStream, 'agentops.llm.completion')).includes('Hello from the loopback'), show(chatStream));
      // The second chat send carries the conversation so far, as the SDK sent it.
      assert.ok(String(attr(chat2, 'agentops.llm.prompt')).includes(SECRET) && String(attr(chat2, 'agentops.llm.prompt')).includes('and again'), show(chat2));
      assert.deepEqual(ownWarnings(res), [], res.stderr);
    });

    it("leaves the app's output byte-identical (responses, chunks, chat history, errors)", async () => {
      const scenarios = [...CALLS, ...FAILURES].join(',');
      const plain = await runApp(app, 'none', { SCENARIOS: scenarios });
      const standalone = await runApp(app, preload, { SCENARIOS: scenarios });
      const traced = await runApp(app, preload, { SCENARIOS: scenarios, SESSION: '1', AGENT: 'writer' });
      assert.ok(plain.res.stdout.length > 1000);
      assert.equal(plain.spans.length, 0);
      assert.equal(standalone.res.stdout, plain.res.stdout);
      assert.equal(traced.res.stdout, plain.res.stdout);
      assert.equal(llmSpans(standalone.spans).length, CALLS.length + 1 + FAILURES.length);
      assert.equal(llmSpans(traced.spans).length, CALLS.length + 1 + FAILURES.length);
      // What the app's own error handling saw: the SDK's errors, the cut stream's chunks then its error.
      assert.match(traced.res.stdout, /error-429 \{"caught":"ApiError","name":"ApiError","status":429/);
      assert.match(traced.res.stdout, /stream-cut \{"seen":\["Hello"," from"\],"caught":"TypeError","name":"TypeError","message":"terminated"\}/);
      assert.deepEqual(ownWarnings(traced.res), [], traced.res.stderr);
    });

    it('ends failed calls (429, 400, a 429 on a stream, a stream cut mid-way) as one ERROR span each, and abandoned streams', async () => {
      // CommonJS: standalone spans (no session); ESM: inside a session (ErrorEvent path).
      const inSession = app.endsWith('.mjs');
      const { spans, res, requests } = await runApp(app, preload, { SCENARIOS: FAILURES.join(','), ...(inSession ? { SESSION: '1' } : {}) });
      const llms = llmSpans(spans);
      assert.equal(llms.length, FAILURES.length, treeOf(spans).render());
      assert.equal(requests, FAILURES.length);
      const [e429, e400, e429Stream, cut, abandoned] = llms;
      for (const [s, type, status] of [
        [e429, 'ApiError', 429],
        [e400, 'ApiError', 400],
        [e429Stream, 'ApiError', 429],
        [cut, 'TypeError', undefined],
      ] as const) {
        assert.equal(s.status.code, 2, show(s));
        assert.equal(attr(s, 'error.type'), type, show(s));
        assert.equal(num(attr(s, 'http.response.status_code')), status, show(s));
        assert.equal(attr(s, 'gen_ai.usage.output_tokens'), undefined, show(s));
      }
      assert.equal(attr(e429Stream, 'gen_ai.request.stream'), true);
      // The cut stream delivered its first chunks before the connection dropped.
      assert.equal(attr(cut, 'gen_ai.request.stream'), true);
      assert.equal(abandoned.status.code, 0, show(abandoned));
      assert.equal(attr(abandoned, 'agentops.llm.stream.abandoned'), true);
      // Running usage seen before the app stopped reading: the prompt tokens.
      assert.equal(num(attr(abandoned, 'gen_ai.usage.input_tokens')), INPUT);
      assert.match(res.stdout, /error-400 \{"caught":"ApiError","name":"ApiError","status":400/);
      assert.deepEqual(ownWarnings(res), [], res.stderr);
      if (inSession) {
        const session = spans.find((s) => s.name === 'session');
        assert.equal(attr(session!, 'agentops.session.event_counts.errors'), 4n);
        for (const s of llms) assert.equal(s.traceId, session!.traceId);
      } else {
        for (const s of llms) {
          assert.equal(s.parentSpanId, undefined, 'outside a session each call is its own trace');
          assert.equal(s.scope.name, 'agentops-otel/instrumentation-google-genai');
        }
        assert.equal(new Set(llms.map((s) => s.traceId)).size, llms.length);
      }
    });

    it('keeps prompts and completions out of every span when capture is off', async () => {
      const { spans } = await runApp(app, preload, { SCENARIOS: [...CALLS, 'error-429'].join(','), SESSION: '1', AGENTOPS_CAPTURE_CONTENT: 'false' });
      const llms = llmSpans(spans);
      assert.equal(llms.length, CALLS.length + 2);
      const text = allText(spans);
      assert.ok(!text.includes(SECRET), 'prompt leaked');
      assert.ok(!text.includes(COMPLETION_TEXT), 'completion leaked');
      assert.equal(num(attr(llms[1], 'gen_ai.usage.input_tokens')), INPUT, 'metadata still recorded');
    });
  });
}

describe('@google/genai instrumentation: loading and configuration', () => {
  it('gives one span per call for the SDK loaded by both import and require', async () => {
    const { spans, res } = await runApp('genai-dual.mjs', 'import', {});
    assert.equal(res.stdout, 'import Hello from the loopback\nrequire Hello from the loopback\n');
    const llms = llmSpans(spans);
    assert.deepEqual(llms.map((s) => String(attr(s, 'agentops.llm.prompt'))).sort(), ['via import', 'via require']);
  });

  it('switches off by name (google-genai)', async () => {
    const off = await runApp('genai.cjs', 'require', { SCENARIOS: 'generate,generate-stream', OTEL_NODE_DISABLED_INSTRUMENTATIONS: 'google-genai' });
    assert.equal(llmSpans(off.spans).length, 0);
    const only = await runApp('genai.mjs', 'import', { SCENARIOS: 'generate', AGENTOPS_INSTRUMENTATIONS_ENABLED: 'google-genai' });
    assert.equal(llmSpans(only.spans).length, 1);
  });

  it('prices a Gemini model from AGENTOPS_PRICE_TABLE, cached input at its rate and thinking tokens as output', async () => {
    const table = JSON.stringify({ 'gemini-2.5-flash': { input: 1, output: 2, cacheRead: 0.5 } });
    const { spans } = await runApp('genai.cjs', 'require', { SCENARIOS: 'generate,generate-stream', AGENTOPS_PRICE_TABLE: table });
    // (11 - 4) x 1 + 4 x 0.5 + (6 + 5) x 2 per 1M tokens.
    for (const span of llmSpans(spans)) assert.ok(Math.abs((attr(span, 'agentops.usage.cost_usd') as number) - 0.000031) < 1e-12, show(span));
  });
});
