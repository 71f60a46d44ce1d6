/** What the LLM SDK instrumentations share: options, the recorder deps, and the version string. */
import type { Tracer } from '@opentelemetry/api';
import { observeApiPromise, observeStream } from './stream';
import { DEFAULT_PRICES, type PriceTable } from './prices';
import type { LlmCall, RecorderDeps } from './recorder';
import * as S from './semconv';
import type { GenAiOptions, LlmOutcome } from './types';
import { contentOptions } from '../../src/config/defaults';

export interface GenAiConfig {
  serviceName?: string;
  captureContent?: boolean;
  maxAttributeLength?: number;
  prices?: Readonly<PriceTable>;
}

export function genAiOptions(c: GenAiConfig): GenAiOptions {
  return { ...contentOptions(c), prices: c.prices ?? DEFAULT_PRICES };
}

export function recorderDeps(getTracer: () => Tracer, getConfig: () => GenAiConfig): RecorderDeps {
  return { get tracer() { return getTracer(); }, options: () => genAiOptions(getConfig()) };
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
  const onResult = (value: unknown): void => {
    if (streaming) {
      const acc = newAccumulator();
      const watched = observeStream<unknown>(value, {
        onChunk: (chunk) => acc.add(chunk),
        onEnd: (how, err) => {
          if (how === 'error') call.fail(err);
          else call.end(acc.outcome(), how === 'abandoned' ? { [S.ATTR_LLM_STREAM_ABANDONED]: true } : undefined);
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
