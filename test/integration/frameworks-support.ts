/**
 * What the framework tests (AI SDK, LangChain) share: running a fixture app with and without the
 * preload against the loopback LLM server, and reading a run's spans back: the LLM and tool spans,
 * their token and cost sums over the trace, and what the provider reported for the same requests.
 */
import * as assert from 'node:assert/strict';
import { costUsd, NO_OVERRIDES } from '../../src/shared/prices';
import * as path from 'node:path';
import { REPO_ROOT, type ChildResult, type RunOptions } from '../helpers/child';
import { makeAppDir } from '../helpers/framework-apps';
import { GATEWAY_PATH, GATEWAY_USAGE } from '../helpers/gateway-wire';
import { ANTHROPIC_USAGE, CHAT_USAGE, RESPONSES_USAGE, startLlmServer, type LlmRequestRecord, type LlmServer } from '../helpers/llm-server';
import { loopbackApps, type LoopbackApps } from '../helpers/loopback-apps';
import { attr, treeOf, type ReceivedSpan } from '../helpers/otlp-receiver';

export const NODE_MAJOR = Number(process.versions.node.split('.')[0]);

/** What a framework test file shares: the loopback LLM server and OTLP receiver, and the app directories it made. */
export type FrameworkServers = LoopbackApps<LlmServer>;

/** Starts the servers before the file's tests and closes them (and removes `dirs`) after. Call at the file's top level. */
export function useFrameworkServers(): FrameworkServers {
  return loopbackApps(startLlmServer, (llm) => ({ LLM_BASE: llm.url }));
}

export const AI_SDK_FILES = ['frameworks/ai-sdk-flow.cjs', 'frameworks/ai-sdk.cjs', 'frameworks/ai-sdk.mjs'];

/** A major of the AI SDK the tests run: its app directory, and the Node it needs. */
export interface AiSdkVariant {
  major: number;
  /** The app directory (its node_modules give `ai` and `@ai-sdk/openai` of this major). */
  dir(): string;
  minNode: number;
}

/** 7.x (the current one, needs Node 22) under its own name; 6.x (installed as `ai-v6`, loaded as `ai` from an app directory added to `dirs`) on every Node. */
export function aiSdkVariants(dirs: string[]): AiSdkVariant[] {
  return [
    {
      major: 6,
      minNode: 20,
      dir: () => {
        const d = makeAppDir(AI_SDK_FILES, [
          { name: 'ai', alias: 'ai-v6' },
          { name: '@ai-sdk/openai', alias: '@ai-sdk/openai-v3' },
          { name: 'openai', alias: 'openai' },
        ]);
        dirs.push(d);
        return d;
      },
    },
    { major: 7, minNode: 22, dir: () => path.join(REPO_ROOT, 'test', 'fixtures', 'frameworks') },
  ];
}

export interface AppRun {
  res: ChildResult;
  spans: ReceivedSpan[];
  /** What the app printed as `RESULT <json>`. */
  result: unknown;
  /** The requests the loopback LLM server answered during the run. */
  requests: LlmRequestRecord[];
}

export async function runApp(
  servers: FrameworkServers,
  script: string,
  preload: 'require' | 'import' | 'none',
  env: Record<string, string>,
  options: Pick<RunOptions, 'cwd' | 'execArgv'> = {},
): Promise<AppRun> {
  const before = servers.server.requests.length;
  const { res, spans } = await servers.run(script, preload, env, { ...options, timeoutMs: 60000 });
  const line = res.stdout.split('\n').find((l) => l.startsWith('RESULT '));
  assert.ok(line !== undefined, `the app printed no RESULT line: ${res.stdout}\n${res.stderr}`);
  return { res, spans, result: JSON.parse(line.slice(7)) as unknown, requests: servers.server.requests.slice(before) };
}

export function num(v: unknown): number {
  return typeof v === 'bigint' ? Number(v) : typeof v === 'number' ? v : 0;
}

export function byKind(spans: ReceivedSpan[], kind: string): ReceivedSpan[] {
  return spans.filter((s) => attr(s, 'agentops.event.type') === kind || (attr(s, 'agentops.event.type') === undefined && attr(s, 'agentops.span.kind') === kind));
}

