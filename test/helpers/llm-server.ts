/**
 * Loopback LLM provider for tests and benchmarks: answers the OpenAI (`/v1/chat/completions`,
 * `/v1/responses`, `/v1/embeddings`) and Anthropic (`/v1/messages`) endpoints with the providers'
 * real response shapes, plain JSON or server-sent events, on 127.0.0.1 (ephemeral port). No network.
 * Gemini / Vertex AI paths (@google/genai) are answered by gemini-wire.ts, the Vercel AI Gateway's
 * (@ai-sdk/gateway, under `/gateway`) by gateway-wire.ts.
 *
 * Scripting, from the request itself so a child process needs no back channel:
 * - a model name containing `error-429` answers 429 (with `retry-after` and rate-limit headers),
 *   `error-500` answers 500, in each provider's error body;
 * - the `x-test-chunks` request header sets how many text deltas a stream has (default 4);
 * - the `x-test-text` request header sets the text answered (split into those deltas), e.g. JSON;
 * - Chat Completions requests with `tools`: the model calls each function tool it has not yet
 *   called (arguments `{"a":2,"b":3}`, one call per answer), then answers text;
 * - Responses requests from @openai/agents: the model calls a `transfer_to_*` tool it has not yet
 *   called, then any other tool it has not yet called (arguments `{"a":2,"b":3}`), then answers text.
 */
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import { gatewayRoute } from './gateway-wire';
import { geminiRoute } from './gemini-wire';

export interface LlmRequestRecord {
  path: string;
  headers: http.IncomingHttpHeaders;
  body: Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any
}

export interface LlmServer {
  /** `http://127.0.0.1:PORT` */
  url: string;
  /** OpenAI SDK `baseURL` (`.../v1`). */
  openaiBaseURL: string;
  /** Anthropic SDK `baseURL`. */
  anthropicBaseURL: string;
  /** @google/genai `httpOptions.baseUrl`. */
  geminiBaseURL: string;
  port: number;
  requests: LlmRequestRecord[];
  close(): Promise<void>;
}

type Obj = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

export const TEXT_PIECES = ['Hello', ' from', ' the', ' loopback', ' model', '.'];
export const CHAT_USAGE = {
  prompt_tokens: 12,
  completion_tokens: 7,
  total_tokens: 19,
  prompt_tokens_details: { cached_tokens: 4, audio_tokens: 0 },
  completion_tokens_details: { reasoning_tokens: 0, audio_tokens: 0, accepted_prediction_tokens: 0, rejected_prediction_tokens: 0 },
};
export const RESPONSES_USAGE = { input_tokens: 20, input_tokens_details: { cached_tokens: 0 }, output_tokens: 9, output_tokens_details: { reasoning_tokens: 0 }, total_tokens: 29 };
export const ANTHROPIC_USAGE = { input_tokens: 10, cache_creation_input_tokens: 2, cache_read_input_tokens: 6, output_tokens: 8 };
export const EMBEDDING_DIMS = 8;

/** The model a response names: a dated snapshot for the two the tests price. */
export function responseModelFor(model: string): string {
  if (model === 'gpt-4o-mini') return 'gpt-4o-mini-2024-07-18';
  if (model === 'claude-3-5-haiku') return 'claude-3-5-haiku-20241022';
  return model;
}

function textOf(chunks: number, fixed?: string): string[] {
  if (fixed !== undefined) {
    const size = Math.max(1, Math.ceil(fixed.length / chunks));
    const parts: string[] = [];
    for (let i = 0; i < fixed.length; i += size) parts.push(fixed.slice(i, i + size));
    return parts.length > 0 ? parts : [''];
  }
  const out: string[] = [];
  for (let i = 0; i < chunks; i++) out.push(TEXT_PIECES[i % TEXT_PIECES.length]);
  return out;
}

function sse(res: http.ServerResponse, events: Array<{ event?: string; data: unknown }>, done = false): void {
  res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache', connection: 'keep-alive', 'x-request-id': 'req_test' });
  let out = '';
  for (const e of events) out += `${e.event !== undefined ? `event: ${e.event}\n` : ''}data: ${typeof e.data === 'string' ? e.data : JSON.stringify(e.data)}\n\n`;
  if (done) out += 'data: [DONE]\n\n';
  res.end(out);
}

function json(res: http.ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text), 'x-request-id': 'req_test', 'request-id': 'req_test', ...headers });
  res.end(text);
}

