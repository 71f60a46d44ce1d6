/**
 * Turns one LLM call into one span, one way wherever the call is made: the call is an `LLMEvent`
 * run by the event runner (agentops/event-runner.ts) where it belongs. In an AgentOps session (the
 * process client's `currentSession()`, else the AGENTOPS_AUTO_SESSION session, or where an agents
 * run puts it) the session counts it and its span nests under the current agent; outside any, the
 * span is a child of the active span, or a root span (its own trace) when there is none. The span
 * starts with the call and ends when the response or the stream completes.
 *
 * Nothing here may throw into the app: every failure of ours is logged (rate-limited) and the SDK
 * call goes on untraced.
 */
import { context, createContextKey, type Context, type Meter, type Tracer } from '@opentelemetry/api';
import { ATTR_ERROR_TYPE, ATTR_HTTP_RESPONSE_STATUS_CODE } from '@opentelemetry/semantic-conventions';
import { getClient, LLMEvent, type Session } from '../../src/client';
import { errorTypeName } from '../../src/client/error-type';
import { nowNs } from '../../src/client/timestamps';
import { logger } from '../../src/shared/logger';
import { runEvent } from '../agentops/event-runner';
import { autoSession } from './auto-session';
import { boundedJson } from './messages';
import { recordCallMetrics } from './metrics';
import { costUsd } from '../../src/shared/prices';
import * as S from '../shared/semconv';
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
  const run = (fn: () => void): void => {
    // The SDK call runs in the event's body, its span active and nested instrumented layers muted.
    const muted = (): void => context.with(context.active().setValue(LLM_CALL_KEY, true), fn);
    let ran = false;
    try {
      const recorded = runEvent({ tracer: deps.tracer, options: () => o }, parent, event, () => {
        ran = true;
        muted();
        return done;
      });
      recorded.then(noop, noop);
    } catch (err) {
      logger.limited('warn', 'llm-run-event', 'recording an LLM event failed; the call is unaffected', { error: err });
      if (!ran) muted();
    }
  };
  return { run, call: measured(deps.meter, req, call) };
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
  attrs[ATTR_ERROR_TYPE] = errorTypeName(err) ?? '_OTHER';
  // The AWS SDK keeps it in `$metadata`.
  const status = (err as { status?: unknown } | null)?.status ?? (err as { $metadata?: { httpStatusCode?: unknown } } | null)?.$metadata?.httpStatusCode;
  if (typeof status === 'number' && Number.isInteger(status)) attrs[ATTR_HTTP_RESPONSE_STATUS_CODE] = status;
  return attrs;
}

function noop(): void {}

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