export function named(spans: ReceivedSpan[], name: string): ReceivedSpan[] {
  return spans.filter((s) => s.name === name);
}

export function one(spans: ReceivedSpan[], name: string): ReceivedSpan {
  const found = named(spans, name);
  assert.equal(found.length, 1, `one span "${name}" expected, got ${found.length}:\n${treeOf(spans).render()}`);
  return found[0];
}

export interface Totals {
  input: number;
  output: number;
  cost: number;
}

/** Token and cost sums over every span of the trace that carries them as an LLM call. */
export function spanTotals(spans: ReceivedSpan[]): Totals {
  const t: Totals = { input: 0, output: 0, cost: 0 };
  for (const s of spans) {
    const priced = attr(s, 'agentops.usage.cost_usd');
    if (priced !== undefined) assert.equal(attr(s, 'agentops.event.type') ?? attr(s, 'agentops.span.kind'), 'llms', `a cost on a span that is not an LLM call: ${s.name}`);
    if ((attr(s, 'agentops.event.type') ?? attr(s, 'agentops.span.kind')) !== 'llms') continue;
    t.input += num(attr(s, 'gen_ai.usage.input_tokens'));
    t.output += num(attr(s, 'gen_ai.usage.output_tokens'));
    t.cost += num(priced);
  }
  return t;
}

/** What the loopback provider billed for `requests` (its fixed usage per endpoint), priced as `model`. */
export function providerTotals(requests: LlmRequestRecord[], model: string): Totals {
  const t: Totals = { input: 0, output: 0, cost: 0 };
  for (const r of requests) {
    let u: { inputTokens: number; outputTokens: number; cacheReadTokens?: number; cacheCreationTokens?: number };
    if (r.path === '/v1/chat/completions') u = { inputTokens: CHAT_USAGE.prompt_tokens, outputTokens: CHAT_USAGE.completion_tokens, cacheReadTokens: CHAT_USAGE.prompt_tokens_details.cached_tokens };
    else if (r.path === '/v1/responses') u = { inputTokens: RESPONSES_USAGE.input_tokens, outputTokens: RESPONSES_USAGE.output_tokens };
    else if (r.path === '/v1/embeddings') u = { inputTokens: 8, outputTokens: 0 };
    else if (r.path === GATEWAY_PATH) u = { inputTokens: GATEWAY_USAGE.inputTokens.total, outputTokens: GATEWAY_USAGE.outputTokens.total, cacheReadTokens: GATEWAY_USAGE.inputTokens.cacheRead };
    else if (r.path === '/v1/messages')
      u = { inputTokens: ANTHROPIC_USAGE.input_tokens + ANTHROPIC_USAGE.cache_read_input_tokens + ANTHROPIC_USAGE.cache_creation_input_tokens, outputTokens: ANTHROPIC_USAGE.output_tokens };
    else continue;
    t.input += u.inputTokens;
    t.output += u.outputTokens;
    t.cost += costUsd(NO_OVERRIDES, r.path === '/v1/embeddings' ? String(r.body.model) : model, u, r.path === '/v1/messages' ? 'anthropic' : 'openai') ?? 0;
  }
  return t;
}

export function assertTotals(actual: Totals, expected: Totals): void {
  assert.equal(actual.input, expected.input, 'input tokens over the trace');
  assert.equal(actual.output, expected.output, 'output tokens over the trace');
  assert.ok(Math.abs(actual.cost - expected.cost) < 1e-9, `cost over the trace: ${actual.cost} vs ${expected.cost}`);
}

/** Every span in one trace, and (in a session) that trace is the session's. */
export function assertOneTrace(spans: ReceivedSpan[], sessionId?: string): void {
  const ids = new Set(spans.map((s) => s.traceId));
  assert.equal(ids.size, 1, `one trace expected:\n${treeOf(spans).render()}`);
  if (sessionId !== undefined) assert.equal([...ids][0], sessionId.replace(/-/g, ''));
  assert.equal(treeOf(spans).orphans.length, 0, 'no span points at a parent that was not exported');
}

export function parentOf(spans: ReceivedSpan[], span: ReceivedSpan): ReceivedSpan | undefined {
  return spans.find((s) => s.spanId === span.parentSpanId);
}
