/**
 * The sending side of an MCP request (`Protocol.request`, so a `Client` calling its server and a
 * `Server` asking its client alike): one CLIENT span `{mcp.method.name} {target}`, open while the
 * request is in flight, whose context travels in `params._meta`.
 *
 * A `tools/call` inside an AgentOps session is a ToolEvent of that session run through
 * `session.runEvent`: the event's span is the request's span (same name, CLIENT kind, MCP
 * attributes), nested under the current agent and counted in the session. Outside a session
 * (and for every other method) the span is made here, under the active context. A tool call made
 * by a tool that is itself a recorded tool event (`recordTool`, an agents tool) is a plain span of
 * that tool: counting it again would count one tool use twice.
 *
 * The app gets what the SDK returns: a promise derived from it that settles the same way.
 */
import { context, SpanKind, SpanStatusCode, trace, type Context, type Span, type Tracer } from '@opentelemetry/api';
import { ErrorEvent, ToolEvent, type Session } from '../../src/client';
import { clientScope } from '../../src/client/context';
import { logger } from '../../src/shared/logger';
import { stats } from '../../src/shared/stats';
import { setEventSpanShape } from '../agentops/event-span-shape';
import { isTraced } from '../agentops/session-states';
import * as AS from '../agentops/semconv';
import * as AU from '../agentops/utils';
import { resolveParent } from '../genai/recorder';
import { carriesOurContext, withTraceContext } from './propagation';
import { protocolVersionOf, rememberProtocolVersion } from './protocol-state';
import * as M from './semconv';
import type { McpMapping, McpOutcome, McpRequest, ProtocolThis } from './types';
import type { AttributeMap } from '../genai/types';
import * as U from './utils';

type AnyFn = (...args: any[]) => any; // eslint-disable-line @typescript-eslint/no-explicit-any

export interface McpDeps {
  tracer(): Tracer;
  mapping(): McpMapping;
}

/** One traced request. `end` and `fail` act once, and never throw. */
interface Call {
  /** The span's context: the request is sent in it, and its `traceparent` names the span. */
  ctx: Context;
  addAttributes(attrs: AttributeMap): void;
  end(result: unknown): void;
  fail(err: unknown): void;
}

function noop(): void {}

function isPromise(v: unknown): v is Promise<unknown> {
  return v !== null && (typeof v === 'object' || typeof v === 'function') && typeof (v as { then?: unknown }).then === 'function';
}

/** Runs the sending method (`original`, whose argument `requestIndex` is the request) as a traced request. */
export function traceRequest(deps: McpDeps, protocol: ProtocolThis, original: AnyFn, args: unknown[], requestIndex: number): unknown {
  const request = args[requestIndex] as McpRequest;
  const method = U.methodOf(request);
  // A later leg of a request already traced (the v2 client retrying a request its server answered
  // with input_required) is part of that request's span.
  if (method === undefined || carriesOurContext(request)) return original.apply(protocol, args);
  let call: Call | undefined;
  let sendArgs = args;
  try {
    call = startCall(deps, protocol, method, request);
    sendArgs = [...args];
    sendArgs[requestIndex] = withTraceContext(request, call.ctx);
  } catch (err) {
    logger.limited('warn', 'mcp-client-start', 'tracing an MCP request failed; the request is unaffected', { error: err });
  }
  if (call === undefined) return original.apply(protocol, args);
  const idBefore = protocol._requestMessageId;
  let result: unknown;
  try {
    result = context.with(call.ctx, () => original.apply(protocol, sendArgs));
  } catch (err) {
    call.fail(err);
    throw err;
  }
  // The SDK numbers requests from a counter, synchronously: the id this request got.
  if (typeof idBefore === 'number' && protocol._requestMessageId === idBefore + 1) call.addAttributes({ [M.ATTR_JSONRPC_REQUEST_ID]: String(idBefore) });
  if (!isPromise(result)) {
    call.end(result);
    return result;
  }
  const done = call;
  return result.then(
    (value) => {
      done.end(value);
      if (method === M.METHOD_INITIALIZE) rememberProtocolVersion(protocol, value);
      return value;
    },
    (err: unknown) => {
      done.fail(err);
      throw err;
    },
  );
}

function startCall(deps: McpDeps, protocol: ProtocolThis, method: string, request: McpRequest): Call {
  const o = deps.mapping();
  const name = U.spanName(method, request.params);
  const attrs: AttributeMap = { ...U.requestAttributes(method, request.params, o), ...U.transportAttributes(protocol.transport) };
  const version = protocolVersionOf(protocol);
  if (version !== undefined) attrs[M.ATTR_MCP_PROTOCOL_VERSION] = version;
  // Inside an agents run the run knows better than the context where a call belongs.
  const resolved = resolveParent();
  const parent = resolved.ctx;
  const finish = (outcome: McpOutcome, result: unknown): AttributeMap => ({
    ...U.outcomeAttributes(outcome),
    ...U.resultAttributes(method, result, o),
    ...sessionAttribute(protocol),
  });
  const isTool = method === M.METHOD_TOOLS_CALL;
  // A tool call made by a tool already recorded (recordTool, an agents tool) is part of that
  // tool's work: a plain span under it, not a second tool event.
  const nested = isTool && insideToolEvent(parent);
  if (isTool && !nested && canRecord(resolved.session)) {
    return startToolEvent(o, resolved.session, parent, resolved.agentId ?? scopeAgentId(resolved.session), request, name, attrs, finish);
  }
  return startSpan(deps, o, parent, method, request, name, attrs, finish, isTool && !nested);
}

