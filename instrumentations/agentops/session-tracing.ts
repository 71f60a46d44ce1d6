/**
 * What tracing does at each point of the client's hook (src/client/hooks.ts): a session becomes a
 * root span whose trace id is the session id, agents become its children, events the agents'
 * children. `session.run()` / `agent.run()` make the session's or agent's span active, so spans of
 * other instrumentations (LLM SDKs, HTTP) nest under the right agent.
 *
 * The same object serves the client bundled with the preload (registered as its hook) and another
 * installed copy of the package (whose prototypes call it, client-copy.ts). Every method catches
 * its own failures: tracing never breaks the app.
 */
import { context, ROOT_CONTEXT, SpanKind, SpanStatusCode, trace, type Attributes, type Context, type Span, type Tracer } from '@opentelemetry/api';
import type { ReadableSpan } from '@opentelemetry/sdk-trace-base';
import { ATTR_ERROR_TYPE, ATTR_EXCEPTION_TYPE } from '@opentelemetry/semantic-conventions';
import type { Agent, Event, Session } from '../../src/client';
import type { ClientScope } from '../../src/client/context';
import type { ClientHooks } from '../../src/client/hooks';
import { logger } from '../../src/shared/logger';
import { stats } from '../../src/shared/stats';
import { eventSpanShape } from './event-span-shape';
import { recordFinished, type FinishedSpanSink } from './finished-span';
import { sessionIdGenerator, sessionIdToTraceId } from './id-generator';
import * as AS from './semconv';
import { parentFor, states, type SessionState, type SpanRef } from './session-states';
import * as U from './utils';

/** A hostile getter on the event still leaves the span a name. */
function eventNameAndKind(event: Event): { name: string; kind: SpanKind } {
  const shape = eventSpanShape(event);
  if (shape !== undefined) return shape;
  try {
    return { name: U.eventSpanName(event), kind: SpanKind.INTERNAL };
  } catch {
    return { name: String(event.eventType), kind: SpanKind.INTERNAL };
  }
}

export class SessionTracing implements ClientHooks {
  /** The preload's hand-off, taking recorded events' spans whole (see finished-span.ts). */
  finishedSink: FinishedSpanSink | undefined;

  constructor(
    private readonly tracer: () => Tracer,
    private readonly options: () => U.MappingOptions,
  ) {}

  sessionStarted(session: Session): void {
    this.guard('startSession', () => this.onSessionStart(session));
  }

  sessionEnded(session: Session): void {
    this.guard('end', () => this.onSessionEnd(session));
  }

  agentCreated(session: Session, agent: Agent): void {
    this.guard('createAgent', () => this.onAgentCreated(session, agent));
  }

  agentEnded(agent: Agent): void {
    this.guard('agent.end', () => this.onAgentEnd(agent));
  }

  eventRecorded(session: Session, event: Event): void {
    // The hot path: a plain try/catch instead of guard(), which would allocate a closure per event.
    try {
      this.onRecord(session, event);
    } catch (err) {
      this.guard('record', () => {
        throw err;
      });
    }
  }

  /** The event's span starts now: by then runEvent has filled in the event's agent, which the choice of parent depends on. */
  runEventBody<R>(session: Session, event: Event, body: () => R): R {
    const ctx = this.guard('runEvent', () => this.onEventStart(session, event));
    return ctx === undefined ? body() : context.with(ctx, body);
  }

  runInScope<T>(scope: ClientScope, fn: () => T): T {
    const state = states.get(scope.session);
    const ref = state === undefined ? undefined : scope.agent === undefined ? state.root : state.agents.get(scope.agent.id);
    return ref === undefined ? fn() : context.with(ref.ctx, fn);
  }

  /** A failure here is logged (rate-limited) and swallowed. */
  private guard<T>(what: string, fn: () => T): T | undefined {
    try {
      return fn();
    } catch (err) {
      logger.limited('warn', `agentops-instrumentation:${what}`, `tracing ${what} failed; the app is unaffected`, { error: err });
      return undefined;
    }
  }

