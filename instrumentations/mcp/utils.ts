/** Pure mapping from MCP requests, results and errors to span names and attributes. */
import { ATTR_ERROR_TYPE, ATTR_NETWORK_PROTOCOL_NAME, ATTR_NETWORK_TRANSPORT, ATTR_SERVICE_NAME } from '@opentelemetry/semantic-conventions';
import type { AttributeMap } from '../genai/types';
import { toAttributeText } from '../../src/shared/serialize';
import * as S from '../shared/semconv';
import { obj, serverAttributes, str } from '../genai/utils';
import * as M from './semconv';
import type { McpMapping, McpOutcome, McpRequest } from './types';

/** 1.2 and later 1.x (pre-releases of 2.0 are not 1.x). */
export function isSupportedVersion(version: string | undefined): boolean {
  const m = /^(\d+)\.(\d+)\.(\d+)/.exec(version ?? '');
  return m !== null && Number(m[1]) === 1 && Number(m[2]) >= 2;
}

export function methodOf(request: unknown): string | undefined {
  return str(obj(request).method);
}

/** The low-cardinality target of the span name: the tool or prompt the request names. */
export function targetOf(method: string, params: unknown): string | undefined {
  if (method === M.METHOD_TOOLS_CALL || method === M.METHOD_PROMPTS_GET) return str(obj(params).name);
  return undefined;
}

export function spanName(method: string, params: unknown): string {
  const target = targetOf(method, params);
  return target !== undefined ? `${method} ${target}` : method;
}

/** `jsonrpc.request.id`: the id as text; none for a missing or null id. */
export function requestIdText(id: unknown): string | undefined {
  return typeof id === 'number' || (typeof id === 'string' && id !== '') ? String(id) : undefined;
}

/** AttributeMap known from the request itself, on either side. */
export function requestAttributes(method: string, params: unknown, o: McpMapping): AttributeMap {
  const p = obj(params);
  const attrs: AttributeMap = { [ATTR_SERVICE_NAME]: o.serviceName, [M.ATTR_MCP_METHOD_NAME]: method };
  if (method === M.METHOD_TOOLS_CALL) {
    attrs[S.ATTR_GEN_AI_OPERATION_NAME] = S.OPERATION_EXECUTE_TOOL;
    const tool = str(p.name);
    if (tool !== undefined) attrs[S.ATTR_GEN_AI_TOOL_NAME] = tool;
    if (o.captureContent && p.arguments !== undefined) attrs[S.ATTR_GEN_AI_TOOL_CALL_ARGUMENTS] = toAttributeText(p.arguments, o.maxAttributeLength);
  } else if (method === M.METHOD_PROMPTS_GET) {
    const prompt = str(p.name);
    if (prompt !== undefined) attrs[M.ATTR_GEN_AI_PROMPT_NAME] = prompt;
  } else if (M.RESOURCE_METHODS.has(method)) {
    const uri = str(p.uri);
    if (uri !== undefined) attrs[M.ATTR_MCP_RESOURCE_URI] = uri;
  }
  return attrs;
}

/**
 * `network.transport` (and the application protocol) from the transport class: the SDK's names
 * are stable across 1.x. A transport we do not know (in-memory, the app's own) says nothing.
 */
export function transportAttributes(transport: unknown): AttributeMap {
  const name = (transport as { constructor?: { name?: unknown } } | null | undefined)?.constructor?.name;
  if (typeof name !== 'string') return {};
  if (name.startsWith('Stdio')) return { [ATTR_NETWORK_TRANSPORT]: 'pipe' };
  if (name.includes('StreamableHTTP') || name.startsWith('SSE')) {
    const attrs: AttributeMap = { [ATTR_NETWORK_TRANSPORT]: 'tcp', [ATTR_NETWORK_PROTOCOL_NAME]: 'http' };
    // The client transports keep the server's URL.
    const url = (transport as { _url?: unknown })._url;
    if (url instanceof URL) Object.assign(attrs, definedOnly(serverAttributes(url.href)));
    return attrs;
  }
  if (name.startsWith('WebSocket')) return { [ATTR_NETWORK_TRANSPORT]: 'tcp', [ATTR_NETWORK_PROTOCOL_NAME]: 'websocket' };
  return {};
}

