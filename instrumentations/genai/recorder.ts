/**
 * Turns one LLM call into one span. When an AgentOps session is current (the process client's
 * `currentSession()`, else the AGENTOPS_AUTO_SESSION session), the call is an `LLMEvent` run
 * through `session.runEvent`, so the AgentOps instrumentation starts its span when the call starts,
 * nests it under the current agent, counts it in the session, and ends it when the response or the
 * stream completes. Otherwise the span is made here with the same name and attributes: a child of
 * the active span, or a root span (its own trace) when there is none.
 *
 * Nothing here may throw into the app: every failure of ours is logged (rate-limited) and the SDK
 * call goes on untraced.
 */
import { context, createContextKey, SpanKind, SpanStatusCode, trace, type Attributes, type Context, type Meter, type Span, type Tracer } from '@opentelemetry/api';
import { isTraced } from '../agentops/session-states';
import { getClient, LLMEvent, type Session } from '../../src/client';
import { errorTypeName } from '../../src/client/error-type';
import { nowNs } from '../../src/client/timestamps';
import { autoSession } from './auto-session';
import { logger } from '../../src/shared/logger';
import { stats } from '../../src/shared/stats';
import * as AU from '../agentops/utils';
import * as AS from '../agentops/semconv';
import { boundedJson } from './messages';
import { recordCallMetrics } from './metrics';
import { costUsd } from './prices';
import * as S from './semconv';
import type { AttributeMap, GenAiOptions, LlmOutcome, LlmRequest } from './types';

/** Set in the context while an instrumented call runs: an inner instrumented layer records nothing. */
const LLM_CALL_KEY = createContextKey('agentops-otel.llm-call');

export function insideLlmCall(ctx: Context = context.active()): boolean {
  return ctx.getValue(LLM_CALL_KEY) === true;
}

/** Where a call belongs, as told by an instrumentation that knows better than the context (agents). */
export interface ParentInfo {
  ctx: Context;
  /** The session to record in; undefined means "no session": a standalone span under `ctx`. */
  session: Session | undefined;
  agentId?: string;
  /** Told that an LLM call was recorded under this parent. */
  onLlmCall?(): void;
}
export type ParentResolver = () => ParentInfo | undefined;

const resolvers: ParentResolver[] = [];

export function addParentResolver(resolver: ParentResolver): () => void {
  resolvers.push(resolver);
  return () => {
    const i = resolvers.indexOf(resolver);
    if (i >= 0) resolvers.splice(i, 1);
  };
}

export interface RecorderDeps {
  tracer: Tracer;
  /** Where the GenAI client metrics go (the instrumentation's meter); none: not recorded. */
  meter?: Meter;
  options(): GenAiOptions;
}

/** The handle an instrumentation ends a call with. Both methods are idempotent and never throw. */
export interface LlmCall {
  end(outcome: LlmOutcome, extra?: AttributeMap): void;
  fail(err: unknown, extra?: AttributeMap): void;
  readonly ended: boolean;
}

/**
 * Runs `invoke` (the SDK call) as an LLM call. `observe` gets the SDK's return value and the call
 * handle, to end it when the response or stream completes; it must return nothing and must not
 * change what the caller gets. A synchronous throw of `invoke` fails the call and is rethrown as is.
 */
export function traceLlmCall<T>(deps: RecorderDeps, describe: () => LlmRequest, invoke: () => T, observe: (result: T, call: LlmCall) => void): T {
  if (insideLlmCall()) return invoke();
  let start: Started | undefined;
  try {
    start = startCall(deps, describe());
  } catch (err) {
    logger.limited('warn', 'llm-start', 'tracing an LLM call failed; the call is unaffected', { error: err });
  }
  if (start === undefined) return invoke();
  const { call } = start;
  let result!: T;
  let threw = false;
  let thrown: unknown;
  start.run(() => {
    try {
      result = invoke();
    } catch (err) {
      threw = true;
      thrown = err;
    }
  });
  if (threw) {
    call.fail(thrown);
    throw thrown;
  }
  try {
    observe(result, call);
  } catch (err) {
    logger.limited('warn', 'llm-observe', 'observing an LLM response failed; the call is unaffected', { error: err });
    call.end({ usage: {} });
  }
  return result;
}

interface Started {
  call: LlmCall;
  /** Runs the SDK call in the call's context (its span active, nested layers muted). */
  run(fn: () => void): void;
}

/** Where a call made now belongs: what a resolver (an agents run) says, else the active context and current session. */
export function resolveParent(): ParentInfo {
  for (const resolve of resolvers) {
    try {
      const p = resolve();
      if (p !== undefined) return p;
    } catch (err) {
      logger.limited('warn', 'llm-parent', 'resolving the parent of an LLM call failed', { error: err });
    }
  }
  const session = getClient()?.currentSession() ?? autoSession();
  return { ctx: context.active(), session };
}

function canRecord(session: Session | undefined): session is Session {
  return isTraced(session);
}

