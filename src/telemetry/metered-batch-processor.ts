import { TraceFlags } from '@opentelemetry/api';
import { BatchSpanProcessor, type BufferConfig, type ReadableSpan, type SpanExporter } from '@opentelemetry/sdk-trace-base';
import { logger } from './logger';
import { stats } from './stats';

/** The parts of BatchSpanProcessor's state we read; absent if a release renames them. */
interface BatchInternals {
  _finishedSpans?: ReadableSpan[];
  _maxQueueSize?: number;
}

/**
 * OpenTelemetry's BatchSpanProcessor, plus the accounting it lacks: a span refused because
 * the queue is full is counted as dropped (the base class only logs a debug line), and the
 * queue can be taken over synchronously at process exit, when no promise will ever settle.
 */
export class MeteredBatchSpanProcessor extends BatchSpanProcessor {
  constructor(
    readonly exporter: SpanExporter,
    readonly exporterName: string,
    config?: BufferConfig,
  ) {
    super(exporter, config);
  }

  override onEnd(span: ReadableSpan): void {
    const internals = this as unknown as BatchInternals;
    if ((span.spanContext().traceFlags & TraceFlags.SAMPLED) !== 0) {
      const queue = internals._finishedSpans;
      if (queue !== undefined && internals._maxQueueSize !== undefined && queue.length >= internals._maxQueueSize) {
        stats.drop(this.exporterName, 'queue_full', 1);
        logger.limited('warn', `queue-full:${this.exporterName}`, `${this.exporterName} queue is full (OTEL_BSP_MAX_QUEUE_SIZE); spans are being dropped`, { exporter: this.exporterName });
      }
    }
    super.onEnd(span);
  }

  queueDepth(): number {
    return (this as unknown as BatchInternals)._finishedSpans?.length ?? 0;
  }

  /** Removes and returns the queued spans, for a synchronous hand-off at exit. */
  takeQueued(): ReadableSpan[] {
    const internals = this as unknown as BatchInternals;
    const queue = internals._finishedSpans;
    if (queue === undefined || queue.length === 0) return [];
    internals._finishedSpans = [];
    return queue;
  }
}
