/**
 * Watching a web `ReadableStream` (the parts of an AI SDK `doStream`) without changing it: the
 * SDK gets a stream that pulls from the original only when it is read itself (no read-ahead) and
 * hands on the very parts and errors. Cancelling it cancels the original.
 */
import { logger } from '../../src/shared/logger';
import type { StreamEnd } from '../genai/types';

export interface PartHooks {
  onPart(part: unknown): void;
  /** Once: the stream closed, was cancelled or dropped unread (`abandoned`), or failed. */
  onEnd(how: StreamEnd, err?: unknown): void;
}

/** Ends an observed stream nobody reads to its end, once it is garbage-collected. */
const dropped = new FinalizationRegistry<() => void>((end) => {
  try {
    end();
  } catch {
    // never into the app
  }
});

function safe(what: string, fn: () => void): void {
  try {
    fn();
  } catch (err) {
    logger.limited('warn', `ai-sdk-stream-${what}`, `tracing an AI SDK stream (${what}) failed; the app is unaffected`, { error: err });
  }
}

/** A stream with the parts of `stream`; undefined when `stream` is not a ReadableStream we can read. */
export function observeReadableStream(stream: unknown, hooks: PartHooks): ReadableStream | undefined {
  if (typeof ReadableStream !== 'function' || !(stream instanceof ReadableStream) || stream.locked) return undefined;
  const reader = stream.getReader();
  const token = {};
  let ended = false;
  const end = (how: StreamEnd, err?: unknown): void => {
    if (ended) return;
    ended = true;
    dropped.unregister(token);
    safe('end', () => hooks.onEnd(how, err));
  };
  const observed = new ReadableStream(
    {
      async pull(controller) {
        let r: { done?: boolean; value?: unknown };
        try {
          r = (await reader.read()) as { done?: boolean; value?: unknown };
        } catch (err) {
          end('error', err);
          controller.error(err);
          return;
        }
        if (r.done === true) {
          end('done');
          controller.close();
          return;
        }
        safe('part', () => hooks.onPart(r.value));
        controller.enqueue(r.value);
      },
      cancel(reason) {
        end('abandoned');
        return reader.cancel(reason);
      },
    },
    { highWaterMark: 0 },
  );
  dropped.register(observed, () => end('abandoned'), token);
  return observed;
}