/** The session id the transport knows (streamable HTTP); stdio has none. */
export function sessionIdOf(value: unknown): string | undefined {
  return str(value);
}

/** A result ends the span as a success, except a tool result with `isError: true`. */
export function resultOutcome(method: string, result: unknown): McpOutcome {
  if (method === M.METHOD_TOOLS_CALL && obj(result).isError === true) return { errorType: M.ERROR_TYPE_TOOL_ERROR };
  return {};
}

/** The SDKs' classes of a JSON-RPC error answer: `McpError` in 1.x, `ProtocolError` in v2. */
const PROTOCOL_ERRORS = new Set(['McpError', 'ProtocolError']);

/**
 * A failed request. On the client: an `McpError` (v2: `ProtocolError`) carries the JSON-RPC code of the response (or the
 * SDK's own, -32001 for a timeout); anything else (no connection, a result that fails the schema)
 * is named by its class. On the server the SDK answers a thrown error with its `code`, or -32603.
 */
export function errorOutcome(err: unknown, side: 'client' | 'server'): McpOutcome {
  // A thrown primitive has no class of its own to name.
  const e = (err !== null && typeof err === 'object' ? err : undefined) as { code?: unknown; message?: unknown; name?: unknown; constructor?: { name?: unknown } } | undefined;
  const message = typeof e?.message === 'string' ? e.message : undefined;
  const code = typeof e?.code === 'number' && Number.isSafeInteger(e.code) ? e.code : undefined;
  if (side === 'server') {
    const answered = String(code ?? M.JSONRPC_INTERNAL_ERROR);
    return { errorType: answered, statusCode: answered, message };
  }
  const className = typeof e?.constructor?.name === 'string' ? e.constructor.name : undefined;
  if (code !== undefined && (PROTOCOL_ERRORS.has(className ?? '') || PROTOCOL_ERRORS.has(String(e?.name)))) return { errorType: String(code), statusCode: String(code), message };
  const named = className !== undefined && className !== 'Error' && className !== 'Object' ? className : typeof e?.name === 'string' && e.name !== 'Error' ? e.name : undefined;
  return { errorType: named ?? '_OTHER', message };
}

export function outcomeAttributes(outcome: McpOutcome): AttributeMap {
  const attrs: AttributeMap = {};
  if (outcome.errorType !== undefined) attrs[ATTR_ERROR_TYPE] = outcome.errorType;
  if (outcome.statusCode !== undefined) attrs[M.ATTR_RPC_RESPONSE_STATUS_CODE] = outcome.statusCode;
  return attrs;
}

/** What the result says: the tool's result (content), the protocol version an `initialize` agreed on. */
export function resultAttributes(method: string, result: unknown, o: McpMapping): AttributeMap {
  const attrs: AttributeMap = {};
  if (method === M.METHOD_TOOLS_CALL && o.captureContent && result !== undefined) attrs[S.ATTR_GEN_AI_TOOL_CALL_RESULT] = toAttributeText(result, o.maxAttributeLength);
  if (method === M.METHOD_INITIALIZE) {
    const version = str(obj(result).protocolVersion);
    if (version !== undefined) attrs[M.ATTR_MCP_PROTOCOL_VERSION] = version;
  }
  return attrs;
}

/** The tool name and arguments of a `tools/call`, for its ToolEvent. */
export function toolCall(request: McpRequest): { name: string | undefined; args: unknown } {
  const p = obj(request.params);
  return { name: str(p.name), args: p.arguments };
}

function definedOnly(attrs: Record<string, unknown>): AttributeMap {
  const out: AttributeMap = {};
  for (const [k, v] of Object.entries(attrs)) if (typeof v === 'string' || typeof v === 'number') out[k] = v;
  return out;
}
