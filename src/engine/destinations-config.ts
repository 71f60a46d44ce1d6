import { ConfigError } from '../config/errors';
import type { ConfigSource } from '../config/source';
import type { TelemetryConfig } from '../config/telemetry-config';
import { readOtlpExporterConfig } from '../exporters/otlp/config';
import { readPostgresConfig } from '../exporters/postgres/config';
import type { PriceTable } from '../shared/prices';
import type { DestinationsConfig } from './core';

/** The configured destinations; a part whose settings are invalid is left out (its error recorded). */
export function readDestinationsConfig(config: TelemetryConfig, source: ConfigSource, errors: ConfigError[], prices?: Readonly<PriceTable>): DestinationsConfig {
  const out: DestinationsConfig = prices !== undefined ? { prices } : {};
  if (config.exporters.includes('jaeger') && config.otlp !== undefined) {
    out.otlp = readOtlpExporterConfig(source, config.otlp, config.batch, errors);
  }
  if (config.exporters.includes('postgres')) {
    try {
      out.postgres = readPostgresConfig(source);
    } catch (err) {
      if (!(err instanceof ConfigError)) throw err;
      errors.push(err);
    }
  }
  return out;
}
