/**
 * What runs off the app's thread: the destinations, fed with the spans the hand-off delivers.
 * The same class runs inside the export worker, in the in-thread fallback, and in the replay
 * helper process, so every mode keeps the same guarantees.
 */
import type { ReadableSpan } from '@opentelemetry/sdk-trace-base';
import type { Destination } from '../exporters/destination';
import type { OtlpExporterConfig } from '../exporters/otlp/config';
import type { PostgresExporterConfig } from '../exporters/postgres/config';
import { logger } from '../shared/logger';
import { stats, type ExporterCounters } from '../shared/stats';
import { WireDecoder, type WireDefinitions, type WireSpan } from './wire';

export interface DestinationsConfig {
  otlp?: OtlpExporterConfig;
  postgres?: PostgresExporterConfig;
}

export interface DrainReport {
  /** Something waits in a spool (spooled now or earlier) that a replay helper could deliver. */
  spoolHasWork: boolean;
  /** The export thread did not answer in time (its spans may be lost). */
  timedOut?: boolean;
}

export interface StatsReport {
  exporters: Record<string, ExporterCounters>;
  /** Export latencies (ms) since the last report, for the metrics histogram; bounded. */
  latencies: Array<[string, number]>;
}

/** Builds the configured destinations; the heavy modules (`pg`, the OTLP serializer) load here only. */
export function createDestinations(cfg: DestinationsConfig, options: { autoReplay?: boolean } = {}): Destination[] {
  const out: Destination[] = [];
  if (cfg.otlp !== undefined) {
    const { OtlpExporter } = require('../exporters/otlp/exporter') as typeof import('../exporters/otlp/exporter');
    out.push(new OtlpExporter(cfg.otlp));
  }
  if (cfg.postgres !== undefined) {
    const { PostgresSpanExporter } = require('../exporters/postgres/exporter') as typeof import('../exporters/postgres/exporter');
    const { PostgresDestination } = require('../exporters/postgres/destination') as typeof import('../exporters/postgres/destination');
    out.push(new PostgresDestination(new PostgresSpanExporter(cfg.postgres, { autoReplay: options.autoReplay ?? true })));
  }
  return out;
}

export class EngineCore {
  private readonly decoder = new WireDecoder();

  constructor(readonly destinations: Destination[]) {}

  intake(spans: readonly WireSpan[], defs: WireDefinitions | undefined): void {
    this.decoder.define(defs);
    const decoded: ReadableSpan[] = [];
    for (const w of spans) {
      try {
        decoded.push(this.decoder.decode(w));
      } catch (err) {
        for (const d of this.destinations) stats.drop(d.name, 'unconvertible', 1);
        logger.limited('warn', 'engine.decode', 'a span could not be decoded in the export thread; dropped', { error: err });
      }
    }
    this.accept(decoded);
  }

  accept(spans: readonly ReadableSpan[]): void {
    for (const d of this.destinations) {
      try {
        d.accept(spans);
      } catch (err) {
        stats.drop(d.name, 'internal_error', spans.length);
        logger.limited('error', `engine.accept.${d.name}`, `${d.name} exporter failed to take spans`, { error: err });
      }
    }
  }

  async drain(deadline: number, final: boolean): Promise<DrainReport> {
    await Promise.all(
      this.destinations.map((d) => d.drain(deadline, final).catch((err: unknown) => logger.limited('error', `engine.drain.${d.name}`, `${d.name} exporter failed to drain`, { error: err }))),
    );
    return { spoolHasWork: await this.spoolHasWork() };
  }

  spoolAllSync(): void {
    for (const d of this.destinations) {
      try {
        d.spoolAllSync();
      } catch (err) {
        logger.limited('error', `engine.spool.${d.name}`, `${d.name} exporter could not spool at exit`, { error: err });
      }
    }
  }

  async spoolHasWork(): Promise<boolean> {
    const answers = await Promise.all(this.destinations.map((d) => d.spoolHasWork().catch(() => false)));
    return answers.some(Boolean);
  }

  /** The counters of this thread, with the queue gauges brought up to date. */
  counters(): Record<string, ExporterCounters> {
    for (const d of this.destinations) stats.exporter(d.name).queued = d.queued();
    return Object.fromEntries(stats.exporters);
  }
}
