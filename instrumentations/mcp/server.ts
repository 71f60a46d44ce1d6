/**
 * The receiving side of an MCP request (a `Server` answering its client, or a `Client` answering
 * its server): one SERVER span `{mcp.method.name} {target}`, from the handler's start to its end.
 *
 * `Protocol._onrequest` gets each request first: the trace context is taken out of
 * `params._meta` and the request dispatched in that context, so the handler's span is a child of
 * the client's span, in the client's trace. A missing or malformed `traceparent` gives a span in
 * the ambient context (usually a new trace). The span covers what the SDK runs for the request:
 * the parsing of its params, then the app's handler. A method with no handler is answered by the
 * SDK itself (-32601): its span is made at once.
 */
import { context, createContextKey, SpanKind, SpanStatusCode, trace, type Context, type Link, type SpanContext } from '@opentelemetry/api';
import { logger } from '../../src/shared/logger';
import { stats } from '../../src/shared/stats';
import * as AS from '../agentops/semconv';
import type { McpDeps } from './client';
import { takeTraceContext } from './propagation';
import { protocolVersionOf, rememberProtocolVersion } from './protocol-state';
import * as M from './semconv';
import type { McpHandlerExtra, McpOutcome, McpRequest, McpRequestHandler, ProtocolThis } from './types';
import type { AttributeMap } from '../genai/types';
import * as U from './utils';

type AnyFn = (...args: any[]) => any; // eslint-disable-line @typescript-eslint/no-explicit-any

/** The span that was active when a request with a remote parent came in: linked, as the conventions say. */
const AMBIENT_KEY = createContextKey('agentops-otel.mcp.ambient');

function isPromise(v: unknown): v is Promise<unknown> {
  return v !== null && (typeof v === 'object' || typeof v === 'function') && typeof (v as { then?: unknown }).then === 'function';
}

/**
 * Runs `Protocol._onrequest` (`original`): the request's trace context is taken out and made
 * current, and the handler it dispatches to is traced. The SDK reads the handler from its map
 * synchronously, first thing, then runs it later: for that read, and only for it, the map holds
 * the traced handler (the app's map is as it was as soon as `_onrequest` returns).
 */
export function dispatchRequest(deps: McpDeps, protocol: ProtocolThis, original: AnyFn, args: unknown[]): unknown {
  const request = args[0] as McpRequest;
  let ctx: Context | undefined;
  let forward = args;
  let restore: (() => void) | undefined;
  try {
    const base = context.active();
    const taken = takeTraceContext(request, base);
    forward = taken.request === request ? args : [taken.request, ...args.slice(1)];
    if (taken.parent !== undefined) {
      const ambient = trace.getSpanContext(base);
      ctx = ambient !== undefined ? taken.parent.setValue(AMBIENT_KEY, ambient) : taken.parent;
    }
    restore = installTracedHandler(deps, protocol, taken.request, ctx ?? base);
  } catch (err) {
    logger.limited('warn', 'mcp-server-dispatch', 'tracing a received MCP request failed; the request is unaffected', { error: err });
  }
  try {
    return ctx === undefined ? original.apply(protocol, forward) : context.with(ctx, () => original.apply(protocol, forward));
  } finally {
    restore?.();
  }
}

/** Puts the traced handler where `_onrequest` will look; returns how to undo it. */
function installTracedHandler(deps: McpDeps, protocol: ProtocolThis, request: McpRequest, parent: Context): (() => void) | undefined {
  const method = U.methodOf(request);
  const handlers = protocol._requestHandlers;
  if (method === undefined || !(handlers instanceof Map)) return undefined;
  const had = handlers.has(method);
  const handler = (had ? handlers.get(method) : undefined) ?? protocol.fallbackRequestHandler;
  if (typeof handler !== 'function') {
    // The SDK answers "Method not found" itself.
    recordUnhandled(deps, protocol, request, parent);
    return undefined;
  }
  handlers.set(method, tracedHandler(deps, protocol, handler as McpRequestHandler));
  return () => {
    if (had) handlers.set(method, handler);
    else handlers.delete(method);
  };
}

