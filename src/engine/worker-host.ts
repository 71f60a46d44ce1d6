/**
 * The app's side of the export worker: posts span batches, applies back-pressure when the worker
 * is far behind, and at exit blocks on the shared buffer (Atomics.wait) until the worker has
 * delivered or spooled everything, the way pino's thread-stream flushes synchronously.
 */
import * as path from 'node:path';
import { MessageChannel, receiveMessageOnPort, Worker, type MessagePort } from 'node:worker_threads';
import { logger } from '../shared/logger';
import { registeredSecrets } from '../shared/redact';
import { stats } from '../shared/stats';
import type { DestinationsConfig, DrainReport, StatsReport } from './core';
import type { EngineHealth, EngineHost } from './host';
import { ENGINE_THREAD_MARK, SLOT, SLOT_COUNT, type FromWorker, type ToWorker, type WorkerInit } from './protocol';
import { startThreadPoolHere } from './thread-priority';
import type { WireDefinitions } from './wire';

/** Past this many spans handed over and not yet taken in, the app's thread waits for the worker. */
const MAX_IN_FLIGHT_SPANS = 50_000;
/**
 * A wait ends once the worker has taken in this many spans: the app is slowed to the worker's pace
 * in short waits. Waiting down to half the bound stalled the app for more than a second at a time.
 */
const BACKPRESSURE_STEP_SPANS = 2_048;
/** The longest one wait for the worker may last: memory may grow past the bound, the app must not stall. */
const MAX_BACKPRESSURE_WAIT_MS = 2_000;
/** Time a drain may take past its deadline: the worker's last synchronous spool writes. */
const DRAIN_GRACE_MS = 2_000;
/**
 * Past the grace, the wait goes on only while the worker shows progress (it beats while a drain
 * runs, and on every finished piece of work, such as a large backlog written to the spool), and
 * never longer than this: a worker that is stuck loses its spans rather than holding the process.
 */
const DRAIN_PROGRESS_CAP_MS = 30_000;
const PROGRESS_QUIET_MS = 500;
const STATS_INTERVAL_MS = 1_000;
const WORKER_YOUNG_GENERATION_MB = 4;

interface Unconsumed {
  bytes: Uint8Array;
  count: number;
  defs: WireDefinitions | undefined;
  /** Value of `handedOff` once this batch is taken in. */
  end: number;
}

export class WorkerHost implements EngineHost {
  readonly mode = 'worker';
  private readonly worker: Worker;
  private readonly shared = new Int32Array(new SharedArrayBuffer(SLOT_COUNT * 4));
  private readonly reports: MessagePort;
  /** Batches the worker has not taken in yet: handed to the fallback if the worker dies. */
  private unconsumed: Unconsumed[] = [];
  private handedOff = 0;
  private drainSeq = 0;
  private failed = false;
  /** A final drain was asked for: the worker ending after it is no failure. */
  private closing = false;
  private waits = 0;
  private waitedMs = 0;
  private readonly drained = new Map<number, DrainReport>();
  private readonly drainWaiters = new Map<number, (r: DrainReport) => void>();

  constructor(
    cfg: DestinationsConfig,
    nice: number,
    private readonly onFailure: (pending: Unconsumed[]) => void,
  ) {
    const channel = new MessageChannel();
    this.reports = channel.port1;
    if (nice > 0) startThreadPoolHere();
    const init: WorkerInit = { destinations: cfg, nice, logLevel: logger.level, secrets: registeredSecrets(), shared: this.shared.buffer, reports: channel.port2, statsIntervalMs: STATS_INTERVAL_MS };
    this.worker = new Worker(path.join(__dirname, 'worker.js'), {
      workerData: init,
      transferList: [channel.port2],
      // The worker must not run the app's preloads (ours included) again.
      execArgv: [],
      env: { ...process.env, [ENGINE_THREAD_MARK]: '1' },
      stdout: false,
      stderr: false,
      // A small young generation: the worker's garbage is short-lived, and a large one showed up
      // as tens of MiB of resident memory under bursts. It limits no live data (no OOM risk).
      resourceLimits: { maxYoungGenerationSizeMb: WORKER_YOUNG_GENERATION_MB },
    });
    this.worker.unref();
    this.reports.on('message', (m: FromWorker) => this.onReport(m));
    // After on('message'), which refs the port again: neither may keep the app alive.
    this.reports.unref();
    this.worker.on('error', (err) => this.fail('the export thread failed', err));
    this.worker.on('exit', (code) => this.fail(`the export thread exited (code ${code})`));
  }

  send(bytes: Uint8Array, count: number, defs: WireDefinitions | undefined): void {
    // Copied, not transferred: the batch stays here for the fallback until the worker takes it in.
    const m: ToWorker = { type: 'spans', bytes, count, defs };
    this.worker.postMessage(m);
    this.handedOff = (this.handedOff + count) | 0;
    Atomics.store(this.shared, SLOT.HANDED_OFF, this.handedOff);
    this.unconsumed.push({ bytes, count, defs, end: this.handedOff });
    this.trim();
    if (this.inFlight() > MAX_IN_FLIGHT_SPANS) this.waitForWorker();
  }

