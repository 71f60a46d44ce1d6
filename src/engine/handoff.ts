/**
 * The app's thread's only part in exporting: a SpanProcessor that turns each ended span into its
 * wire form (reference copies, no encoding) and hands batches to the engine host. Everything
 * else (OTLP encoding, PostgreSQL rows, batching, retries, spool) happens behind the host, in the
 * export worker. If no worker can start, or it dies, the same destinations run in-thread.
 */
import { TraceFlags, type Context } from '@opentelemetry/api';
import type { ReadableSpan, Span, SpanProcessor } from '@opentelemetry/sdk-trace-base';
import { logger } from '../shared/logger';
import { stats } from '../shared/stats';
import type { DestinationsConfig, DrainReport } from './core';
import type { EngineHealth, EngineHost } from './host';
import { InlineHost } from './inline-host';
import { WorkerHost } from './worker-host';
import { BatchWriter } from './batch-codec';
import { WireEncoder, type FinishedSpan, type WireDefinitions, type WireSpan } from './wire';

/** Spans per hand-off message, and the longest a span waits on the app's thread for its batch. */
const HANDOFF_BATCH = 256;
const HANDOFF_DELAY_MS = 20;

export type ExportThread = 'worker' | 'inline';

export interface HandoffOptions {
  destinations: DestinationsConfig;
  thread: ExportThread;
  /** Nice increment of the export worker (see thread-priority.ts). */
  nice: number;
  /** forceFlush() and shutdown() wait at most this long. */
  timeoutMillis: number;
}

export class HandoffSpanProcessor implements SpanProcessor {
  private host: EngineHost;
  private encoder = new WireEncoder();
  private readonly batch = new BatchWriter();
  private timer: NodeJS.Timeout | undefined;
  private workerFailures = 0;

  constructor(private readonly options: HandoffOptions) {
    this.host = this.startHost();
  }

  get mode(): ExportThread {
    return this.host.mode;
  }

  onStart(_span: Span, _parentContext: Context): void {}

  onEnd(span: ReadableSpan): void {
    if ((span.spanContext().traceFlags & TraceFlags.SAMPLED) === 0) return;
    let w: WireSpan;
    try {
      w = this.encoder.encode(span);
    } catch (err) {
      this.dropEverywhere('unconvertible', 1);
      logger.limited('warn', 'handoff.encode', 'a span could not be read for export; dropped', { error: err });
      return;
    }
    this.enqueue(w);
  }

  /** Takes spans that never were SDK spans: they join the same batches as those onEnd() takes. */
  readonly finishedSpanSink = (f: FinishedSpan): void => {
    if ((f.parent.traceFlags & TraceFlags.SAMPLED) === 0) return;
    this.enqueue(this.encoder.encodeFinished(f));
  };

  private enqueue(w: WireSpan): void {
    try {
      this.batch.add(w);
    } catch (err) {
      this.dropEverywhere('unconvertible', 1);
      logger.limited('warn', 'handoff.clone', 'a span holds a value that cannot be copied to the export thread; dropped', { error: err, spanId: w.s });
      return;
    }
    if (this.batch.count >= HANDOFF_BATCH) this.post();
    else if (this.timer === undefined) {
      this.timer = setTimeout(() => this.post(), HANDOFF_DELAY_MS);
      this.timer.unref();
    }
  }

  async forceFlush(): Promise<void> {
    this.post();
    await this.host.drain(Date.now() + this.options.timeoutMillis, false);
  }

  async shutdown(): Promise<void> {
    this.post();
    await this.host.drain(Date.now() + this.options.timeoutMillis, true);
  }

  /** Blocks until everything handed over is delivered or spooled, or `deadline` passes. For exit. */
  drainSync(deadline: number, final: boolean): DrainReport {
    this.post();
    return this.host.drainSync(deadline, final);
  }

  health(): EngineHealth & { pending: number } {
    return { ...this.host.health(), workerFailures: this.workerFailures, pending: this.batch.count };
  }

  private post(): void {
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = undefined;
    const count = this.batch.count;
    if (count === 0) return;
    const bytes = this.batch.take();
    const defs = this.encoder.takeDefinitions();
    try {
      this.host.send(bytes, count, defs);
    } catch (err) {
      this.dropEverywhere('handoff_failed', count);
      logger.limited('error', 'handoff.send', 'spans could not be handed to the export thread; dropped', { spans: count, error: err });
    }
  }

  private startHost(): EngineHost {
    if (this.options.thread === 'worker') {
      try {
        return new WorkerHost(this.options.destinations, this.options.nice, (pending) => this.fallBack(pending));
      } catch (err) {
        this.workerFailures++;
        logger.error("no export thread could start; exporting on the app's thread", { error: err });
      }
    }
    return new InlineHost(this.options.destinations);
  }

  /** The worker died: its unconsumed batches go to an in-thread host, with every definition again. */
  private fallBack(pending: Array<{ bytes: Uint8Array; count: number; defs: WireDefinitions | undefined }>): void {
    this.workerFailures++;
    try {
      const host = new InlineHost(this.options.destinations);
      this.host = host;
      host.define(this.encoder.allDefinitions());
      for (const b of pending) host.send(b.bytes, b.count, undefined);
    } catch (err) {
      logger.error('the in-thread exporters could not start either; spans are dropped', { error: err });
      this.dropEverywhere(
        'no_exporter',
        pending.reduce((n, b) => n + b.count, 0),
      );
    }
  }

  private dropEverywhere(reason: string, n: number): void {
    if (this.options.destinations.otlp !== undefined) stats.drop('jaeger', reason, n);
    if (this.options.destinations.postgres !== undefined) stats.drop('postgres', reason, n);
  }
}
