/**
 * Flushing at exit without changing how the process exits.
 *
 * - Natural end (`beforeExit`): the event loop is empty, the app is done; block until the export
 *   thread has delivered everything, bounded by the shutdown timeout (what is left is spooled).
 *   Blocking here, rather than awaiting, is what bounds the exit: open sockets and retry timers
 *   would otherwise postpone `beforeExit` and the exit itself.
 * - SIGTERM / SIGINT: a listener replaces Node's default "terminate", so when the app has no
 *   listener of its own we drain and then re-raise the signal with ours removed: the parent
 *   sees the same death by signal (exit status 128 + n in a shell) as without us. When the app
 *   listens too, exiting is its decision, and the `exit` hook drains when it comes.
 * - `exit` (after `process.exit()`, an uncaught exception or an unhandled rejection): only
 *   synchronous code runs; the same blocking drain hands everything over, with a shorter bound.
 */
import { logger } from '../shared/logger';

export interface ExitActions {
  /** End what is still open (sessions) so that its spans are handed over. Synchronous. */
  endOpen(reason: string): void;
  /** Blocks until delivered or spooled, or `deadline` (epoch ms); `final` stops the export engine. */
  drainSync(deadline: number, final: boolean): void;
  /** Sends the self-metrics one last time (natural exit only: it needs the event loop). */
  flushMetrics(): Promise<void>;
  timeoutMillis: number;
}

/** How long `exit` waits for delivery when nothing drained before it (process.exit(), a crash). */
export const EXIT_DELIVERY_MS = 2000;
/** The same after a `beforeExit` drain already ran: only spans made since then are left. */
const EXIT_AFTER_DRAIN_MS = 500;

const SIGNALS = ['SIGTERM', 'SIGINT'] as const;

export function installExitHooks(actions: ExitActions): () => void {
  let drained = false;
  let signalled = false;

  const safely = (what: string, fn: () => void): void => {
    try {
      fn();
    } catch (err) {
      logger.limited('warn', `exit-hook:${what}`, `flush at ${what} failed`, { error: err });
    }
  };

  const onBeforeExit = (): void => {
    if (drained || signalled) return;
    drained = true;
    safely('beforeExit', () => actions.endOpen('process exit'));
    safely('beforeExit', () => actions.drainSync(Date.now() + actions.timeoutMillis, false));
    // Keeps the loop alive for one more request at most; bounded like the rest.
    let timer: NodeJS.Timeout | undefined;
    const bound = new Promise<void>((resolve) => (timer = setTimeout(resolve, Math.min(actions.timeoutMillis, 2000))));
    void Promise.race([actions.flushMetrics().catch(() => undefined), bound]).finally(() => clearTimeout(timer));
  };

  const onSignal = (signal: (typeof SIGNALS)[number]): void => {
    if (process.listenerCount(signal) > 1) {
      // The app handles this signal and decides when to exit; the `exit` hook drains then.
      return;
    }
    if (signalled) return reraise(signal);
    signalled = true;
    safely(signal, () => actions.endOpen(`received ${signal}`));
    safely(signal, () => actions.drainSync(Date.now() + actions.timeoutMillis, true));
    reraise(signal);
  };

  const reraise = (signal: NodeJS.Signals): void => {
    for (const [sig, handler] of handlers) process.removeListener(sig, handler);
    process.kill(process.pid, signal);
  };

  const onExit = (): void => {
    safely('exit', () => actions.endOpen('process exit'));
    const bound = drained ? EXIT_AFTER_DRAIN_MS : Math.min(actions.timeoutMillis, EXIT_DELIVERY_MS);
    safely('exit', () => actions.drainSync(Date.now() + bound, true));
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
