/**
 * The model of one AI SDK call, seen through a proxy whose `doGenerate`, `doStream` and `doEmbed`
 * make one LLM span per provider request. This is the one point every provider passes: the AI
 * SDK's providers speak HTTP with `fetch` themselves, so no SDK instrumentation sees their calls.
 * The app's model object is never changed: the proxy exists for this call only, and everything
 * else it is asked for comes from the model itself (methods bound to it, so private fields work).
 */
import { context } from '@opentelemetry/api';
import type { Placement } from '../genai/framework-span';
import { traceLlmCall, type LlmCall, type RecorderDeps } from '../genai/recorder';
import * as S from '../shared/semconv';
import { observeReadableStream } from './readable-stream';
import type { ModelLike } from './types';
import * as U from './utils';

type AnyFn = (...args: any[]) => any; // eslint-disable-line @typescript-eslint/no-explicit-any

export interface ModelHooks {
  /** A model request failed (the call's span may end with it). */
  onFailure?(err: unknown): void;
}

function settle(result: unknown, call: LlmCall, toOutcome: (value: unknown) => ReturnType<typeof U.generateOutcome>, hooks: ModelHooks): void {
  Promise.resolve(result).then(
    (value) => call.end(toOutcome(value)),
    (err: unknown) => {
      call.fail(err);
      hooks.onFailure?.(err);
    },
  );
}

/** `doStream`'s result with its `stream` replaced by one that reports its parts to the call. */
function observeStreamResult(result: unknown, handle: () => LlmCall | undefined, capture: boolean, hooks: ModelHooks): unknown {
  const r = result as { stream?: unknown } | null;
  if (r === null || typeof r !== 'object' || handle() === undefined) return result;
  const acc = new U.StreamPartsAccumulator(capture);
  const stream = observeReadableStream(r.stream, {
    onPart: (part) => acc.add(part),
    onEnd: (how, err) => {
      const call = handle();
      const failure = how === 'error' ? err : acc.error;
      if (failure !== undefined) {
        call?.fail(failure);
        hooks.onFailure?.(failure);
      } else {
        call?.end(acc.outcome(), how === 'abandoned' ? { [S.ATTR_LLM_STREAM_ABANDONED]: true } : undefined);
      }
    },
  });
  if (stream === undefined) {
    handle()?.end({ usage: {} });
    return result;
  }
  return { ...r, stream };
}

export function wrapModel(model: unknown, place: Placement, deps: RecorderDeps, hooks: ModelHooks = {}): unknown {
  if (model === null || typeof model !== 'object') return model; // a model id string: resolved by the SDK, not traced
  const m = model as ModelLike;
  const overrides = new Map<PropertyKey, AnyFn>();
  const capture = (): boolean => deps.options().captureContent;
  if (typeof m.doGenerate === 'function') {
    const doGenerate = m.doGenerate;
    overrides.set('doGenerate', (options: unknown) =>
      context.with(place.ctx, () =>
        traceLlmCall(
          deps,
          () => U.languageRequest(m, options, false),
          () => doGenerate.call(m, options),
          (result, call) => settle(result, call, (v) => U.generateOutcome(v, capture()), hooks),
        ),
      ),
    );
  }
  if (typeof m.doStream === 'function') {
    const doStream = m.doStream;
    overrides.set('doStream', (options: unknown) => {
      let call: LlmCall | undefined;
      return context.with(place.ctx, () =>
        traceLlmCall(
          deps,
          () => U.languageRequest(m, options, true),
          () => Promise.resolve(doStream.call(m, options)).then((r) => observeStreamResult(r, () => call, capture(), hooks)),
          (result, handle) => {
            call = handle;
            result.then(undefined, (err: unknown) => {
              handle.fail(err);
              hooks.onFailure?.(err);
            });
          },
        ),
      );
    });
  }
  if (typeof m.doEmbed === 'function') {
    const doEmbed = m.doEmbed;
    overrides.set('doEmbed', (options: unknown) =>
      context.with(place.ctx, () =>
        traceLlmCall(
          deps,
          () => U.embedRequest(m, options),
          () => doEmbed.call(m, options),
          (result, call) => settle(result, call, U.embedOutcome, hooks),
        ),
      ),
    );
  }
  if (overrides.size === 0) return model;
  const bound = new Map<PropertyKey, [AnyFn, AnyFn]>();
  return new Proxy(m, {
    get(target, prop) {
      const own = overrides.get(prop);
      if (own !== undefined) return own;
      const v: unknown = Reflect.get(target, prop, target);
      if (typeof v !== 'function') return v;
      const cached = bound.get(prop);
      if (cached !== undefined && cached[0] === v) return cached[1];
      const b = (v as AnyFn).bind(target);
      bound.set(prop, [v as AnyFn, b]);
      return b;
    },
  });
}
