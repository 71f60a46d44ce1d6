import type { ReadableSpan } from '@opentelemetry/sdk-trace-base';

/**
 * Where spans go, as the export engine drives it. A destination owns its batching, retries and
 * spool; it never throws, and every span it accepts ends up delivered, spooled, or counted as
 * dropped with a reason.
 */
export interface Destination {
  /** The exporter name in counters and logs: `jaeger` or `postgres`. */
  readonly name: string;
  /** Takes spans; returns at once. */
  accept(spans: readonly ReadableSpan[]): void;
  /**
   * Delivers what is held until `deadline` (epoch ms), then spools what is left. With `final`
   * the destination also stops: nothing is accepted or retried after it.
   */
  drain(deadline: number, final: boolean): Promise<void>;
  /** Spools everything held, synchronously, and stops (exit without an export thread). */
  spoolAllSync(): void;
  /** Replays the spool until it is empty, the destination fails, or `deadline` passes. */
  replayUntil(deadline: number): Promise<void>;
  /** True when the spool holds files (claimed ones included: at exit our own claims go stale). */
  spoolHasWork(): Promise<boolean>;
  /** Spans held in memory now. */
  queued(): number;
}
