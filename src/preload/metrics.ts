/**
 * OpenTelemetry metrics, exported over OTLP/HTTP (protobuf, or JSON with
 * OTEL_EXPORTER_OTLP_METRICS_PROTOCOL=http/json) when OTEL_METRICS_EXPORTER=otlp (off by
 * default): the library's own health under the meter `agentops-otel`, and, through the same
 * meter provider, the GenAI client metrics the LLM instrumentations record
 * (instrumentations/genai/metrics.ts). Health counters are observed from the process-wide
 * `stats`, so the export path pays nothing extra; only export latency is recorded as it happens,
 * into a histogram.
 */
import type { Attributes, Histogram, ObservableResult } from '@opentelemetry/api';
import type { Resource } from '@opentelemetry/resources';
import type { MeterProvider } from '@opentelemetry/sdk-metrics';
import { ConfigError } from '../config/errors';
import { readInt } from '../config/parse';
import type { ConfigSource } from '../config/source';
import type { OtlpConfig } from '../config/telemetry-config';
import { stats } from '../shared/stats';

export const METER_NAME = 'agentops-otel';

export type MetricsProtocol = 'http/protobuf' | 'http/json';

export interface MetricsConfig {
  exporter: 'otlp' | 'none';
  protocol: MetricsProtocol;
  url: string;
  headers: Record<string, string>;
  intervalMillis: number;
}

/** OTEL_METRICS_EXPORTER and the metrics-specific OTLP variables, falling back to the shared ones. */
export function readMetricsConfig(src: ConfigSource, otlp: OtlpConfig | undefined): MetricsConfig {
  const raw = src.get('OTEL_METRICS_EXPORTER');
  let exporter: 'otlp' | 'none' = 'none';
  if (raw !== undefined) {
    const names = raw.split(',').map((s) => s.trim().toLowerCase());
    if (names.includes('otlp')) exporter = 'otlp';
    else if (!names.every((n) => n === 'none' || n === '')) {
      throw new ConfigError('OTEL_METRICS_EXPORTER', `${JSON.stringify(raw)} is not supported`, 'otlp or none');
    }
  }
  const base = src.get('OTEL_EXPORTER_OTLP_ENDPOINT');
  const url = src.get('OTEL_EXPORTER_OTLP_METRICS_ENDPOINT') ?? (base !== undefined ? base.replace(/\/+$/, '') + '/v1/metrics' : 'http://localhost:4318/v1/metrics');
  const protocolVar = src.get('OTEL_EXPORTER_OTLP_METRICS_PROTOCOL') !== undefined ? 'OTEL_EXPORTER_OTLP_METRICS_PROTOCOL' : 'OTEL_EXPORTER_OTLP_PROTOCOL';
  const rawProtocol = src.get(protocolVar)?.trim().toLowerCase();
  let protocol: MetricsProtocol = 'http/protobuf';
  if (rawProtocol === 'http/json' || rawProtocol === 'http/protobuf') protocol = rawProtocol;
  // The shared variable may be meant for traces only: it is judged here only when metrics are on.
  else if (rawProtocol !== undefined && rawProtocol !== '' && (exporter === 'otlp' || protocolVar === 'OTEL_EXPORTER_OTLP_METRICS_PROTOCOL')) {
    throw new ConfigError(protocolVar, `${JSON.stringify(src.get(protocolVar))} is not supported for metrics`, 'http/protobuf or http/json');
  }
  return {
    exporter,
    protocol,
    url,
    headers: otlp?.headers ?? {},
    intervalMillis: readInt(src, 'OTEL_METRIC_EXPORT_INTERVAL', 60000, 100, 86_400_000),
  };
}

/** What the export engine reports of itself, read at each collection. */
export interface EngineHealthSource {
  (): { pending: number; handedOff: number; consumed: number; backpressureMs: number; workerUtilization?: number; workerFailures: number; mode: string };
}

