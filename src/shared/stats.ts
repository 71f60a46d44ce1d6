/**
 * Counters every part of the pipeline reports to, kept in one place so that logs, the shutdown
 * summary, `doctor` and the OpenTelemetry metrics bridge all read the same numbers.
 * Plain integers: incrementing must cost nothing on the export path.
 */
export interface ExporterCounters {
  /** Spans handed to the exporter. */
  accepted: number;
  /** Spans confirmed written (stored, or acknowledged by the receiver). */
  exported: number;
  /** Export attempts that failed (one per failed attempt, not per span). */
  failedAttempts: number;
  /** Spans re-sent after a failed attempt. */
  retried: number;
  /** Spans written to the on-disk spool. */
  spooled: number;
  /**
   * Spans delivered from the spool (by this process; they count in `exported` too), or handed
   * back from the export worker's overflow spool to the exporter.
   */
  replayed: number;
  /** Spans held in memory by the exporter right now (a gauge, not a counter). */
  queued: number;
  /** Spans stored in the dead-letter table because the database rejected their data. */
  deadLettered: number;
  /** Spans given up on, by reason. */
  dropped: Record<string, number>;
  /** Export latency: count, sum and maximum in milliseconds, and a coarse histogram. */
  latency: { count: number; sumMs: number; maxMs: number; buckets: number[] };
}

/** Histogram bucket upper bounds in milliseconds; the last bucket is everything above. */
export const LATENCY_BOUNDS_MS = [1, 5, 10, 25, 50, 100, 250, 500, 1000, 2500, 5000, 10000];

function emptyCounters(): ExporterCounters {
  return {
    accepted: 0,
    exported: 0,
    failedAttempts: 0,
    retried: 0,
    spooled: 0,
    replayed: 0,
    queued: 0,
    deadLettered: 0,
    dropped: {},
    latency: { count: 0, sumMs: 0, maxMs: 0, buckets: new Array(LATENCY_BOUNDS_MS.length + 1).fill(0) },
  };
}

export class PipelineStats {
  readonly exporters = new Map<string, ExporterCounters>();
  /** Spans started by our instrumentations, by event type (session, agent, llm, tool, ...). */
  readonly spansCreated: Record<string, number> = {};
  /** Set by the metrics bridge to feed its latency histogram. */
  onLatency: ((exporter: string, ms: number) => void) | undefined;
  /** Set by the export worker: called whenever spans are exported, spooled or dropped. */
  onProgress: (() => void) | undefined;

  exporter(name: string): ExporterCounters {
    let c = this.exporters.get(name);
    if (c === undefined) {
      c = emptyCounters();
      this.exporters.set(name, c);
    }
    return c;
  }

  spanCreated(kind: string): void {
    this.spansCreated[kind] = (this.spansCreated[kind] ?? 0) + 1;
  }

  drop(exporter: string, reason: string, count: number): void {
    const c = this.exporter(exporter);
    c.dropped[reason] = (c.dropped[reason] ?? 0) + count;
    this.onProgress?.();
  }

  observeLatency(exporter: string, ms: number): void {
    this.onProgress?.();
    const l = this.exporter(exporter).latency;
    l.count++;
    l.sumMs += ms;
    if (ms > l.maxMs) l.maxMs = ms;
    let i = 0;
    while (i < LATENCY_BOUNDS_MS.length && ms > LATENCY_BOUNDS_MS[i]) i++;
    l.buckets[i]++;
    this.onLatency?.(exporter, ms);
  }

  /** A plain JSON-safe copy, for the shutdown summary and tests. */
  snapshot(): { spansCreated: Record<string, number>; exporters: Record<string, ExporterCounters> } {
    return JSON.parse(JSON.stringify({ spansCreated: this.spansCreated, exporters: Object.fromEntries(this.exporters) }));
  }
}

/** The process-wide counters. */
export const stats = new PipelineStats();
