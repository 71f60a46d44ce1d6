/**
 * Adds tracing to the AgentOps client by patching its classes: a session becomes a root span
 * whose trace id is the session id, agents become its children, events the agents' children.
 * The OpenTelemetry context follows `agent.run()` / `session.run()` through AsyncLocalStorage,
 * so spans from other instrumentations (LLM SDKs, HTTP) nest under the right agent.
 *
 * Every patch calls the original first and never lets a tracing failure reach the app.
 */
import { context, ROOT_CONTEXT, SpanKind, SpanStatusCode, trace, type Attributes, type Context, type Span } from '@opentelemetry/api';
import { InstrumentationBase, InstrumentationNodeModuleDefinition, isWrapped } from '@opentelemetry/instrumentation';
import type { ReadableSpan } from '@opentelemetry/sdk-trace-base';
import type { Agent, Client, Event, Session } from '../../src/client';
import { sessionIdGenerator, sessionIdToTraceId } from './id-generator';
import { logger } from '../../src/shared/logger';
import { stats } from '../../src/shared/stats';
import { bindEmitterListeners, unbindEmitterListeners } from './emitter-context';
import { eventSpanShape } from './event-span-shape';
import { recordFinished, type FinishedSpanSink } from './finished-span';
import { parentFor, states, type SessionState, type SpanRef } from './session-states';
import type { AgentOpsInstrumentationConfig } from './types';
import * as U from './utils';
import { PACKAGE_VERSION } from '../../src/shared/version';
import { contentOptions } from '../../src/config/defaults';

const PACKAGE_NAME = 'agentops-otel';
const VERSION: string = PACKAGE_VERSION;

interface ClientModule {
  Client: { prototype: Client };
  Session: { prototype: Session };
  Agent: { prototype: Agent };
}

type AnyFn = (...args: any[]) => any; // eslint-disable-line @typescript-eslint/no-explicit-any

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

export class AgentOpsInstrumentation extends InstrumentationBase<AgentOpsInstrumentationConfig> {
  private finishedSink: FinishedSpanSink | undefined;

  constructor(config: AgentOpsInstrumentationConfig = {}) {
    super(`${PACKAGE_NAME}/instrumentation-agentops`, VERSION, config);
  }

  /** A copy of the client installed elsewhere (the app's own node_modules) is patched when required. */
  protected init(): InstrumentationNodeModuleDefinition[] {
    return [
      new InstrumentationNodeModuleDefinition(
        PACKAGE_NAME,
        ['*'],
        (exports: ClientModule) => {
          this.patchClient(exports);
          return exports;
        },
        (exports: ClientModule) => this.unpatchClient(exports),
      ),
    ];
  }

  /** Also patches the client bundled with this preload: the app gets that very module when it resolves to the same file. */
  override enable(): void {
    super.enable();
    this.patchClient(require('../../src/client') as ClientModule);
    const { clientScope } = require('../../src/client/context') as typeof import('../../src/client/context');
    bindEmitterListeners(() => clientScope.getStore() !== undefined);
  }

  override disable(): void {
    super.disable();
    this.unpatchClient(require('../../src/client') as ClientModule);
    unbindEmitterListeners();
  }

  /** Sessions that have not ended; the preload ends them at exit. */
  openSessions(): Session[] {
    return [...states.keys()];
  }

  /** Computed on first use, after construction (see the note on `states`), and again after setConfig. */
  private mapping: U.MappingOptions | undefined;

  override setConfig(config: AgentOpsInstrumentationConfig = {}): void {
    super.setConfig(config);
    this.mapping = undefined;
  }

  private options(): U.MappingOptions {
    if (this.mapping === undefined) {
      const c = this.getConfig();
      this.mapping = { ...contentOptions(c), prices: c.prices };
    }
    return this.mapping;
  }

