import type { DrainReport } from './core';
import type { WireDefinitions } from './wire';

/** Health of the export path as the app's thread sees it (shutdown summary, metrics, doctor). */
export interface EngineHealth {
  mode: 'worker' | 'inline';
  /** Spans handed over to the export thread, and those it has taken in. */
  handedOff: number;
  consumed: number;
  /** Times, and total ms, the app's thread waited because the export thread was too far behind. */
  backpressureWaits: number;
  backpressureMs: number;
  /** Fraction of time the worker's event loop was busy since start (0..1). */
  workerUtilization?: number;
  workerFailures: number;
}

/** Runs the destinations somewhere: in a worker thread, or (fallback) on the app's thread. */
export interface EngineHost {
  readonly mode: 'worker' | 'inline';
  /** Takes one batch (see batch-codec.ts) of `count` spans; `defs` come first. */
  send(bytes: Uint8Array, count: number, defs: WireDefinitions | undefined): void;
  /**
   * Delivers everything handed over, blocking the calling thread until done or `deadline` (epoch
   * ms); what is left is spooled. `final` stops the destinations.
   */
  drainSync(deadline: number, final: boolean): DrainReport;
  /** The same without blocking (forceFlush). */
  drain(deadline: number, final: boolean): Promise<DrainReport>;
  health(): EngineHealth;
}