  private onSessionStart(session: Session): void {
    if (states.has(session)) return;
    const traceId = sessionIdToTraceId(session.id);
    // A true root span: ROOT_CONTEXT, so an active span of the caller (an HTTP request, say) does not become its parent.
    const span = sessionIdGenerator.withTraceId(traceId, () =>
      this.tracer().startSpan(
        'session',
        { kind: SpanKind.INTERNAL, root: true, startTime: U.hrTimeFromNanos(session.initTimeNs), attributes: U.sessionSpanAttributes(session, this.options()) },
        ROOT_CONTEXT,
      ),
    );
    if (span.isRecording() && span.spanContext().traceId !== traceId) {
      logger.limited('warn', 'trace-id-mismatch', 'the session span did not get the session id as trace id: another TracerProvider with its own id generator is registered', {
        sessionId: session.id,
      });
    }
    stats.spanCreated('session');
    const root: SpanRef = { span, ctx: trace.setSpan(ROOT_CONTEXT, span), agentId: undefined };
    states.set(session, { session, root, agents: new Map(), openEvents: new Map(), openSpans: new Map([[span, root]]) });
  }

  private onAgentCreated(session: Session, agent: Agent): void {
    const state = states.get(session);
    if (state === undefined || state.agents.has(agent.id) || agent.session !== session) return;
    const span = this.tracer().startSpan(
      U.agentSpanName(agent),
      { kind: SpanKind.INTERNAL, startTime: U.hrTimeFromNanos(agent.startTimeNs), attributes: U.agentSpanAttributes(agent, session, this.options()) },
      state.root.ctx,
    );
    stats.spanCreated('agent');
    const ref: SpanRef = { span, ctx: trace.setSpan(state.root.ctx, span), agentId: agent.id };
    state.agents.set(agent.id, ref);
    state.openSpans.set(span, ref);
  }

  private onAgentEnd(agent: Agent): void {
    const state = states.get(agent.session);
    const ref = state?.agents.get(agent.id);
    if (state === undefined || ref === undefined || !state.openSpans.has(ref.span)) return;
    state.openSpans.delete(ref.span);
    ref.span.end(agent.endTimeNs !== undefined ? U.hrTimeFromNanos(agent.endTimeNs) : undefined);
  }

  /** An event run by `runEvent` (recordAction, recordTool) gets its span now, so work inside it nests under it. */
  private onEventStart(session: Session, event: Event): Context | undefined {
    const state = states.get(session);
    if (state === undefined || session.ended) return undefined;
    const parent = parentFor(state, event.agentId);
    const agentId = event.agentId ?? parent.agentId;
    if (event.agentId === undefined && agentId !== undefined) event.agentId = agentId;
    const span = this.startEventSpan(event, parent, this.startAttributes(state, event));
    const ref: SpanRef = { span, ctx: trace.setSpan(parent.ctx, span), agentId };
    state.openEvents.set(event, ref);
    state.openSpans.set(span, ref);
    return ref.ctx;
  }

  private startAttributes(state: SessionState, event: Event): Attributes {
    const agent = event.agentId !== undefined ? state.session.agent(String(event.agentId)) : undefined;
    return U.eventStartAttributes(event, state.session, agent, this.options());
  }

  private startEventSpan(event: Event, parent: SpanRef, attributes: Attributes): Span {
    stats.spanCreated(String(event.eventType));
    const { name, kind } = eventNameAndKind(event);
    return this.tracer().startSpan(name, { kind, startTime: U.hrTimeFromNanos(event.initTimeNs), attributes }, parent.ctx);
  }

