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
import type { PriceTable } from '../shared/prices';
import { stats, type ExporterCounters } from '../shared/stats';
import { readBatch } from './batch-codec';
import { Overflow, type OverflowTarget } from './overflow';
import { WireDecoder, type WireDefinitions, type WireSpan } from './wire';

export interface DestinationsConfig {
  otlp?: OtlpExporterConfig;
  postgres?: PostgresExporterConfig;
  /** AGENTOPS_PRICE_TABLE, for the LLM event spans the engine prices (src/shared/llm-span-cost.ts). */
  prices?: Readonly<PriceTable>;
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

/** Where each destination's overflow files go: its own spool directory, under its own limit. */
export function overflowTargets(cfg: DestinationsConfig, destinations: readonly Destination[]): OverflowTarget[] {
  const out: OverflowTarget[] = [];
  for (const d of destinations) {
    const c = d.name === 'postgres' ? cfg.postgres : cfg.otlp;
    if (c !== undefined) out.push({ destination: d, dir: c.spoolDir, maxBytes: c.spoolMaxBytes });
  }
  return out;
}

export class EngineCore {
  private readonly decoder: WireDecoder;
  private readonly defs: Required<WireDefinitions> = { resources: [], scopes: [] };
  /** Only where spans may arrive faster than they are encoded (the worker, the replay helper). */
  readonly overflow: Overflow | undefined;

  constructor(
    readonly destinations: Destination[],
    overflow?: readonly OverflowTarget[],
    prices?: Readonly<PriceTable>,
  ) {
    this.decoder = new WireDecoder(prices);
    this.overflow = overflow === undefined ? undefined : new Overflow(overflow, () => this.defs, prices);
  }

  intake(spans: readonly WireSpan[], defs: WireDefinitions | undefined): void {
    this.define(defs);
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

  /**
   * A batch as the hand-off writes it; with `spill`, it goes to the overflow spool as it is (when
   * there is one). A batch that cannot be read is dropped whole, and counted.
   */
  intakeBatch(bytes: Uint8Array, count: number, defs: WireDefinitions | undefined, spill = false): void {
    if (spill && this.overflow?.enabled === true) {
      this.define(defs);
      this.overflow.hold({ bytes, count });
      return;
    }
    let spans: WireSpan[];
    try {
      spans = readBatch(bytes);
    } catch (err) {
      this.define(defs);
      for (const d of this.destinations) stats.drop(d.name, 'unconvertible', count);
      logger.limited('error', 'engine.batch', 'a span batch could not be read in the export thread; dropped', { spans: count, error: err });
      return;
    }
    this.intake(spans, defs);
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

  private define(defs: WireDefinitions | undefined): void {
    if (defs === undefined) return;
    this.decoder.define(defs);
    this.defs.resources.push(...(defs.resources ?? []));
    this.defs.scopes.push(...(defs.scopes ?? []));
  }

  /** Hands overflow files back to destinations with room (one pass). */
  replayOverflow(): Promise<void> {
    return this.overflow?.replay() ?? Promise.resolve();
  }

  async drain(deadline: number, final: boolean): Promise<DrainReport> {
    if (this.overflow !== undefined) {
      this.overflow.flush();
      // Half the time is left for the destinations to deliver what was handed back: a request
      // still in flight at the deadline is spooled, and sent twice if the receiver did take it.
      const handBackUntil = Date.now() + Math.max(0, deadline - Date.now()) / 2;
      await this.overflow.replay(handBackUntil).catch((err: unknown) => logger.limited('error', 'engine.overflow', 'the overflow spool could not be handed back', { error: err }));
      if (final) this.overflow.close();
    }
    await Promise.all(
      this.destinations.map((d) => d.drain(deadline, final).catch((err: unknown) => logger.limited('error', `engine.drain.${d.name}`, `${d.name} exporter failed to drain`, { error: err }))),
    );
    return { spoolHasWork: await this.spoolHasWork() };
  }

  spoolAllSync(): void {
    this.overflow?.close();
    for (const d of this.destinations) {
      try {
        d.spoolAllSync();
      } catch (err) {
        logger.limited('error', `engine.spool.${d.name}`, `${d.name} exporter could not spool at exit`, { error: err });
      }
    }
  }

  async spoolHasWork(): Promise<boolean> {
    const answers = await Promise.all([...this.destinations.map((d) => d.spoolHasWork().catch(() => false)), this.overflow?.hasWork().catch(() => false) ?? false]);
    return answers.some(Boolean);
  }

  /** The counters of this thread, with the queue gauges brought up to date. */
  counters(): Record<string, ExporterCounters> {
    for (const d of this.destinations) stats.exporter(d.name).queued = d.queued();
    return Object.fromEntries(stats.exporters);
  }
}
