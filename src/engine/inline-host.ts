/**
 * The fallback when no worker thread can start: the same destinations on the app's thread. It
 * keeps the guarantees (bounded memory, spool, replay) at the cost the worker exists to avoid:
 * encoding and I/O on the app's thread. At exit nothing asynchronous can finish, so everything
 * held is spooled synchronously and the replay helper delivers it.
 */
import type { DestinationsConfig, DrainReport } from './core';
import { EngineCore, createDestinations } from './core';
import type { EngineHealth, EngineHost } from './host';
import type { WireDefinitions } from './wire';

export class InlineHost implements EngineHost {
  readonly mode = 'inline';
  private readonly core: EngineCore;
  private handedOff = 0;
  private stopped = false;

  constructor(
    cfg: DestinationsConfig,
    private readonly workerFailures = 0,
  ) {
    this.core = new EngineCore(createDestinations(cfg), undefined, cfg.prices);
  }

  define(defs: WireDefinitions): void {
    this.core.intake([], defs);
  }

  send(bytes: Uint8Array, count: number, defs: WireDefinitions | undefined): void {
    this.handedOff += count;
    this.core.intakeBatch(bytes, count, defs);
  }

  drainSync(_deadline: number, final: boolean): DrainReport {
    if (!final && this.stopped) return { spoolHasWork: true };
    this.core.spoolAllSync();
    this.stopped = true;
    return { spoolHasWork: true };
  }

  drain(deadline: number, final: boolean): Promise<DrainReport> {
    return this.core.drain(deadline, final);
  }

  health(): EngineHealth {
    this.core.counters();
    return { mode: this.mode, handedOff: this.handedOff, consumed: this.handedOff, backpressureWaits: 0, backpressureMs: 0, workerFailures: this.workerFailures };
  }
}
