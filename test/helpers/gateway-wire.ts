/**
 * The Vercel AI Gateway wire format, for the loopback LLM server (llm-server.ts): what
 * @ai-sdk/gateway's language models send (`POST {baseURL}/language-model`, the model in the
 * `ai-language-model-id` header, the SDK's call options as the body) answered as the gateway
 * answers: the model's result as JSON, or its stream parts as server-sent events when
 * `ai-language-model-streaming` is `true`. Results are in the provider specification's own shape
 * (v3 for @ai-sdk/gateway 3.x, v4 for 4.x: the same fields).
 *
 * Like Chat Completions with tools: the model calls each function tool it has not yet called
 * (input `{"a":2,"b":3}`), then answers text.
 */
import type * as http from 'node:http';

type Obj = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

export const GATEWAY_PATH = '/gateway/language-model';
export const GATEWAY_TEXT_PIECES = ['Hello', ' from', ' the', ' gateway', '.'];
/** The usage of every answer, in the specification's shape. */
export const GATEWAY_USAGE = { inputTokens: { total: 15, noCache: 12, cacheRead: 3, cacheWrite: 0 }, outputTokens: { total: 6, text: 6, reasoning: 0 } };
export const GATEWAY_RESPONSE_ID = 'gw-resp-1';

let calls = 0;

/** The tool the model calls next: the first function tool no assistant message has called yet. */
function nextToolCall(body: Obj): { toolCallId: string; toolName: string; input: string } | undefined {
  const tools: Obj[] = Array.isArray(body.tools) ? body.tools : [];
  const called = new Set<string>();
  for (const m of Array.isArray(body.prompt) ? (body.prompt as Obj[]) : []) {
    if (m?.role !== 'assistant' || !Array.isArray(m.content)) continue;
    for (const part of m.content as Obj[]) if (part?.type === 'tool-call') called.add(String(part.toolName));
  }
  const name = tools
    .filter((t) => t?.type === 'function')
    .map((t) => t.name as unknown)
    .find((n): n is string => typeof n === 'string' && !called.has(n));
  return name === undefined ? undefined : { toolCallId: `gw_call_${++calls}`, toolName: name, input: '{"a":2,"b":3}' };
}

function sse(res: http.ServerResponse, parts: Obj[]): void {
  res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' });
  for (const p of parts) res.write(`data: ${JSON.stringify(p)}\n\n`);
  res.end();
}

/** Answers a gateway request; false when `path` is not the gateway's. */
export function gatewayRoute(path: string, body: Obj, headers: http.IncomingHttpHeaders, res: http.ServerResponse): boolean {
  if (path !== GATEWAY_PATH) return false;
  const modelId = String(headers['ai-language-model-id'] ?? '');
  const call = nextToolCall(body);
  const finishReason = call !== undefined ? { unified: 'tool-calls', raw: 'tool_calls' } : { unified: 'stop', raw: 'stop' };
  if (headers['ai-language-model-streaming'] !== 'true') {
    const content = call !== undefined ? [{ type: 'tool-call', ...call }] : [{ type: 'text', text: GATEWAY_TEXT_PIECES.join('') }];
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ content, finishReason, usage: GATEWAY_USAGE, warnings: [] }));
    return true;
  }
  const parts: Obj[] = [{ type: 'response-metadata', id: GATEWAY_RESPONSE_ID, modelId, timestamp: new Date(0).toISOString() }];
  if (call !== undefined) {
    parts.push(
      { type: 'tool-input-start', id: call.toolCallId, toolName: call.toolName },
      { type: 'tool-input-delta', id: call.toolCallId, delta: call.input },
      { type: 'tool-input-end', id: call.toolCallId },
    );
    parts.push({ type: 'tool-call', ...call });
  } else {
    parts.push({ type: 'text-start', id: 't0' }, ...GATEWAY_TEXT_PIECES.map((delta) => ({ type: 'text-delta', id: 't0', delta })), { type: 'text-end', id: 't0' });
  }
  parts.push({ type: 'finish', finishReason, usage: GATEWAY_USAGE });
  sse(res, parts);
  return true;
}