export function spanName(req: Pick<LlmRequest, 'operation' | 'requestModel'>): string {
  return req.requestModel !== undefined && req.requestModel !== '' ? `${req.operation} ${req.requestModel}` : req.operation;
}

function startCall(deps: RecorderDeps, req: LlmRequest): Started {
  const o = deps.options();
  const parent = resolveParent();
  const event = new LLMEvent({
    model: req.requestModel,
    agentId: parent.agentId,
    prompt: o.captureContent ? req.prompt : undefined,
    attributes: {
      [S.ATTR_GEN_AI_OPERATION_NAME]: req.operation,
      [S.ATTR_GEN_AI_PROVIDER_NAME]: req.provider,
      ...req.attributes,
      ...(o.captureContent ? inputAttributes(req, o.maxAttributeLength) : {}),
      ...(req.streaming ? { [S.ATTR_LLM_STREAMING]: true, [S.ATTR_GEN_AI_REQUEST_STREAM]: true } : {}),
    },
  });
  parent.onLlmCall?.();
  const started = canRecord(parent.session) ? startInSession(req, o, parent, parent.session, event) : startStandalone(deps, req, o, parent, event);
  return { run: started.run, call: measured(deps.meter, req, started.call) };
}

/** The call handle, recording the GenAI client metrics when the call ends (first end or fail only). */
function measured(meter: Meter | undefined, req: LlmRequest, call: LlmCall): LlmCall {
  if (meter === undefined) return call;
  const startedAt = performance.now();
  const record = (outcome: LlmOutcome | undefined, err: unknown, failed: boolean): void => {
    if (call.ended) return;
    guard('metrics', () => recordCallMetrics(meter, req, (performance.now() - startedAt) / 1000, outcome, failed ? (errorTypeName(err) ?? '_OTHER') : undefined));
  };
  return {
    get ended() {
      return call.ended;
    },
    end(outcome, extra) {
      record(outcome, undefined, false);
      call.end(outcome, extra);
    },
    fail(err, extra) {
      record(undefined, err, true);
      call.fail(err, extra);
    },
  };
}

export function applyOutcome(event: LLMEvent, req: LlmRequest, o: GenAiOptions, outcome: LlmOutcome, extra: AttributeMap | undefined): void {
  const u = outcome.usage;
  event.promptTokens = u.inputTokens;
  event.completionTokens = u.outputTokens;
  const models = req.priceModels ?? [outcome.responseModel, req.requestModel];
  event.cost = models.reduce<number | undefined>((cost, model) => cost ?? costUsd(o.prices, model, u, req.provider), undefined);
  if (o.captureContent && outcome.completion !== undefined) event.completion = outcome.completion;
  const output = o.captureContent ? outputAttributes(outcome, o.maxAttributeLength) : {};
  event.attributes = {
    ...event.attributes,
    [S.ATTR_GEN_AI_RESPONSE_MODEL]: outcome.responseModel,
    [S.ATTR_GEN_AI_RESPONSE_ID]: outcome.responseId,
    [S.ATTR_GEN_AI_RESPONSE_FINISH_REASONS]: outcome.finishReasons !== undefined && outcome.finishReasons.length > 0 ? outcome.finishReasons : undefined,
    [S.ATTR_GEN_AI_USAGE_CACHE_READ_INPUT_TOKENS]: u.cacheReadTokens,
    [S.ATTR_GEN_AI_USAGE_CACHE_CREATION_INPUT_TOKENS]: u.cacheCreationTokens,
    ...output,
    ...outcome.attributes,
    ...extra,
  };
  event.endTimeNs = nowNs();
}

/** `gen_ai.input.messages` and `gen_ai.system_instructions`; nothing when the mapping fails. */
function inputAttributes(req: LlmRequest, max: number): AttributeMap {
  if (req.content === undefined) return {};
  try {
    const c = req.content();
    return {
      [S.ATTR_GEN_AI_INPUT_MESSAGES]: boundedJson(c.messages, max),
      [S.ATTR_GEN_AI_SYSTEM_INSTRUCTIONS]: c.system !== undefined && c.system.length > 0 ? boundedJson(c.system, max) : undefined,
    };
  } catch (err) {
    logger.limited('warn', 'llm-input-messages', 'mapping LLM input messages failed; the call is unaffected', { error: err });
    return {};
  }
}

function outputAttributes(outcome: LlmOutcome, max: number): AttributeMap {
  if (outcome.output === undefined) return {};
  try {
    const messages = outcome.output();
    return messages.length > 0 ? { [S.ATTR_GEN_AI_OUTPUT_MESSAGES]: boundedJson(messages, max) } : {};
  } catch (err) {
    logger.limited('warn', 'llm-output-messages', 'mapping LLM output messages failed; the call is unaffected', { error: err });
    return {};
  }
}

export function applyError(event: LLMEvent, err: unknown, extra?: AttributeMap): void {
  event.attributes = { ...event.attributes, ...extra, ...errorAttributes(err) };
  event.endTimeNs = nowNs();
}

