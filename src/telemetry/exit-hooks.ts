/**
 * Flushing at exit without changing how the process exits.
 *
 * - Natural end (`beforeExit`): flush asynchronously, bounded by the shutdown timeout.
 * - SIGTERM / SIGINT: a listener replaces Node's default "terminate", so when the app has no
 *   listener of its own we flush and then re-raise the signal with ours removed: the parent
 *   sees the same death by signal (exit status 128 + n in a shell) as without us. When the app
 *   listens too, exiting is its decision, and the `exit` hook flushes when it comes.
 * - `exit` (after `process.exit()`, an uncaught exception or an unhandled rejection): only
 *   synchronous code runs, so what is still queued is handed off synchronously.
 */
import { logger } from './logger';

export interface ExitActions {
  /** End what is still open (sessions) so that its spans are queued. Synchronous. */
  endOpen(reason: string): void;
  flush(timeoutMillis: number): Promise<void>;
  flushSync(): void;
  timeoutMillis: number;
}

const SIGNALS = ['SIGTERM', 'SIGINT'] as const;

export function installExitHooks(actions: ExitActions): () => void {
  let flushedAtBeforeExit = false;
  let signalled = false;

  const safely = (what: string, fn: () => void): void => {
    try {
      fn();
    } catch (err) {
      logger.limited('warn', `exit-hook:${what}`, `flush at ${what} failed`, { error: err });
    }
  };

  const boundedFlush = (): Promise<void> => {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<void>((resolve) => {
      timer = setTimeout(resolve, actions.timeoutMillis);
    });
    return Promise.race([actions.flush(actions.timeoutMillis).catch(() => undefined), timeout]).finally(() => clearTimeout(timer));
  };

  const onBeforeExit = (): void => {
    if (flushedAtBeforeExit || signalled) return;
    flushedAtBeforeExit = true;
    safely('beforeExit', () => actions.endOpen('process exit'));
    // What the bounded flush leaves behind is handed off synchronously by the `exit` hook.
    void boundedFlush();
  };

  const onSignal = (signal: (typeof SIGNALS)[number]): void => {
    if (process.listenerCount(signal) > 1) {
      // The app handles this signal and decides when to exit. No flush is started here: an
      // app that calls process.exit() right after would cut it short mid-request, leaving spans
      // that may or may not have arrived. The batch processors keep exporting as usual, and the
      // `exit` hook hands off what is left, exactly once.
      return;
    }
    if (signalled) return reraise(signal);
    signalled = true;
    safely(signal, () => actions.endOpen(`received ${signal}`));
    void boundedFlush().then(() => {
      safely(signal, () => actions.flushSync());
      reraise(signal);
    });
  };

  const reraise = (signal: NodeJS.Signals): void => {
    for (const [sig, handler] of handlers) process.removeListener(sig, handler);
    process.kill(process.pid, signal);
  };

  const onExit = (): void => {
    safely('exit', () => actions.endOpen('process exit'));
    safely('exit', () => actions.flushSync());
  };

  const handlers = SIGNALS.map((sig) => [sig, () => onSignal(sig)] as const);
  process.on('beforeExit', onBeforeExit);
  process.on('exit', onExit);
  for (const [sig, handler] of handlers) process.on(sig, handler);

  return () => {
    process.removeListener('beforeExit', onBeforeExit);
    process.removeListener('exit', onExit);
    for (const [sig, handler] of handlers) process.removeListener(sig, handler);
  };
}