/** `handler`, run inside a SERVER span. */
function tracedHandler(deps: McpDeps, protocol: ProtocolThis, handler: McpRequestHandler): McpRequestHandler {
  return function (this: unknown, request: McpRequest, extra: McpHandlerExtra | undefined): unknown {
    let span: ReturnType<typeof startServerSpan> | undefined;
    try {
      span = startServerSpan(deps, protocol, request, extra);
    } catch (err) {
      logger.limited('warn', 'mcp-server-start', 'tracing a received MCP request failed; the request is unaffected', { error: err });
    }
    if (span === undefined) return handler.call(this, request, extra);
    const s = span;
    let result: unknown;
    try {
      result = context.with(s.ctx, () => handler.call(this, request, extra));
    } catch (err) {
      s.fail(err);
      throw err;
    }
    if (!isPromise(result)) {
      s.end(result);
      return result;
    }
    return result.then(
      (value) => {
        s.end(value);
        return value;
      },
      (err: unknown) => {
        s.fail(err);
        throw err;
      },
    );
  };
}

function startServerSpan(deps: McpDeps, protocol: ProtocolThis, request: McpRequest, extra: McpHandlerExtra | undefined) {
  const o = deps.mapping();
  const method = U.methodOf(request) ?? 'unknown';
  const parent = context.active();
  const attrs = serverAttributes(deps, protocol, request, extra?.requestId ?? request.id, extra?.sessionId);
  const ambient = parent.getValue(AMBIENT_KEY) as SpanContext | undefined;
  const links: Link[] = ambient !== undefined ? [{ context: ambient }] : [];
  stats.spanCreated(M.SPAN_KIND_MCP);
  const span = deps.tracer().startSpan(U.spanName(method, request.params), { kind: SpanKind.SERVER, attributes: attrs, links }, parent);
  let ended = false;
  const close = (outcome: McpOutcome, result: unknown): void => {
    if (ended) return;
    ended = true;
    try {
      span.setAttributes({ ...U.outcomeAttributes(outcome), ...U.resultAttributes(method, result, o) });
      if (outcome.errorType !== undefined) span.setStatus({ code: SpanStatusCode.ERROR, message: o.captureContent ? outcome.message : undefined });
      if (method === M.METHOD_INITIALIZE) rememberProtocolVersion(protocol, result);
    } catch (e) {
      logger.limited('warn', 'mcp-server-end', 'tracing the end of an MCP request failed; the request is unaffected', { error: e });
    }
    span.end();
  };
  return {
    ctx: trace.setSpan(parent, span),
    end: (result: unknown) => close(U.resultOutcome(method, result), result),
    fail: (err: unknown) => close(U.errorOutcome(err, 'server'), undefined),
  };
}

function serverAttributes(deps: McpDeps, protocol: ProtocolThis, request: McpRequest, id: unknown, sessionId: unknown): AttributeMap {
  const method = U.methodOf(request) ?? 'unknown';
  const attrs: AttributeMap = {
    ...U.requestAttributes(method, request.params, deps.mapping()),
    ...U.transportAttributes(protocol.transport),
    [AS.ATTR_SPAN_KIND]: M.SPAN_KIND_MCP,
  };
  const requestId = U.requestIdText(id);
  if (requestId !== undefined) attrs[M.ATTR_JSONRPC_REQUEST_ID] = requestId;
  const session = U.sessionIdOf(sessionId);
  if (session !== undefined) attrs[M.ATTR_MCP_SESSION_ID] = session;
  const version = protocolVersionOf(protocol);
  if (version !== undefined) attrs[M.ATTR_MCP_PROTOCOL_VERSION] = version;
  return attrs;
}

/** A request no handler takes: the SDK answers "Method not found" without running anything. */
function recordUnhandled(deps: McpDeps, protocol: ProtocolThis, request: McpRequest, parent: Context): void {
  const method = U.methodOf(request) ?? 'unknown';
  const attrs = serverAttributes(deps, protocol, request, request.id, (protocol.transport as { sessionId?: unknown } | undefined)?.sessionId);
  const code = String(M.JSONRPC_METHOD_NOT_FOUND);
  stats.spanCreated(M.SPAN_KIND_MCP);
  const span = deps.tracer().startSpan(U.spanName(method, request.params), { kind: SpanKind.SERVER, attributes: attrs }, parent);
  span.setAttributes(U.outcomeAttributes({ errorType: code, statusCode: code }));
  span.setStatus({ code: SpanStatusCode.ERROR, message: 'Method not found' });
  span.end();
}
