/** What the LLM SDK instrumentations share: options, the recorder deps, and the version string. */
import type { Meter, Tracer } from '@opentelemetry/api';
import { observeApiPromise, observeStream } from './stream';
import { warmPriceSource } from '../../src/shared/price-source';
import { NO_OVERRIDES, type PriceTable } from '../../src/shared/prices';
import type { LlmCall, RecorderDeps } from './recorder';
import * as S from '../shared/semconv';
import type { AttributeMap, GenAiOptions, LlmOutcome } from './types';
import { contentOptions } from '../../src/config/defaults';

export interface GenAiConfig {
  serviceName?: string;
  captureContent?: boolean;
  maxAttributeLength?: number;
  prices?: Readonly<PriceTable>;
}

export function genAiOptions(c: GenAiConfig): GenAiOptions {
  return { ...contentOptions(c), prices: c.prices ?? NO_OVERRIDES };
}

/**
 * What the recorder needs of an instrumentation. Called when an instrumentation patches its SDK:
 * the price data is loaded then too, while the app is loading modules anyway, rather than in
 * the middle of its first LLM call.
 */
export function recorderDeps(getTracer: () => Tracer, getConfig: () => GenAiConfig, getMeter?: () => Meter): RecorderDeps {
  warmPriceSource();
  return {
    get tracer() {
      return getTracer();
    },
    get meter() {
      return getMeter?.();
    },
    options: () => genAiOptions(getConfig()),
  };
}

/**
 * Ends `call` when what the SDK returned completes: the parsed body (`toOutcome`), or, for a
 * stream, its last chunk (`accumulate` sees every chunk), the caller leaving early, or an error.
 */
export function observeSdkResult(
  result: unknown,
  call: LlmCall,
  streaming: boolean,
  toOutcome: (value: unknown) => LlmOutcome,
  newAccumulator: () => { add(chunk: unknown): void; outcome(): LlmOutcome },
): void {
  const sentAt = performance.now();
  const onResult = (value: unknown): void => {
    if (streaming) {
      const acc = newAccumulator();
      let firstAt: number | undefined;
      // Seconds from the request to the first chunk the app reads.
      const timing = (): AttributeMap => (firstAt !== undefined ? { [S.ATTR_GEN_AI_RESPONSE_TIME_TO_FIRST_CHUNK]: (firstAt - sentAt) / 1000 } : {});
      const watched = observeStream<unknown>(value, {
        onChunk: (chunk) => {
          firstAt ??= performance.now();
          acc.add(chunk);
        },
        onEnd: (how, err) => {
          if (how === 'error') call.fail(err, timing());
          else call.end(acc.outcome(), how === 'abandoned' ? { ...timing(), [S.ATTR_LLM_STREAM_ABANDONED]: true } : timing());
        },
      });
      if (watched) return;
    }
    call.end(toOutcome(value));
  };
  const hooked = observeApiPromise(result, {
    onResult,
    onError: (err) => call.fail(err),
    onUnparsed: () => call.end({ usage: {} }, { [S.ATTR_LLM_RESPONSE_UNREAD]: true }),
  });
  if (hooked) return;
  // Not an APIPromise (an SDK we do not know): watch it as a plain promise.
  if (result !== null && typeof (result as PromiseLike<unknown>)?.then === 'function') {
    (result as PromiseLike<unknown>).then(onResult, (err: unknown) => call.fail(err));
  } else {
    call.end({ usage: {} });
  }
}
