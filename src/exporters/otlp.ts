import type { SpanExporter } from '@opentelemetry/sdk-trace-base';
import type { OtlpConfig } from '../config/telemetry-config';

/**
 * The Jaeger path: OTLP over HTTP, protobuf (Jaeger's native) or JSON. The OpenTelemetry
 * exporter brings retries with backoff for 429/502/503/504 and network errors, honouring
 * Retry-After. Loaded lazily so an app that turns Jaeger off never loads it.
 */
export function createOtlpExporter(cfg: OtlpConfig): SpanExporter {
  const options = {
    url: cfg.url,
    headers: cfg.headers,
    timeoutMillis: cfg.timeoutMillis,
    compression: cfg.compression as never,
    httpAgentOptions: cfg.ca !== undefined ? { ca: cfg.ca, keepAlive: true } : undefined,
  };
  if (cfg.protocol === 'http/json') {
    const { OTLPTraceExporter } = require('@opentelemetry/exporter-trace-otlp-http') as typeof import('@opentelemetry/exporter-trace-otlp-http');
    return new OTLPTraceExporter(options);
  }
  const { OTLPTraceExporter } = require('@opentelemetry/exporter-trace-otlp-proto') as typeof import('@opentelemetry/exporter-trace-otlp-proto');
  return new OTLPTraceExporter(options);
}