function scriptedError(res: http.ServerResponse, model: string, anthropic: boolean): boolean {
  const status = model.includes('error-429') ? 429 : model.includes('error-500') ? 500 : 0;
  if (status === 0) return false;
  const headers: Record<string, string> =
    status === 429
      ? { 'retry-after': '0', 'retry-after-ms': '0', 'x-ratelimit-limit-requests': '60', 'x-ratelimit-remaining-requests': '0', 'x-ratelimit-reset-requests': '1s', 'x-should-retry': 'true' }
      : { 'x-should-retry': 'false' };
  const body = anthropic
    ? { type: 'error', error: { type: status === 429 ? 'rate_limit_error' : 'api_error', message: status === 429 ? 'Number of requests has exceeded your rate limit' : 'Internal server error' } }
    : {
        error: {
          message: status === 429 ? 'Rate limit reached for requests' : 'The server had an error while processing your request.',
          type: status === 429 ? 'requests' : 'server_error',
          param: null,
          code: status === 429 ? 'rate_limit_exceeded' : null,
        },
      };
  json(res, status, body, headers);
  return true;
}

let callCounter = 0;

/** For Chat Completions with tools: the function the model calls next, if any. */
function nextChatToolCall(body: Obj): { id: string; name: string; args: string } | undefined {
  const tools: Obj[] = Array.isArray(body.tools) ? body.tools : [];
  const messages: Obj[] = Array.isArray(body.messages) ? body.messages : [];
  const called = new Set<string>();
  for (const m of messages) if (m?.role === 'assistant' && Array.isArray(m.tool_calls)) for (const tc of m.tool_calls as Obj[]) called.add(String(tc?.function?.name));
  const name = tools.map((t) => t?.function?.name).find((n): n is string => typeof n === 'string' && !called.has(n));
  return name === undefined ? undefined : { id: `call_${++callCounter}`, name, args: '{"a":2,"b":3}' };
}

function chatToolCall(res: http.ServerResponse, body: Obj, base: Obj, call: { id: string; name: string; args: string }): void {
  const toolCall = { id: call.id, type: 'function', function: { name: call.name, arguments: call.args } };
  if (body.stream !== true) {
    json(res, 200, {
      ...base,
      object: 'chat.completion',
      choices: [{ index: 0, message: { role: 'assistant', content: null, tool_calls: [toolCall], refusal: null, annotations: [] }, logprobs: null, finish_reason: 'tool_calls' }],
      usage: CHAT_USAGE,
    });
    return;
  }
  const chunk = (choices: unknown[], extra: Obj = {}): Obj => ({ ...base, object: 'chat.completion.chunk', choices, ...extra });
  const withUsage = body.stream_options?.include_usage === true;
  const nullUsage = withUsage ? { usage: null } : {};
  const events: Array<{ data: unknown }> = [
    {
      data: chunk(
        [{ index: 0, delta: { role: 'assistant', content: null, tool_calls: [{ index: 0, ...toolCall, function: { name: call.name, arguments: '' } }] }, logprobs: null, finish_reason: null }],
        nullUsage,
      ),
    },
    { data: chunk([{ index: 0, delta: { tool_calls: [{ index: 0, function: { arguments: call.args } }] }, logprobs: null, finish_reason: null }], nullUsage) },
    { data: chunk([{ index: 0, delta: {}, logprobs: null, finish_reason: 'tool_calls' }], nullUsage) },
  ];
  if (withUsage) events.push({ data: chunk([], { usage: CHAT_USAGE }) });
  sse(res, events, true);
}

function chat(res: http.ServerResponse, body: Obj, chunks: number, text?: string): void {
  const model = String(body.model ?? 'gpt-4o-mini');
  const rmodel = responseModelFor(model);
  const pieces = textOf(chunks, text);
  const base = { id: 'chatcmpl-test1', created: 1700000000, model: rmodel, system_fingerprint: 'fp_test', service_tier: 'default' };
  const toolCall = nextChatToolCall(body);
  if (toolCall !== undefined) {
    chatToolCall(res, body, base, toolCall);
    return;
  }
  if (body.stream !== true) {
    json(res, 200, {
      ...base,
      object: 'chat.completion',
      choices: [{ index: 0, message: { role: 'assistant', content: pieces.join(''), refusal: null, annotations: [] }, logprobs: null, finish_reason: 'stop' }],
      usage: CHAT_USAGE,
    });
    return;
  }
  const events: Array<{ data: unknown }> = [];
  const chunk = (choices: unknown[], extra: Obj = {}): Obj => ({ ...base, object: 'chat.completion.chunk', choices, ...extra });
  const withUsage = body.stream_options?.include_usage === true;
  const nullUsage = withUsage ? { usage: null } : {};
  events.push({ data: chunk([{ index: 0, delta: { role: 'assistant', content: '', refusal: null }, logprobs: null, finish_reason: null }], nullUsage) });
  for (const p of pieces) events.push({ data: chunk([{ index: 0, delta: { content: p }, logprobs: null, finish_reason: null }], nullUsage) });
  events.push({ data: chunk([{ index: 0, delta: {}, logprobs: null, finish_reason: 'stop' }], nullUsage) });
  if (withUsage) events.push({ data: chunk([], { usage: CHAT_USAGE }) });
  sse(res, events, true);
}