/** `error.type`: the SDK's error class (RateLimitError, InternalServerError, ...), and the HTTP status when there is one. */
export function errorAttributes(err: unknown): AttributeMap {
  const attrs: AttributeMap = {};
  // The same name an ErrorEvent of this error gets, so both count under one type.
  attrs[S.ATTR_ERROR_TYPE] = errorTypeName(err) ?? '_OTHER';
  // The AWS SDK keeps it in `$metadata`.
  const status = (err as { status?: unknown } | null)?.status ?? (err as { $metadata?: { httpStatusCode?: unknown } } | null)?.$metadata?.httpStatusCode;
  if (typeof status === 'number' && Number.isInteger(status)) attrs[S.ATTR_HTTP_RESPONSE_STATUS_CODE] = status;
  return attrs;
}

function noop(): void {}

function startInSession(req: LlmRequest, o: GenAiOptions, parent: ParentInfo, session: Session, event: LLMEvent): Started {
  let settle!: (failed: boolean, err?: unknown) => void;
  const done = new Promise<undefined>((resolve, reject) => {
    settle = (failed, err) => (failed ? reject(err) : resolve(undefined));
  });
  const call = onceCall(
    (outcome, extra) => {
      guard('end', () => applyOutcome(event, req, o, outcome, extra));
      settle(false);
    },
    (err, extra) => {
      guard('fail', () => applyError(event, err, extra));
      settle(true, err);
    },
  );
  return {
    call,
    run(fn) {
      context.with(parent.ctx, () => {
        let p: unknown;
        try {
          p = session.runEvent(event, () => {
            context.with(context.active().setValue(LLM_CALL_KEY, true), fn);
            return done;
          });
        } catch (err) {
          // runEvent itself failed (not the SDK call: `fn` catches that).
          logger.limited('warn', 'llm-run-event', 'recording an LLM event failed; the call is unaffected', { error: err });
        }
        if (p instanceof Promise) p.then(noop, noop);
      });
    },
  };
}

function startStandalone(deps: RecorderDeps, req: LlmRequest, o: GenAiOptions, parent: ParentInfo, event: LLMEvent): Started {
  const startAttrs: Attributes = {
    [AS.ATTR_SERVICE_NAME]: o.serviceName,
    [AS.ATTR_SPAN_KIND]: 'llms',
    [AS.ATTR_EVENT_ID]: event.id,
    [AS.ATTR_EVENT_TYPE]: 'llms',
  };
  for (const [k, v] of Object.entries(event.attributes ?? {})) if (v !== undefined) startAttrs[k] = v;
  if (req.requestModel !== undefined) startAttrs[S.ATTR_GEN_AI_REQUEST_MODEL] = req.requestModel;
  if (parent.agentId !== undefined) startAttrs[AS.ATTR_AGENT_ID] = parent.agentId;
  stats.spanCreated('llms');
  const span: Span = deps.tracer.startSpan(spanName(req), { kind: SpanKind.INTERNAL, attributes: startAttrs }, parent.ctx);
  const spanCtx = trace.setSpan(parent.ctx, span);
  const mapping: AU.MappingOptions = { serviceName: o.serviceName, captureContent: o.captureContent, maxAttributeLength: o.maxAttributeLength, prices: o.prices };
  const call = onceCall(
    (outcome, extra) => {
      guard('end', () => {
        applyOutcome(event, req, o, outcome, extra);
        span.setAttributes(AU.eventEndAttributes(event, mapping, {}));
      });
      span.end();
    },
    (err, extra) => {
      guard('fail', () => {
        applyError(event, err, extra);
        span.setAttributes(AU.eventEndAttributes(event, mapping, {}));
        const message = err instanceof Error ? err.message : undefined;
        span.setStatus({ code: SpanStatusCode.ERROR, message: o.captureContent ? message : undefined });
        if (o.captureContent && err instanceof Error) span.recordException(err);
      });
      span.end();
    },
  );
  return { call, run: (fn) => context.with(spanCtx.setValue(LLM_CALL_KEY, true), fn) };
}

/** A call handle that acts once: whichever of end() and fail() comes first (a stream may report both). */
function onceCall(onEnd: (outcome: LlmOutcome, extra?: AttributeMap) => void, onFail: (err: unknown, extra?: AttributeMap) => void): LlmCall {
  let ended = false;
  return {
    get ended() {
      return ended;
    },
    end(outcome, extra) {
      if (ended) return;
      ended = true;
      onEnd(outcome, extra);
    },
    fail(err, extra) {
      if (ended) return;
      ended = true;
      onFail(err, extra);
    },
  };
}

function guard(what: string, fn: () => void): void {
  try {
    fn();
  } catch (err) {
    logger.limited('warn', `llm-${what}`, `tracing an LLM call (${what}) failed; the call is unaffected`, { error: err });
  }
}