  private onRecord(session: Session, event: Event): void {
    const state = states.get(session);
    if (state === undefined) return;
    const open = state.openEvents.get(event);
    // Recorded after the fact, every attribute is known, so the span starts with all of them at once.
    const attrs = open === undefined ? this.startAttributes(state, event) : {};
    let failure: unknown;
    try {
      U.eventEndAttributes(event, this.options(), attrs);
    } catch (err) {
      failure = err; // reported below, once the span is safely ended
    }
    let span: Span;
    if (open !== undefined) {
      state.openEvents.delete(event);
      state.openSpans.delete(open.span);
      span = open.span;
      span.setAttributes(attrs);
    } else {
      const parent = this.isErrorWithOpenTrigger(state, event) ?? parentFor(state, event.agentId);
      if (this.finishedSink !== undefined && failure === undefined && event.eventType !== 'errors') {
        const { name, kind } = eventNameAndKind(event);
        if (recordFinished(this.finishedSink, event, parent, attrs, name, kind, state.root.span as unknown as ReadableSpan)) {
          stats.spanCreated(String(event.eventType));
          return;
        }
      }
      span = this.startEventSpan(event, parent, attrs);
    }
    try {
      if (event.eventType === 'errors') this.markError(state, span, event);
    } finally {
      // A span that was started is always ended, even when an attribute could not be read.
      span.end(U.hrTimeFromNanos(event.endTimeNs ?? event.initTimeNs));
    }
    // Caught by the caller's guard, which logs it: a tracing failure never reaches the app.
    if (failure !== undefined) throw failure as Error;
  }

  /** An ErrorEvent whose trigger is still running nests under the trigger's span. */
  private isErrorWithOpenTrigger(state: SessionState, event: Event): SpanRef | undefined {
    if (event.eventType !== 'errors') return undefined;
    const trigger = (event as { triggerEvent?: Event }).triggerEvent;
    return trigger !== undefined ? state.openEvents.get(trigger) : undefined;
  }

  private markError(state: SessionState, span: Span, event: Event): void {
    const e = event as { exception?: unknown; errorType?: string; details?: unknown; triggerEvent?: Event };
    const capture = this.options().captureContent;
    const message = e.exception instanceof Error ? e.exception.message : typeof e.details === 'string' ? e.details : undefined;
    const status = { code: SpanStatusCode.ERROR, message: capture ? message : undefined };
    span.setStatus(status);
    const at = U.hrTimeFromNanos(event.initTimeNs);
    if (!capture) {
      // Error messages and stacks can quote prompts or provider output: only the type is kept.
      if (e.exception !== undefined) span.addEvent('exception', { [ATTR_EXCEPTION_TYPE]: e.errorType ?? '_OTHER' }, at);
    } else if (e.exception instanceof Error) span.recordException(e.exception, at);
    else if (e.exception !== undefined) span.recordException(U.exceptionText(e.exception), at);
    // The failed action or tool is marked too, while it is still open.
    const trigger = e.triggerEvent !== undefined ? state.openEvents.get(e.triggerEvent) : undefined;
    if (trigger !== undefined) {
      trigger.span.setStatus(status);
      trigger.span.setAttribute(ATTR_ERROR_TYPE, e.errorType ?? '_OTHER');
    }
  }

  private onSessionEnd(session: Session): void {
    const state = states.get(session);
    if (state === undefined || !session.ended) return;
    states.delete(session);
    const endTime = session.endTimeNs !== undefined ? U.hrTimeFromNanos(session.endTimeNs) : undefined;
    // Events whose action never settled would otherwise stay open forever.
    for (const ref of state.openEvents.values()) {
      ref.span.setAttribute(AS.ATTR_EVENT_INCOMPLETE, true);
      ref.span.end(endTime);
    }
    for (const ref of state.agents.values()) if (state.openSpans.has(ref.span)) ref.span.end(endTime);
    const root = state.root.span;
    root.setAttributes(U.sessionEndAttributes(session));
    if (session.endState === 'Fail') root.setStatus({ code: SpanStatusCode.ERROR, message: session.endStateReason });
    else if (session.endState === 'Success') root.setStatus({ code: SpanStatusCode.OK });
    root.end(endTime);
  }
}
