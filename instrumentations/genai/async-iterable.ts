/**
 * Watching a plain async iterable that an SDK returns (the AWS SDK's event streams), in place:
 * the caller keeps the same object, whose `[Symbol.asyncIterator]` now hands out an iterator that
 * yields the very values and errors of the original one. Nothing is read ahead or buffered: we see
 * a value when the caller pulls it.
 */
import { logger } from '../../src/shared/logger';
import { wrapIterator, type StreamHooks } from './stream';
import type { StreamEnd } from './types';

type IterableFn = (this: unknown) => AsyncIterator<unknown>;

/** Ends an observed stream nobody iterates, once it is garbage-collected. */
const unread = new FinalizationRegistry<() => void>((end) => {
  try {
    end();
  } catch {
    // never into the app
  }
});

/**
 * Observes the first iteration of `iterable`; `onEnd` runs once: at its end, when the caller
 * leaves early (`break`, `return`), on an error, or when the stream is dropped unread.
 * False (and nothing changed) when `iterable` is not an async iterable we can patch.
 */
export function observeAsyncIterable<C>(iterable: unknown, hooks: StreamHooks<C>): boolean {
  if (iterable === null || typeof iterable !== 'object') return false;
  const target = iterable as Record<symbol, unknown>;
  const original = target[Symbol.asyncIterator];
  if (typeof original !== 'function') return false;
  const own = Object.getOwnPropertyDescriptor(target, Symbol.asyncIterator);
  const token = {};
  let ended = false;
  // Holds no reference to `iterable`, so the registry can still collect it.
  const end = (how: StreamEnd, err?: unknown): void => {
    if (ended) return;
    ended = true;
    unread.unregister(token);
    try {
      hooks.onEnd(how, err);
    } catch (e) {
      logger.limited('warn', 'llm-iterable-end', 'tracing an LLM stream (end) failed; the app is unaffected', { error: e });
    }
  };
  let started = false;
  const iterate: IterableFn = function (this: unknown) {
    const it = (original as IterableFn).call(this);
    if (started) return it;
    started = true;
    return wrapIterator(it as AsyncIterator<C>, hooks, end);
  };
  try {
    // Same enumerability as before: a spread or Object.assign of the stream copies what it did.
    Object.defineProperty(target, Symbol.asyncIterator, { configurable: true, writable: true, enumerable: own?.enumerable ?? false, value: iterate });
  } catch {
    return false; // frozen or a non-configurable own property: left as it is
  }
  unread.register(iterable, () => end('abandoned'), token);
  return true;
}