function responseObject(model: string, output: unknown[], status: string, usage: unknown): Obj {
  return {
    id: 'resp_test1',
    object: 'response',
    created_at: 1700000000,
    status,
    background: false,
    error: null,
    incomplete_details: null,
    instructions: null,
    max_output_tokens: null,
    model: responseModelFor(model),
    output,
    parallel_tool_calls: true,
    previous_response_id: null,
    reasoning: { effort: null, summary: null },
    service_tier: 'default',
    store: true,
    temperature: 1,
    text: { format: { type: 'text' } },
    tool_choice: 'auto',
    tools: [],
    top_p: 1,
    truncation: 'disabled',
    usage,
    user: null,
    metadata: {},
  };
}

/** For agents: which function the model calls next, if any. */
function nextToolCall(body: Obj): { name: string; args: string } | undefined {
  const tools: Obj[] = Array.isArray(body.tools) ? body.tools : [];
  const input: Obj[] = Array.isArray(body.input) ? body.input : [];
  const called = new Set<string>();
  const byCallId = new Map<string, string>();
  for (const item of input) if (item?.type === 'function_call') byCallId.set(String(item.call_id), String(item.name));
  for (const item of input) if (item?.type === 'function_call_output') called.add(byCallId.get(String(item.call_id)) ?? '');
  const names = tools.filter((t) => t?.type === 'function' && typeof t.name === 'string').map((t) => String(t.name));
  const transfer = names.find((n) => n.startsWith('transfer_to_') && !called.has(n));
  // A transfer is taken once per conversation: after one happened, no agent transfers again.
  const transferred = [...byCallId.values()].some((n) => n.startsWith('transfer_to_'));
  if (transfer !== undefined && !transferred) return { name: transfer, args: '{}' };
  const tool = names.find((n) => !n.startsWith('transfer_to_') && !called.has(n));
  if (tool !== undefined) return { name: tool, args: '{"a":2,"b":3}' };
  return undefined;
}

function responses(res: http.ServerResponse, body: Obj, chunks: number, text?: string): void {
  const model = String(body.model ?? 'gpt-4.1');
  const toolCall = nextToolCall(body);
  const pieces = textOf(chunks, text);
  const msg = { type: 'message', id: 'msg_test1', status: 'completed', role: 'assistant', content: [{ type: 'output_text', text: pieces.join(''), annotations: [], logprobs: [] }] };
  const callId = `call_${++callCounter}`;
  const fc = toolCall && { type: 'function_call', id: `fc_${callCounter}`, call_id: callId, name: toolCall.name, arguments: toolCall.args, status: 'completed' };
  const output = fc !== undefined ? [fc] : [msg];
  const final = responseObject(model, output, 'completed', RESPONSES_USAGE);
  if (body.stream !== true) {
    json(res, 200, final);
    return;
  }
  let seq = 0;
  const ev = (type: string, data: Obj): { event: string; data: unknown } => ({ event: type, data: { type, sequence_number: seq++, ...data } });
  const events = [ev('response.created', { response: responseObject(model, [], 'in_progress', null) }), ev('response.in_progress', { response: responseObject(model, [], 'in_progress', null) })];
  if (fc !== undefined) {
    events.push(ev('response.output_item.added', { output_index: 0, item: { ...fc, arguments: '', status: 'in_progress' } }));
    events.push(ev('response.function_call_arguments.delta', { output_index: 0, item_id: fc.id, delta: fc.arguments }));
    events.push(ev('response.function_call_arguments.done', { output_index: 0, item_id: fc.id, arguments: fc.arguments }));
    events.push(ev('response.output_item.done', { output_index: 0, item: fc }));
  } else {
    events.push(ev('response.output_item.added', { output_index: 0, item: { ...msg, status: 'in_progress', content: [] } }));
    events.push(ev('response.content_part.added', { output_index: 0, item_id: msg.id, content_index: 0, part: { type: 'output_text', text: '', annotations: [] } }));
    for (const p of pieces) events.push(ev('response.output_text.delta', { output_index: 0, item_id: msg.id, content_index: 0, delta: p, logprobs: [] }));
    events.push(ev('response.output_text.done', { output_index: 0, item_id: msg.id, content_index: 0, text: pieces.join(''), logprobs: [] }));
    events.push(ev('response.content_part.done', { output_index: 0, item_id: msg.id, content_index: 0, part: msg.content[0] }));
    events.push(ev('response.output_item.done', { output_index: 0, item: msg }));
  }
  events.push(ev('response.completed', { response: final }));
  sse(res, events);
}