/** Whether the span of `ctx` is an open AgentOps tool event (its attributes are readable on the SDK's spans). */
function insideToolEvent(ctx: Context): boolean {
  const span = trace.getSpan(ctx);
  if (span === undefined || !span.isRecording()) return false;
  return (span as unknown as { attributes?: Record<string, unknown> }).attributes?.[AS.ATTR_EVENT_TYPE] === 'tools';
}

function canRecord(session: Session | undefined): session is Session {
  return isTraced(session);
}

function sessionAttribute(protocol: ProtocolThis): AttributeMap {
  const id = U.sessionIdOf((protocol.transport as { sessionId?: unknown } | undefined)?.sessionId);
  return id !== undefined ? { [M.ATTR_MCP_SESSION_ID]: id } : {};
}

/** The agent of the current `agent.run()` scope, for an event of `session`. */
function scopeAgentId(session: Session): string | undefined {
  const scope = clientScope.getStore();
  return scope?.agent !== undefined && scope.session === session ? scope.agent.id : undefined;
}

function markError(span: Span | undefined, outcome: McpOutcome, o: McpMapping): void {
  if (span === undefined || outcome.errorType === undefined || !span.isRecording()) return;
  span.setStatus({ code: SpanStatusCode.ERROR, message: o.captureContent ? outcome.message : undefined });
}

type Finish = (outcome: McpOutcome, result: unknown) => AttributeMap;

function startToolEvent(o: McpMapping, session: Session, parent: Context, agentId: string | undefined, request: McpRequest, name: string, attrs: AttributeMap, finish: Finish): Call {
  const tool = U.toolCall(request);
  const event = new ToolEvent({ name: tool.name, agentId, params: o.captureContent ? tool.args : undefined, attributes: attrs });
  setEventSpanShape(event, { name, kind: SpanKind.CLIENT });
  let settle!: (value: unknown) => void;
  const done = new Promise<unknown>((resolve) => (settle = resolve));
  let ctx = parent;
  context.with(parent, () => {
    const p = session.runEvent(event, () => {
      ctx = context.active();
      return done;
    }) as unknown;
    if (p instanceof Promise) p.then(noop, noop);
  });
  const span = ctx !== parent ? trace.getSpan(ctx) : undefined;
  let ended = false;
  const close = (outcome: McpOutcome, result: unknown, err?: unknown): void => {
    if (ended) return;
    ended = true;
    try {
      event.attributes = { ...event.attributes, ...finish(outcome, result) };
      // A failed request is an error of the session too, as a failing recordTool is; a tool
      // result with isError is a result, so only its span says so.
      if (err !== undefined) session.record(new ErrorEvent({ triggerEvent: event, exception: err, agentId: event.agentId }));
      markError(span, outcome, o);
    } catch (e) {
      logger.limited('warn', 'mcp-client-end', 'tracing the end of an MCP request failed; the request is unaffected', { error: e });
    }
    settle(o.captureContent ? result : undefined);
  };
  return {
    ctx,
    addAttributes: (more) => (event.attributes = { ...event.attributes, ...more }),
    end: (result) => close(U.resultOutcome(M.METHOD_TOOLS_CALL, result), result),
    fail: (err) => close(U.errorOutcome(err, 'client'), undefined, err),
  };
}

function startSpan(deps: McpDeps, o: McpMapping, parent: Context, method: string, request: McpRequest, name: string, attrs: AttributeMap, finish: Finish, isTool: boolean): Call {
  // Outside a session a tool call is still shaped as a ToolEvent span would be.
  const event = isTool ? new ToolEvent({ name: U.toolCall(request).name, params: o.captureContent ? U.toolCall(request).args : undefined }) : undefined;
  const startAttrs: AttributeMap = { ...attrs, [AS.ATTR_SPAN_KIND]: isTool ? 'tools' : M.SPAN_KIND_MCP };
  if (event !== undefined) {
    startAttrs[AS.ATTR_EVENT_ID] = event.id;
    startAttrs[AS.ATTR_EVENT_TYPE] = 'tools';
  }
  stats.spanCreated(isTool ? 'tools' : M.SPAN_KIND_MCP);
  const span = deps.tracer().startSpan(name, { kind: SpanKind.CLIENT, attributes: startAttrs }, parent);
  let ended = false;
  const close = (outcome: McpOutcome, result: unknown): void => {
    if (ended) return;
    ended = true;
    try {
      span.setAttributes(finish(outcome, result));
      if (event !== undefined) {
        event.returns = result;
        span.setAttributes(AU.eventEndAttributes(event, o, {}));
      }
      markError(span, outcome, o);
    } catch (e) {
      logger.limited('warn', 'mcp-client-end', 'tracing the end of an MCP request failed; the request is unaffected', { error: e });
    }
    span.end();
  };
  return {
    ctx: trace.setSpan(parent, span),
    addAttributes: (more) => span.setAttributes(more),
    end: (result) => close(U.resultOutcome(method, result), result),
    fail: (err) => close(U.errorOutcome(err, 'client'), undefined),
  };
}