/** Starts the meter provider and the instruments; returns undefined when metrics are off. */
export function startSelfMetrics(cfg: MetricsConfig, resource: Resource, health: EngineHealthSource): MeterProvider | undefined {
  if (cfg.exporter !== 'otlp') return undefined;
  const { MeterProvider, PeriodicExportingMetricReader } = require('@opentelemetry/sdk-metrics') as typeof import('@opentelemetry/sdk-metrics');
  const exporterModule =
    cfg.protocol === 'http/json'
      ? (require('@opentelemetry/exporter-metrics-otlp-http') as typeof import('@opentelemetry/exporter-metrics-otlp-http'))
      : (require('@opentelemetry/exporter-metrics-otlp-proto') as typeof import('@opentelemetry/exporter-metrics-otlp-proto'));
  const reader = new PeriodicExportingMetricReader({
    exporter: new exporterModule.OTLPMetricExporter({ url: cfg.url, headers: cfg.headers }),
    exportIntervalMillis: cfg.intervalMillis,
    exportTimeoutMillis: Math.min(cfg.intervalMillis, 30000),
  });
  const provider = new MeterProvider({ resource, readers: [reader] });
  const meter = provider.getMeter(METER_NAME);

  const observeEach = (read: (name: string, result: ObservableResult) => void) => (result: ObservableResult) => {
    for (const name of stats.exporters.keys()) read(name, result);
  };
  meter.createObservableCounter('agentops_otel.spans.created', { description: 'Spans started by agentops-otel instrumentations, by event type' }).addCallback((r) => {
    for (const [type, n] of Object.entries(stats.spansCreated)) r.observe(n, { 'agentops.event.type': type });
  });
  const counter = (name: string, description: string, field: 'exported' | 'failedAttempts' | 'retried' | 'spooled' | 'deadLettered' | 'accepted' | 'replayed') =>
    meter.createObservableCounter(name, { description }).addCallback(observeEach((exporter, r) => r.observe(stats.exporter(exporter)[field], { exporter })));
  counter('agentops_otel.spans.accepted', 'Spans handed to an exporter', 'accepted');
  counter('agentops_otel.spans.exported', 'Spans confirmed stored or delivered', 'exported');
  counter('agentops_otel.export.failures', 'Failed export attempts', 'failedAttempts');
  counter('agentops_otel.spans.retried', 'Spans sent again after a failed attempt', 'retried');
  counter('agentops_otel.spans.spooled', 'Spans written to the on-disk spool', 'spooled');
  counter('agentops_otel.spans.dead_lettered', 'Spans stored in the dead-letter table', 'deadLettered');
  meter.createObservableCounter('agentops_otel.spans.dropped', { description: 'Spans given up on, by reason' }).addCallback(
    observeEach((exporter, r) => {
      for (const [reason, n] of Object.entries(stats.exporter(exporter).dropped)) r.observe(n, { exporter, reason });
    }),
  );
  counter('agentops_otel.spans.replayed', 'Spans delivered from the on-disk spool', 'replayed');
  meter
    .createObservableGauge('agentops_otel.queue.depth', { description: 'Spans held in memory by an exporter' })
    .addCallback(observeEach((exporter, r) => r.observe(stats.exporter(exporter).queued, { exporter })));
  meter.createObservableGauge('agentops_otel.handoff.depth', { description: "Spans on the app's thread or on their way to the export thread" }).addCallback((r) => {
    const h = health();
    r.observe(h.pending + ((h.handedOff - h.consumed) | 0), { mode: h.mode });
  });
  meter
    .createObservableCounter('agentops_otel.handoff.wait', { description: "Time the app's thread waited for a lagging export thread", unit: 'ms' })
    .addCallback((r) => r.observe(health().backpressureMs));
  meter.createObservableGauge('agentops_otel.worker.utilization', { description: "Busy fraction of the export thread's event loop since start" }).addCallback((r) => {
    const u = health().workerUtilization;
    if (u !== undefined) r.observe(u);
  });
  meter
    .createObservableCounter('agentops_otel.worker.failures', { description: "Export threads that failed (exporting then moved to the app's thread)" })
    .addCallback((r) => r.observe(health().workerFailures));
  const latency: Histogram<Attributes> = meter.createHistogram('agentops_otel.export.duration', { description: 'Export latency', unit: 'ms' });
  stats.onLatency = (exporter, ms) => latency.record(ms, { exporter });
  return provider;
}
