/**
 * The real `@aws-sdk/client-bedrock-runtime`, pointed at the loopback Bedrock Runtime (HTTP/2,
 * restJson1, binary event streams), in child processes under the preload (CommonJS `--require`
 * and ESM `--import`), exporting to the loopback OTLP receiver.
 */
import * as assert from 'node:assert/strict';
import { ANTHROPIC_USAGE, CONVERSE_USAGE, INVOCATION_METRICS, LLAMA_COUNTS, NOVA_USAGE, REQUEST_ID, startBedrockServer } from '../helpers/bedrock-server';
import { attr, treeOf, type ReceivedSpan } from '../helpers/otlp-receiver';
import { loopbackApps, type LoopbackRun } from '../helpers/loopback-apps';

const SECRET = 'SECRET_PROMPT_b3d9';
const COMPLETION_TEXT = 'loopback';
const GLOBAL_HAIKU = 'global.anthropic.claude-haiku-4-5-20251001-v1:0';

interface Expected {
  operation: string;
  model: string;
  input: number;
  output: number;
  cacheRead?: number;
  cacheWrite?: number;
  finish?: string;
  responseModel?: string;
  responseId?: string;
  cost?: number;
  stream?: boolean;
}

// Converse: input = inputTokens + cache reads + cache writes (Bedrock counts them apart).
const CONVERSE_TOKENS = {
  input: CONVERSE_USAGE.inputTokens + CONVERSE_USAGE.cacheReadInputTokens + CONVERSE_USAGE.cacheWriteInputTokens,
  output: CONVERSE_USAGE.outputTokens,
  cacheRead: 6,
  cacheWrite: 2,
};
const ANTHROPIC_TOKENS = {
  input: ANTHROPIC_USAGE.input_tokens + ANTHROPIC_USAGE.cache_read_input_tokens + ANTHROPIC_USAGE.cache_creation_input_tokens,
  output: ANTHROPIC_USAGE.output_tokens,
  cacheRead: 5,
  cacheWrite: 3,
};

const EXPECTED: Record<string, Expected> = {
  // Prices per 1M tokens from @pydantic/genai-prices (in, cache read, cache write, out).
  // Global claude-haiku-4-5 (1, 0.1, 1.25, 5): 10 + 0.6 + 2.5 + 40
  converse: { operation: 'chat', model: GLOBAL_HAIKU, ...CONVERSE_TOKENS, finish: 'end_turn', cost: 0.0000531 },
  // A geographic profile, at the regional price of claude-3-5-haiku (0.8, 0.08, 1, 4): 8 + 0.48 + 2 + 32
  'converse-stream': { operation: 'chat', model: 'us.anthropic.claude-3-5-haiku-20241022-v1:0', ...CONVERSE_TOKENS, finish: 'end_turn', stream: true, cost: 0.00004248 },
  // Nova micro (0.035, 0.00875, none: cache writes are input, 0.14): 12 x 0.035 + 6 x 0.00875 + 8 x 0.14
  'converse-callback': { operation: 'chat', model: 'amazon.nova-micro-v1:0', ...CONVERSE_TOKENS, finish: 'end_turn', cost: 0.0000015925 },
  // Nova lite (0.06, 0.015, none, 0.24): 12 x 0.06 + 6 x 0.015 + 8 x 0.24
  'converse-aggregated': { operation: 'chat', model: 'amazon.nova-lite-v1:0', ...CONVERSE_TOKENS, finish: 'end_turn', cost: 0.00000273 },
  // 11 + 0.5 + 3.75 + 45
  'invoke-anthropic': { operation: 'chat', model: GLOBAL_HAIKU, ...ANTHROPIC_TOKENS, finish: 'end_turn', responseModel: 'claude-haiku-4-5-20251001', responseId: 'msg_bdrk_01', cost: 0.00006025 },
  // The model's own usage events, not the invocation metrics of the last chunk. Claude 3 Haiku
  // (0.25 in, 1.25 out, no cache rates on Bedrock): 19 x 0.25 + 9 x 1.25
  'invoke-anthropic-stream': {
    operation: 'chat',
    model: 'anthropic.claude-3-haiku-20240307-v1:0',
    ...ANTHROPIC_TOKENS,
    finish: 'end_turn',
    responseModel: 'claude-3-haiku-20240307',
    responseId: 'msg_bdrk_02',
    stream: true,
    cost: 0.000016,
  },
  'invoke-nova': { operation: 'chat', model: 'amazon.nova-micro-v1:0', input: NOVA_USAGE.inputTokens, output: NOVA_USAGE.outputTokens, finish: 'end_turn', cost: 0.00000133 },
  'invoke-nova-stream': { operation: 'chat', model: 'us.amazon.nova-lite-v1:0', input: NOVA_USAGE.inputTokens, output: NOVA_USAGE.outputTokens, finish: 'end_turn', stream: true, cost: 0.00000228 },
  // Llama 3.1 8B: 0.22 in and out; Llama 3.2 3B: 0.15.
  'invoke-llama': {
    operation: 'text_completion',
    model: 'meta.llama3-1-8b-instruct-v1:0',
    input: LLAMA_COUNTS.prompt_token_count,
    output: LLAMA_COUNTS.generation_token_count,
    finish: 'stop',
    cost: 0.00000506,
  },
  'invoke-llama-stream': {
    operation: 'text_completion',
    model: 'us.meta.llama3-2-3b-instruct-v1:0',
    input: LLAMA_COUNTS.prompt_token_count,
    output: LLAMA_COUNTS.generation_token_count,
    finish: 'stop',
    stream: true,
    cost: 0.00000345,
  },
  // A family read only through `amazon-bedrock-invocationMetrics`. Mistral Small (1 in, 3 out).
  'invoke-mistral-stream': {
    operation: 'text_completion',
    model: 'mistral.mistral-small-2402-v1:0',
    input: INVOCATION_METRICS.inputTokenCount,
    output: INVOCATION_METRICS.outputTokenCount,
    stream: true,
    cost: 0.00006,
  },
};
const ALL = Object.keys(EXPECTED);
const FAULTS = ['error-429', 'error-400', 'stream-cut', 'invoke-stream-cut', 'stream-exception', 'abandon'];

