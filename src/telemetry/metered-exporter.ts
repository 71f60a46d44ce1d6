import { ExportResultCode, type ExportResult } from '@opentelemetry/core';
import type { ReadableSpan, SpanExporter } from '@opentelemetry/sdk-trace-base';
import { logger } from './logger';
import { stats } from './stats';

/**
 * Counts what an exporter without its own accounting (the OTLP one) accepted, delivered and
 * gave up on, and logs failures rate-limited with a few span ids. A failed OTLP export has
 * already been retried by the exporter, so its spans are dropped here, with the reason.
 */
export class MeteredSpanExporter implements SpanExporter {
  /** Batches handed to the inner exporter and not yet answered. */
  private readonly inFlight = new Set<ReadableSpan[]>();

  constructor(
    readonly inner: SpanExporter,
    readonly name: string,
  ) {}

  /**
   * At process exit an export still in flight will never finish: its spans are taken back to be
   * sent synchronously. If the receiver did get the first request, it sees them twice; losing
   * them would be worse.
   */
  takeInFlight(): ReadableSpan[] {
    const out: ReadableSpan[] = [];
    for (const batch of this.inFlight) for (const s of batch) out.push(s);
    this.inFlight.clear();
    return out;
  }

  export(spans: ReadableSpan[], resultCallback: (result: ExportResult) => void): void {
    const counters = stats.exporter(this.name);
    counters.accepted += spans.length;
    const started = performance.now();
    this.inFlight.add(spans);
    let settled = false;
    const done = (result: ExportResult): void => {
      if (settled) return;
      settled = true;
      // Taken back by takeInFlight(): the exit hand-off accounts for these spans.
      if (!this.inFlight.delete(spans)) return;
      stats.observeLatency(this.name, performance.now() - started);
      if (result.code === ExportResultCode.SUCCESS) {
        counters.exported += spans.length;
        logger.debug('export finished', { exporter: this.name, spans: spans.length, ms: Math.round(performance.now() - started) });
      } else {
        counters.failedAttempts++;
        stats.drop(this.name, 'export_failed', spans.length);
        logger.limited('warn', `export-failed:${this.name}`, `${this.name} export failed; ${spans.length} spans dropped`, {
          exporter: this.name,
          error: result.error,
          spanIds: spans.slice(0, 3).map((s) => s.spanContext().spanId),
        });
      }
      try {
        resultCallback(result);
      } catch {
        // The processor's callback is not ours to fail.
      }
    };
    try {
      this.inner.export(spans, done);
    } catch (err) {
      done({ code: ExportResultCode.FAILED, error: err as Error });
    }
  }

  shutdown(): Promise<void> {
    return this.inner.shutdown();
  }

  forceFlush(): Promise<void> {
    return this.inner.forceFlush?.() ?? Promise.resolve();
  }
}
