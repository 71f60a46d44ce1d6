/**
 * One AI SDK call (generateText, streamText, generateObject, streamObject, embed, embedMany) as a
 * span that parents what the call does: one LLM span per model request (through the model proxy)
 * and one tool span per tool execution (through wrapped copies of the tools). The app's options
 * object, model and tools are not changed: the SDK gets copies for this call.
 *
 * The call's span ends when its promise settles; a streamed call's when the SDK reports it finished
 * (`onFinish`) or aborted (`onAbort`), when a model request fails, or when its result is dropped
 * unread (garbage-collected).
 */
import { context, type Attributes, type Tracer } from '@opentelemetry/api';
import { ATTR_SERVICE_NAME } from '@opentelemetry/semantic-conventions';
import { logger } from '../../src/shared/logger';
import * as AS from '../agentops/semconv';
import { startFrameworkSpan, type FrameworkSpan, type Placement } from '../genai/framework-span';
import type { RecorderDeps } from '../genai/recorder';
import * as S from '../shared/semconv';
import { wrapModel } from './model';
import { resolveModelId } from './resolve';
import * as A from './semconv';
import { runTool } from './tool';
import type { CallOptions, ModelLike, ToolLike } from './types';

type AnyFn = (...args: any[]) => any; // eslint-disable-line @typescript-eslint/no-explicit-any

export interface CallDeps extends RecorderDeps {
  getTracer(): Tracer;
  /** The provider a model given as a string id resolves through now (resolve.ts). */
  provider(): unknown;
}

/** Ends a streamed call's span whose result nobody kept. */
const unread = new FinalizationRegistry<() => void>((end) => {
  try {
    end();
  } catch {
    // never into the app
  }
});

function callAttributes(fn: string, model: unknown, serviceName: string): Attributes {
  const m = (model !== null && typeof model === 'object' ? model : {}) as ModelLike;
  const modelId = typeof model === 'string' ? model : m.modelId;
  const attrs: Attributes = { [ATTR_SERVICE_NAME]: serviceName, [AS.ATTR_SPAN_KIND]: A.SPAN_KIND_AI_SDK_CALL, [A.ATTR_AI_SDK_OPERATION]: fn };
  if (typeof modelId === 'string' && modelId !== '') attrs[S.ATTR_GEN_AI_REQUEST_MODEL] = modelId;
  return attrs;
}

/** Copies of the tools whose `execute` runs as a tool span under `place`. */
export function wrapTools(tools: unknown, place: Placement, deps: CallDeps): unknown {
  if (tools === null || typeof tools !== 'object') return tools;
  const out: Record<string, unknown> = {};
  for (const [name, tool] of Object.entries(tools as Record<string, ToolLike>)) {
    const execute = tool?.execute;
    if (typeof execute !== 'function') {
      out[name] = tool;
      continue;
    }
    const copy = Object.create(Object.getPrototypeOf(tool) as object, Object.getOwnPropertyDescriptors(tool)) as ToolLike;
    copy.execute = function (this: unknown, ...args: unknown[]) {
      return runTool({ tracer: () => deps.getTracer(), options: deps.options }, place, name, execute, this, args);
    };
    out[name] = copy;
  }
  return out;
}

/** Ends a streamed call (`end`) when its result is garbage-collected unread. */
export function endWhenDropped(result: object, end: () => void): void {
  unread.register(result, end);
}

/** Calls `fn` (an app callback option, if any) after `first`, returning what the app's returns. */
export function chain(first: () => void, fn: unknown): AnyFn {
  return function (this: unknown, ...args: unknown[]) {
    first();
    return typeof fn === 'function' ? (fn as AnyFn).apply(this, args) : undefined;
  };
}

export function stepsOf(value: unknown): Attributes | undefined {
  const steps = (value as { steps?: unknown } | null)?.steps;
  return Array.isArray(steps) ? { [A.ATTR_AI_SDK_STEPS]: steps.length } : undefined;
}

/** The call's span and the arguments the SDK gets instead of the app's: copies with traced model and tools. */
function prepare(deps: CallDeps, fn: string, options: CallOptions, args: unknown[]): { span: FrameworkSpan; callArgs: unknown[] } | undefined {
  const streaming = A.STREAMING_FUNCTIONS.has(fn);
  let span: FrameworkSpan | undefined;
  try {
    const fs = startFrameworkSpan(deps.getTracer(), fn, callAttributes(fn, options.model, deps.options().serviceName));
    span = fs;
    const model = resolveModelId(options.model, A.EMBED_FUNCTIONS.includes(fn as (typeof A.EMBED_FUNCTIONS)[number]) ? 'embedding' : 'language', deps.provider());
    const copy: CallOptions = { ...options, model: wrapModel(model, fs, deps, { onFailure: streaming ? (err) => fs.end(err) : undefined }) };
    if (options.tools !== undefined) copy.tools = wrapTools(options.tools, fs, deps) as CallOptions['tools'];
    if (streaming) {
      copy.onFinish = chain(() => fs.end(), options.onFinish);
      // ai 7 calls `onEnd` (defaulting to `onFinish`): chained only when the app gave one, so that
      // an app's `onFinish` still runs there.
      if (options.onEnd !== undefined) copy.onEnd = chain(() => fs.end(), options.onEnd);
      copy.onAbort = chain(() => fs.end(undefined, { [S.ATTR_LLM_STREAM_ABANDONED]: true }), options.onAbort);
    }
    return { span: fs, callArgs: [copy, ...args.slice(1)] };
  } catch (err) {
    span?.end();
    logger.limited('warn', 'ai-sdk-start', 'tracing an AI SDK call failed; the call is unaffected', { error: err });
    return undefined;
  }
}

export function traceCall(deps: CallDeps, fn: string, original: AnyFn, thisArg: unknown, args: unknown[]): unknown {
  const options = args[0] as CallOptions | undefined;
  const prepared = options !== null && typeof options === 'object' ? prepare(deps, fn, options, args) : undefined;
  if (prepared === undefined) return original.apply(thisArg, args);
  const { span, callArgs } = prepared;
  let result: unknown;
  try {
    result = context.with(span.ctx, () => original.apply(thisArg, callArgs));
  } catch (err) {
    span.end(err);
    throw err;
  }
  const streaming = A.STREAMING_FUNCTIONS.has(fn);
  if (!streaming && result !== null && typeof (result as PromiseLike<unknown>)?.then === 'function') {
    (result as PromiseLike<unknown>).then(
      (value) => span.end(undefined, stepsOf(value)),
      (err: unknown) => span.end(err),
    );
  } else if (streaming && result !== null && typeof result === 'object') {
    endWhenDropped(result, () => span.end(undefined, { [S.ATTR_LLM_STREAM_ABANDONED]: true }));
  } else {
    span.end();
  }
  return result;
}