  drainSync(deadline: number, final: boolean): DrainReport {
    if (this.failed) return { spoolHasWork: true, timedOut: true };
    const seq = this.requestDrain(deadline, final);
    let stopAt = deadline + DRAIN_GRACE_MS;
    const cap = deadline + DRAIN_PROGRESS_CAP_MS;
    let progress = Atomics.load(this.shared, SLOT.PROGRESS);
    for (;;) {
      const done = Atomics.load(this.shared, SLOT.DRAINED);
      if (done >= seq) break;
      const now = Date.now();
      if (now >= stopAt) {
        const p = Atomics.load(this.shared, SLOT.PROGRESS);
        if (p === progress || now >= cap) break;
        progress = p;
        stopAt = Math.min(cap, now + PROGRESS_QUIET_MS);
      }
      Atomics.wait(this.shared, SLOT.DRAINED, done, Math.min(stopAt - now, PROGRESS_QUIET_MS));
    }
    for (let m = receiveMessageOnPort(this.reports); m !== undefined; m = receiveMessageOnPort(this.reports)) this.onReport(m.message as FromWorker);
    const r = this.drained.get(seq);
    this.drained.delete(seq);
    this.trim();
    if (r !== undefined) return r;
    logger.error('the export thread did not finish in time; spans it held may be lost', { spansNotTakenIn: this.inFlight(), pastDeadlineMs: Date.now() - deadline });
    return { spoolHasWork: true, timedOut: true };
  }

  drain(deadline: number, final: boolean): Promise<DrainReport> {
    if (this.failed) return Promise.resolve({ spoolHasWork: true, timedOut: true });
    const seq = this.requestDrain(deadline, final);
    return new Promise<DrainReport>((resolve) => {
      // A drain the worker never answers still settles. The timer stays ref'd: an app awaiting
      // forceFlush() (session.end() does) must not see its process end with the promise pending.
      const t = setTimeout(
        () => {
          this.drainWaiters.delete(seq);
          resolve({ spoolHasWork: true, timedOut: true });
        },
        Math.max(0, deadline - Date.now()) + DRAIN_GRACE_MS,
      );
      this.drainWaiters.set(seq, (r) => {
        clearTimeout(t);
        resolve(r);
      });
    });
  }

  health(): EngineHealth {
    let utilization: number | undefined;
    try {
      utilization = this.failed ? undefined : Math.round(this.worker.performance.eventLoopUtilization().utilization * 1000) / 1000;
    } catch {
      // not available on this runtime
    }
    return {
      mode: this.mode,
      handedOff: this.handedOff,
      consumed: Atomics.load(this.shared, SLOT.CONSUMED),
      backpressureWaits: this.waits,
      backpressureMs: Math.round(this.waitedMs),
      workerUtilization: utilization,
      workerFailures: this.failed ? 1 : 0,
    };
  }

  private requestDrain(deadline: number, final: boolean): number {
    if (final) this.closing = true;
    const seq = ++this.drainSeq;
    const m: ToWorker = { type: 'drain', seq, deadline, final };
    this.worker.postMessage(m);
    return seq;
  }

  private inFlight(): number {
    return (this.handedOff - Atomics.load(this.shared, SLOT.CONSUMED)) | 0;
  }

  private trim(): void {
    const consumed = Atomics.load(this.shared, SLOT.CONSUMED);
    let i = 0;
    while (i < this.unconsumed.length && ((consumed - this.unconsumed[i].end) | 0) >= 0) i++;
    if (i > 0) this.unconsumed = this.unconsumed.slice(i);
  }

  /** Back-pressure: the worker takes spans in far more slowly than the app makes them. */
  private waitForWorker(): void {
    const t0 = performance.now();
    this.waits++;
    const until = Date.now() + MAX_BACKPRESSURE_WAIT_MS;
    while (!this.failed && this.inFlight() > MAX_IN_FLIGHT_SPANS - BACKPRESSURE_STEP_SPANS && Date.now() < until) {
      if (Atomics.load(this.shared, SLOT.READY) === -1) break;
      Atomics.wait(this.shared, SLOT.CONSUMED, Atomics.load(this.shared, SLOT.CONSUMED), 20);
    }
    this.waitedMs += performance.now() - t0;
    this.trim();
    logger.limited('warn', 'engine.backpressure', 'the export thread is behind; the app waited for it', { waits: this.waits, waitedMs: Math.round(this.waitedMs) });
  }

  private onReport(m: FromWorker): void {
    applyStats(m.stats);
    if (m.type === 'drained') {
      const waiter = this.drainWaiters.get(m.seq);
      this.drainWaiters.delete(m.seq);
      if (waiter !== undefined) waiter(m.report);
      else this.drained.set(m.seq, m.report);
    }
  }

  private fail(why: string, err?: unknown): void {
    if (this.failed || this.closing) return;
    this.failed = true;
    this.trim();
    const pending = this.unconsumed;
    this.unconsumed = [];
    logger.error(`${why}; exporting on the app's thread from now on`, { error: err, spansRecovered: pending.reduce((n, b) => n + b.count, 0) });
    for (const [, resolve] of this.drainWaiters) resolve({ spoolHasWork: true, timedOut: true });
    this.drainWaiters.clear();
    this.onFailure(pending);
  }
}

/** The worker's counters become the process's (the app's thread keeps only spansCreated). */
export function applyStats(report: StatsReport): void {
  for (const [name, counters] of Object.entries(report.exporters)) Object.assign(stats.exporter(name), counters);
  const onLatency = stats.onLatency;
  if (onLatency !== undefined) for (const [exporter, ms] of report.latencies) onLatency(exporter, ms);
}