  private patchClient(mod: ClientModule): void {
    if (mod?.Client?.prototype === undefined || mod.Session?.prototype === undefined || mod.Agent?.prototype === undefined) return;
    if (isWrapped(mod.Session.prototype.record)) return;
    const self = this;
    this.wrapMethod(
      mod.Client.prototype,
      'startSession',
      (original: AnyFn) =>
        function startSession(this: Client, ...args: unknown[]) {
          const session = original.apply(this, args) as Session;
          self.guard('startSession', () => self.onSessionStart(session));
          return session;
        },
    );
    this.wrapMethod(
      mod.Session.prototype,
      'createAgent',
      (original: AnyFn) =>
        function createAgent(this: Session, ...args: unknown[]) {
          const agent = original.apply(this, args) as Agent;
          self.guard('createAgent', () => self.onAgentCreated(this, agent));
          return agent;
        },
    );
    this.wrapMethod(
      mod.Session.prototype,
      'record',
      (original: AnyFn) =>
        function record(this: Session, ...args: unknown[]) {
          const event = original.apply(this, args) as Event | undefined;
          // The hot path: a plain try/catch instead of guard(), which would allocate a closure per event.
          if (event !== undefined) {
            try {
              self.onRecord(this, event);
            } catch (err) {
              self.guard('record', () => {
                throw err;
              });
            }
          }
          return event;
        },
    );
    this.wrapMethod(
      mod.Session.prototype,
      'runEvent',
      (original: AnyFn) =>
        function runEvent(this: Session, event: Event, fn: () => unknown) {
          const session = this;
          // The span starts when the original calls `fn`: by then it has filled in the event's agent
          // from the agent scope, which the choice of parent depends on.
          return original.call(this, event, function runEventBody(this: unknown) {
            const ctx = self.guard('runEvent', () => self.onEventStart(session, event));
            return ctx === undefined ? fn.call(this) : context.with(ctx, fn, this);
          });
        },
    );
    this.wrapMethod(
      mod.Session.prototype,
      'run',
      (original: AnyFn) =>
        function run(this: Session, fn: () => unknown) {
          const state = states.get(this);
          return state === undefined ? original.call(this, fn) : context.with(state.root.ctx, original, this, fn);
        },
    );
    this.wrapMethod(
      mod.Session.prototype,
      'end',
      (original: AnyFn) =>
        function end(this: Session, ...args: unknown[]) {
          const result = original.apply(this, args);
          self.guard('end', () => self.onSessionEnd(this));
          return result;
        },
    );
    this.wrapMethod(
      mod.Agent.prototype,
      'run',
      (original: AnyFn) =>
        function run(this: Agent, fn: () => unknown) {
          const ref = states.get(this.session)?.agents.get(this.id);
          return ref === undefined ? original.call(this, fn) : context.with(ref.ctx, original, this, fn);
        },
    );
    this.wrapMethod(
      mod.Agent.prototype,
      'end',
      (original: AnyFn) =>
        function end(this: Agent, ...args: unknown[]) {
          const result = original.apply(this, args);
          self.guard('agent.end', () => self.onAgentEnd(this));
          return result;
        },
    );
  }

  private wrapMethod(proto: object, name: string, wrapper: (original: AnyFn) => AnyFn): void {
    this._wrap(proto as Record<string, AnyFn>, name, wrapper);
  }

  private unpatchClient(mod: ClientModule): void {
    if (mod?.Client?.prototype === undefined || !isWrapped(mod.Session.prototype.record)) return;
    this._unwrap(mod.Client.prototype, 'startSession');
    for (const m of ['createAgent', 'record', 'runEvent', 'run', 'end'] as const) this._unwrap(mod.Session.prototype, m);
    for (const m of ['run', 'end'] as const) this._unwrap(mod.Agent.prototype, m);
  }

  /** Tracing must never break the app: a failure here is logged (rate-limited) and swallowed. */
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
      this.tracer.startSpan(
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
    const span = this.tracer.startSpan(
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
    return this.tracer.startSpan(name, { kind, startTime: U.hrTimeFromNanos(event.initTimeNs), attributes }, parent.ctx);
  }

  /** The preload's hand-off, taking recorded events' spans whole (see finished-span.ts). */
  setFinishedSpanSink(sink: FinishedSpanSink | undefined): void {
    this.finishedSink = sink;
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
    // Caught by guard(), which logs it: a tracing failure never reaches the app.
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
      if (e.exception !== undefined) span.addEvent('exception', { 'exception.type': e.errorType ?? '_OTHER' }, at);
    } else if (e.exception instanceof Error) span.recordException(e.exception, at);
    else if (e.exception !== undefined) span.recordException(U.exceptionText(e.exception), at);
    // The failed action or tool is marked too, while it is still open.
    const trigger = e.triggerEvent !== undefined ? state.openEvents.get(e.triggerEvent) : undefined;
    if (trigger !== undefined) {
      trigger.span.setStatus(status);
      trigger.span.setAttribute('error.type', e.errorType ?? '_OTHER');
    }
  }

  private onSessionEnd(session: Session): void {
    const state = states.get(session);
    if (state === undefined || !session.ended) return;
    states.delete(session);
    const endTime = session.endTimeNs !== undefined ? U.hrTimeFromNanos(session.endTimeNs) : undefined;
    // Events whose action never settled would otherwise stay open forever.
    for (const ref of state.openEvents.values()) {
      ref.span.setAttribute('agentops.event.incomplete', true);
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