function embeddings(res: http.ServerResponse, body: Obj): void {
  const inputs = Array.isArray(body.input) ? body.input : [body.input];
  const data = inputs.map((_: unknown, index: number) => {
    const v = new Float32Array(EMBEDDING_DIMS).map((_x, i) => (index + 1) * 0.01 * (i + 1));
    const embedding = body.encoding_format === 'base64' ? Buffer.from(v.buffer).toString('base64') : Array.from(v);
    return { object: 'embedding', index, embedding };
  });
  json(res, 200, { object: 'list', data, model: String(body.model ?? 'text-embedding-3-small'), usage: { prompt_tokens: 8, total_tokens: 8 } });
}

function messages(res: http.ServerResponse, body: Obj, chunks: number): void {
  const model = String(body.model ?? 'claude-3-5-haiku');
  const rmodel = responseModelFor(model);
  const pieces = textOf(chunks);
  const message = { id: 'msg_test1', type: 'message', role: 'assistant', model: rmodel, stop_reason: 'end_turn', stop_sequence: null };
  if (body.stream !== true) {
    json(res, 200, { ...message, content: [{ type: 'text', text: pieces.join('') }], usage: ANTHROPIC_USAGE });
    return;
  }
  const ev = (type: string, data: Obj): { event: string; data: unknown } => ({ event: type, data: { type, ...data } });
  const events = [
    ev('message_start', { message: { ...message, content: [], stop_reason: null, usage: { ...ANTHROPIC_USAGE, output_tokens: 1 } } }),
    ev('content_block_start', { index: 0, content_block: { type: 'text', text: '' } }),
    ev('ping', {}),
    ...pieces.map((p) => ev('content_block_delta', { index: 0, delta: { type: 'text_delta', text: p } })),
    ev('content_block_stop', { index: 0 }),
    ev('message_delta', { delta: { stop_reason: 'end_turn', stop_sequence: null }, usage: { output_tokens: ANTHROPIC_USAGE.output_tokens } }),
    ev('message_stop', {}),
  ];
  sse(res, events);
}

/** Azure OpenAI's routes (`/openai/deployments/{deployment}/…`, `/openai/v1/…`, `/openai/…`) answered as OpenAI's. */
function openaiRoute(path: string): string {
  const deployment = /^\/openai\/deployments\/[^/]+(\/.+)$/.exec(path);
  if (deployment !== null) return `/v1${deployment[1]}`;
  if (path.startsWith('/openai/v1/')) return path.slice('/openai'.length);
  if (path.startsWith('/openai/')) return `/v1${path.slice('/openai'.length)}`;
  return path;
}

export async function startLlmServer(): Promise<LlmServer> {
  const requests: LlmRequestRecord[] = [];
  const server = http.createServer((req, res) => {
    const parts: Buffer[] = [];
    req.on('data', (d: Buffer) => parts.push(d));
    req.on('end', () => {
      let body: Obj;
      try {
        body = parts.length > 0 ? (JSON.parse(Buffer.concat(parts).toString('utf8')) as Obj) : {};
      } catch {
        json(res, 400, { error: { message: 'invalid JSON' } });
        return;
      }
      const path = openaiRoute((req.url ?? '/').split('?')[0]);
      requests.push({ path, headers: req.headers, body });
      const chunks = Math.max(1, Number(req.headers['x-test-chunks'] ?? 4) || 4);
      const model = String(body.model ?? '');
      const anthropic = path === '/v1/messages';
      if (geminiRoute(path, body, req.headers, res)) return;
      if (gatewayRoute(path, body, req.headers, res)) return;
      if (scriptedError(res, model, anthropic)) return;
      const text = typeof req.headers['x-test-text'] === 'string' ? req.headers['x-test-text'] : undefined;
      if (path === '/v1/chat/completions') chat(res, body, chunks, text);
      else if (path === '/v1/responses') responses(res, body, chunks, text);
      else if (path === '/v1/embeddings') embeddings(res, body);
      else if (anthropic) messages(res, body, chunks);
      else json(res, 404, { error: { message: `no route ${path}` } });
    });
  });
  server.keepAliveTimeout = 1000;
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  const url = `http://127.0.0.1:${port}`;
  return {
    url,
    openaiBaseURL: `${url}/v1`,
    anthropicBaseURL: url,
    geminiBaseURL: url,
    port,
    requests,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** Runs a server in this process until killed, printing its URL: `node dist/test/helpers/llm-server.js`. */
if (require.main === module) {
  void startLlmServer().then((s) => console.log(s.url));
}