const apps = loopbackApps(startBedrockServer, (bedrock) => ({
  BEDROCK_URL: bedrock.url,
  // The SDK warns on Node < 22 that its future releases will need 22: not ours to show.
  AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
  // No credentials, config or metadata lookups of the machine: the app passes its own.
  AWS_CONFIG_FILE: '/nonexistent',
  AWS_SHARED_CREDENTIALS_FILE: '/nonexistent',
  AWS_EC2_METADATA_DISABLED: 'true',
}));

function runApp(app: string, preload: 'require' | 'import' | 'none', env: Record<string, string>): Promise<LoopbackRun> {
  return apps.run(`test/fixtures/llm/${app}`, preload, env);
}

function llmSpans(spans: ReceivedSpan[]): ReceivedSpan[] {
  return spans.filter((s) => attr(s, 'agentops.span.kind') === 'llms').sort((a, b) => (a.startTimeUnixNano < b.startTimeUnixNano ? -1 : 1));
}

function num(v: unknown): number | undefined {
  return typeof v === 'bigint' ? Number(v) : typeof v === 'number' ? v : undefined;
}

type Message = { role: string; parts: Array<{ type: string; content?: string }>; finish_reason?: string };

/** The conventions' structured content: the prompt in the input, `system` apart, an answer with its finish reason. */
function checkMessages(span: ReceivedSpan, scenario: string, where: string): void {
  const json = (key: string): unknown => (typeof attr(span, key) === 'string' ? JSON.parse(attr(span, key) as string) : undefined);
  const input = json('gen_ai.input.messages') as Message[];
  assert.ok(
    input.some((m) => m.role === 'user' && m.parts.some((p) => p.type === 'text' && String(p.content).includes('SECRET_PROMPT_b3d9'))),
    where,
  );
  // The fixture gives `system` to the plain Converse call and to the Anthropic and Nova bodies.
  const system = json('gen_ai.system_instructions');
  assert.deepEqual(system, scenario === 'converse' || (/anthropic|nova/.test(scenario) && scenario.startsWith('invoke')) ? [{ type: 'text', content: 'Be brief.' }] : undefined, where);
  const output = json('gen_ai.output.messages') as Message[] | undefined;
  if (scenario === 'invoke-mistral-stream') return; // a family whose body is not read: no answer known
  assert.equal(output?.length, 1, where);
  assert.equal(output[0].role, 'assistant', where);
  assert.equal(output[0].finish_reason, 'stop', where);
  assert.ok(
    output[0].parts.some((p) => p.type === 'text' && (p.content ?? '').length > 0),
    where,
  );
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

for (const [app, preload] of [
  ['bedrock-app.cjs', 'require'],
  ['bedrock-app.mjs', 'import'],
] as const) {
  describe(`AWS Bedrock Runtime in a ${app.endsWith('.mjs') ? 'ESM' : 'CommonJS'} app under --${preload}`, () => {
    it('turns each call (Converse, InvokeModel per body family, plain and streamed) into one span under the current agent', async () => {
      const { spans, res } = await runApp(app, preload, { SCENARIOS: ALL.join(','), SESSION: '1', AGENT: 'researcher' });
      const tree = treeOf(spans);
      const llms = llmSpans(spans);
      assert.equal(llms.length, ALL.length, tree.render());
      // Only our spans (in a session, the LLM events are the AgentOps instrumentation's).
      for (const s of spans) assert.ok(['agentops-otel/instrumentation-agentops', 'agentops-otel/instrumentation-aws-bedrock'].includes(s.scope.name), s.scope.name);
      const agent = spans.find((s) => s.name === 'invoke_agent researcher');
      const session = spans.find((s) => s.name === 'session');
      assert.ok(agent && session, tree.render());
      assert.equal(attr(session, 'agentops.session.event_counts.llms'), BigInt(ALL.length));
      ALL.forEach((scenario, i) => {
        const span = llms[i];
        const e = EXPECTED[scenario];
        const where = `${scenario}: ${show(span)}`;
        assert.equal(span.name, `${e.operation} ${e.model}`, where);
        assert.equal(span.parentSpanId, agent.spanId, where);
        assert.equal(span.traceId, session.traceId, where);
        assert.equal(span.status.code, 0, where);
        assert.equal(attr(span, 'gen_ai.provider.name'), 'aws.bedrock', where);
        assert.equal(attr(span, 'gen_ai.operation.name'), e.operation, where);
        assert.equal(attr(span, 'gen_ai.request.model'), e.model, where);
        assert.equal(attr(span, 'gen_ai.response.model'), e.responseModel, where);
        assert.equal(attr(span, 'gen_ai.response.id'), e.responseId, where);
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
        assert.equal(attr(span, 'aws.request.id'), REQUEST_ID, where);
        assert.equal(attr(span, 'gen_ai.request.stream'), e.stream === true ? true : undefined, where);
        assert.equal(attr(span, 'agentops.llm.streaming'), e.stream === true ? true : undefined, where);
        const ttfc = attr(span, 'gen_ai.response.time_to_first_chunk');
        if (e.stream === true) assert.ok(typeof ttfc === 'number' && ttfc > 0 && ttfc < 10, where);
        else assert.equal(ttfc, undefined, where);
        checkMessages(span, scenario, where);
      });
      const [converse] = llms;
      assert.equal(num(attr(converse, 'gen_ai.request.max_tokens')), 64);
      assert.equal(attr(converse, 'gen_ai.request.temperature'), 0.2);
      assert.equal(attr(converse, 'gen_ai.request.top_p'), 0.9);
      assert.deepEqual(attr(converse, 'gen_ai.request.stop_sequences'), ['END']);
      assert.equal(num(attr(llms[ALL.indexOf('invoke-llama')], 'gen_ai.request.max_tokens')), 48);
      assert.equal(num(attr(llms[ALL.indexOf('invoke-nova')], 'gen_ai.request.max_tokens')), 32);
      // Content is captured by default, from Converse messages and from each body family.
      for (const scenario of ['converse', 'converse-stream', 'invoke-anthropic', 'invoke-anthropic-stream', 'invoke-nova-stream', 'invoke-llama', 'invoke-llama-stream']) {
        const span = llms[ALL.indexOf(scenario)];
        assert.ok(String(attr(span, 'agentops.llm.prompt')).includes(SECRET), `${scenario} prompt`);
        assert.ok(String(attr(span, 'agentops.llm.completion')).includes(COMPLETION_TEXT), `${scenario} completion`);
      }
      assert.ok(!res.stderr.includes('Warning'), res.stderr);
      assert.equal(res.logs.filter((l) => l.level === 'warn' || l.level === 'error').length, 0, res.stderr);
    });

    it("leaves the app's output byte-identical (responses, stream events, errors)", async () => {
      const scenarios = [...ALL, ...FAULTS, 'unawaited-429'].join(',');
      const plain = await runApp(app, 'none', { SCENARIOS: scenarios });
      const traced = await runApp(app, preload, { SCENARIOS: scenarios });
      assert.ok(plain.res.stdout.length > 3000);
      assert.equal(traced.res.stdout, plain.res.stdout);
      assert.match(traced.res.stdout, /unawaited-429 \{"unhandled":\["ThrottlingException"\]\}/);
      assert.equal(plain.spans.length, 0);
      assert.equal(llmSpans(traced.spans).length, ALL.length + FAULTS.length + 1);
    });

    it('ends service errors, cut and failed streams with ERROR, abandoned streams with OK', async () => {
      // CommonJS: standalone spans (no session); ESM: inside a session (the ErrorEvent path).
      const { spans, res } = await runApp(app, preload, { SCENARIOS: FAULTS.join(','), ...(app.endsWith('.mjs') ? { SESSION: '1' } : {}) });
      const llms = llmSpans(spans);
      assert.equal(llms.length, FAULTS.length, treeOf(spans).render());
      const [e429, e400, cut, invokeCut, streamErr, abandon] = llms;
      for (const [s, type, status] of [
        [e429, 'ThrottlingException', 429],
        [e400, 'ValidationException', 400],
        [cut, 'Error', undefined],
        [invokeCut, 'Error', undefined],
        [streamErr, 'ModelStreamErrorException', undefined],
      ] as const) {
        assert.equal(s.status.code, 2, show(s));
        assert.equal(attr(s, 'error.type'), type, show(s));
        assert.equal(num(attr(s, 'http.response.status_code')), status, show(s));
      }
      // The client's first call (429) resolved its endpoint while it ran: failed calls name their server too.
      for (const s of llms) assert.equal(attr(s, 'server.address'), '127.0.0.1', show(s));
      assert.equal(e429.name, 'chat anthropic.claude-error-429-v1:0');
      assert.equal(abandon.status.code, 0);
      assert.equal(attr(abandon, 'agentops.llm.stream.abandoned'), true);
      assert.ok(abandon.endTimeUnixNano > abandon.startTimeUnixNano);
      // The SDK's errors reached the app as they are.
      assert.match(res.stdout, /error-429 \{"caught":"ThrottlingException","ctor":"ThrottlingException","status":429,"fault":"client"/);
      assert.match(res.stdout, /error-400 \{"caught":"ValidationException","ctor":"ValidationException","status":400/);
      assert.match(
        res.stdout,
        /stream-cut \{"seen":\[\{"messageStart":\{"role":"assistant"\}\},\{"contentBlockDelta":.*"caught":"Error","ctor":"Error".*"message":"Truncated event message received."/,
      );
      assert.match(res.stdout, /stream-exception \{"seen":\[.*\],"caught":"ModelStreamErrorException"/);
      assert.match(res.stdout, /abandon \["messageStart","contentBlockDelta","contentBlockDelta"\]/);
      if (app.endsWith('.mjs')) {
        const session = spans.find((s) => s.name === 'session');
        assert.equal(attr(session!, 'agentops.session.event_counts.errors'), 5n);
        for (const s of llms) assert.equal(s.traceId, session!.traceId);
      } else {
        for (const s of llms) assert.equal(s.parentSpanId, undefined, 'outside a session each call is its own trace');
        assert.equal(new Set(llms.map((s) => s.traceId)).size, llms.length);
      }
    });

    it('keeps prompts and completions out of every span when capture is off', async () => {
      const { spans } = await runApp(app, preload, { SCENARIOS: [...ALL, 'error-429'].join(','), SESSION: '1', AGENTOPS_CAPTURE_CONTENT: 'false' });
      assert.equal(llmSpans(spans).length, ALL.length + 1);
      const text = allText(spans);
      assert.ok(!text.includes(SECRET), 'prompt leaked');
      assert.ok(!text.includes(COMPLETION_TEXT), 'completion leaked');
      assert.equal(num(attr(llmSpans(spans)[0], 'gen_ai.usage.input_tokens')), CONVERSE_TOKENS.input, 'metadata still recorded');
    });
  });
}

describe('AWS Bedrock instrumentation: configuration', () => {
  it('is switched off by name (aws-bedrock)', async () => {
    const { spans, res } = await runApp('bedrock-app.cjs', 'require', { SCENARIOS: 'converse,converse-stream', AGENTOPS_INSTRUMENTATIONS_DISABLED: 'aws-bedrock' });
    assert.equal(llmSpans(spans).length, 0);
    assert.match(res.stdout, /converse-stream \{"\$metadata"/);
  });

  it('prices Bedrock ids from AGENTOPS_PRICE_TABLE entries under the Bedrock id, before the built-in prices; null prices nothing', async () => {
    const table = JSON.stringify({ 'amazon.nova-micro-v1:0': { input: 1000, output: 0 }, [GLOBAL_HAIKU]: null });
    const { spans } = await runApp('bedrock-app.cjs', 'require', { SCENARIOS: 'invoke-nova,converse', AGENTOPS_PRICE_TABLE: table });
    const [nova, converse] = llmSpans(spans);
    assert.ok(Math.abs((attr(nova, 'agentops.usage.cost_usd') as number) - 0.014) < 1e-12, show(nova));
    assert.equal(attr(converse, 'agentops.usage.cost_usd'), undefined, show(converse));
  });
});
