import * as fs from 'node:fs';
import { parseLogLevel, type LogLevel } from '../shared/logger';
import { registerSecret } from '../shared/redact';
import { ConfigError } from './errors';
import { readBool, readEnum, readInt, readKeyValues, readList, readUrl } from './parse';
import type { ConfigSource } from './source';
import { DEFAULT_CAPTURE_CONTENT, DEFAULT_MAX_ATTRIBUTE_LENGTH, DEFAULT_QUEUE_SPANS, DEFAULT_SERVICE_NAME } from './defaults';

export type ExporterName = 'jaeger' | 'postgres';
export const EXPORTER_NAMES: readonly ExporterName[] = ['jaeger', 'postgres'];

export interface OtlpConfig {
  url: string;
  protocol: 'http/protobuf' | 'http/json';
  headers: Record<string, string>;
  timeoutMillis: number;
  compression: 'gzip' | 'none';
  /** PEM text of the CA(s) to trust, for https endpoints with a private CA. */
  ca?: string;
}

export interface BatchConfig {
  scheduledDelayMillis: number;
  exportTimeoutMillis: number;
  maxQueueSize: number;
  maxExportBatchSize: number;
}

export interface TelemetryConfig {
  disabled: boolean;
  serviceName: string;
  resourceAttributes: Record<string, string>;
  logLevel: LogLevel;
  exporters: ExporterName[];
  /** Undefined when the OTLP settings are invalid: the Jaeger exporter is then off. */
  otlp: OtlpConfig | undefined;
  batch: BatchConfig;
  captureContent: boolean;
  maxAttributeLength: number;
  shutdownTimeoutMillis: number;
  /** Where the exporters run: a worker thread (default), or the app's thread. */
  exportThread: 'worker' | 'inline';
  /** Nice increment of the export thread and the replay helper (Linux). */
  exportThreadNice: number;
}

export interface Loaded<T> {
  config: T;
  /** Each problem once; the affected part falls back to its default or is turned off. */
  errors: ConfigError[];
}

/** Runs `read`; on a ConfigError records it and returns the fallback instead. */
function guarded<T>(errors: ConfigError[], read: () => T, fallback: T): T {
  try {
    return read();
  } catch (err) {
    if (err instanceof ConfigError) {
      errors.push(err);
      return fallback;
    }
    throw err;
  }
}

export function readTelemetryConfig(src: ConfigSource): Loaded<TelemetryConfig> {
  const errors: ConfigError[] = [...src.fileErrors];
  const g = <T>(read: () => T, fallback: T): T => guarded(errors, read, fallback);

  const disabled = g(() => readBool(src, 'OTEL_SDK_DISABLED', false), false) || g(() => readBool(src, 'AGENTOPS_DISABLED', false), false);

  const resourceAttributes = g(() => readKeyValues(src, 'OTEL_RESOURCE_ATTRIBUTES'), {});
  const serviceName = src.get('OTEL_SERVICE_NAME')?.trim() || resourceAttributes['service.name'] || src.get('AGENTOPS_SERVICE_NAME')?.trim() || DEFAULT_SERVICE_NAME;

  const levelVar = src.get('AGENTOPS_LOG_LEVEL') !== undefined ? 'AGENTOPS_LOG_LEVEL' : 'OTEL_LOG_LEVEL';
  const levelRaw = src.get(levelVar);
  let logLevel = parseLogLevel(levelRaw);
  if (levelRaw !== undefined && logLevel === undefined) {
    errors.push(new ConfigError(levelVar, `${JSON.stringify(levelRaw)} is not a log level`, 'one of debug, info, warn, error, silent (OTEL names none, verbose, all also work)'));
  }
  logLevel ??= 'info';

  const exporters = readExporters(src, errors);
  const otlp = g<OtlpConfig | undefined>(() => readOtlpConfig(src), undefined);

  const batch: BatchConfig = {
    scheduledDelayMillis: g(() => readInt(src, 'OTEL_BSP_SCHEDULE_DELAY', 5000, 0, 3_600_000), 5000),
    exportTimeoutMillis: g(() => readInt(src, 'OTEL_BSP_EXPORT_TIMEOUT', 30000, 1, 3_600_000), 30000),
    maxQueueSize: g(() => readInt(src, 'OTEL_BSP_MAX_QUEUE_SIZE', DEFAULT_QUEUE_SPANS, 1, 10_000_000), DEFAULT_QUEUE_SPANS),
    maxExportBatchSize: g(() => readInt(src, 'OTEL_BSP_MAX_EXPORT_BATCH_SIZE', 512, 1, 1_000_000), 512),
  };
  if (batch.maxExportBatchSize > batch.maxQueueSize) {
    errors.push(
      new ConfigError(
        'OTEL_BSP_MAX_EXPORT_BATCH_SIZE',
        `${batch.maxExportBatchSize} is larger than OTEL_BSP_MAX_QUEUE_SIZE (${batch.maxQueueSize})`,
        'a batch size no larger than the queue size; using the queue size',
      ),
    );
    batch.maxExportBatchSize = batch.maxQueueSize;
  }

  const captureVar = src.get('AGENTOPS_CAPTURE_CONTENT') !== undefined ? 'AGENTOPS_CAPTURE_CONTENT' : 'OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT';
  const captureContent = g(() => readBool(src, captureVar, DEFAULT_CAPTURE_CONTENT), DEFAULT_CAPTURE_CONTENT);

  const lengthVar = src.get('AGENTOPS_MAX_ATTRIBUTE_LENGTH') !== undefined ? 'AGENTOPS_MAX_ATTRIBUTE_LENGTH' : 'OTEL_ATTRIBUTE_VALUE_LENGTH_LIMIT';
  const maxAttributeLength = g(() => readInt(src, lengthVar, DEFAULT_MAX_ATTRIBUTE_LENGTH, 16, 64 * 1024 * 1024), DEFAULT_MAX_ATTRIBUTE_LENGTH);
  const shutdownTimeoutMillis = g(() => readInt(src, 'AGENTOPS_SHUTDOWN_TIMEOUT_MS', 5000, 0, 600_000), 5000);
  const exportThread = g(() => readEnum(src, 'AGENTOPS_EXPORT_THREAD', ['worker', 'inline'] as const, 'worker'), 'worker');

  const exportThreadNice = g(() => readInt(src, 'AGENTOPS_EXPORT_THREAD_NICE', 10, 0, 19), 10);

  return {
    config: { disabled, serviceName, resourceAttributes, logLevel, exporters, otlp, batch, captureContent, maxAttributeLength, shutdownTimeoutMillis, exportThread, exportThreadNice },
    errors,
  };
}

/** Unknown names are reported and skipped; the names that are valid still run. */
function readExporters(src: ConfigSource, errors: ConfigError[]): ExporterName[] {
  const list = readList(src, 'AGENTOPS_EXPORTERS', [...EXPORTER_NAMES]).map((s) => s.toLowerCase());
  if (list.length === 1 && list[0] === 'none') return [];
  const out: ExporterName[] = [];
  for (const name of list) {
    if (name === 'otlp') out.push('jaeger');
    else if ((EXPORTER_NAMES as readonly string[]).includes(name)) out.push(name as ExporterName);
    else errors.push(new ConfigError('AGENTOPS_EXPORTERS', `${JSON.stringify(name)} is not an exporter`, 'a comma-separated list of jaeger, postgres; or none'));
  }
  return [...new Set(out)];
}

/** RFC 9110 field name (token). */
const HTTP_TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;

/** The OTLP settings the OpenTelemetry spec defines, the traces-specific variable first. */
export function readOtlpConfig(src: ConfigSource): OtlpConfig {
  const pick = (suffix: string): string => (src.get(`OTEL_EXPORTER_OTLP_TRACES_${suffix}`) !== undefined ? `OTEL_EXPORTER_OTLP_TRACES_${suffix}` : `OTEL_EXPORTER_OTLP_${suffix}`);

  let url: string;
  // Checked even when the traces endpoint wins: the base URL also serves metrics, and a bad value should not go unnoticed.
  const base = src.get('OTEL_EXPORTER_OTLP_ENDPOINT') !== undefined ? readUrl(src, 'OTEL_EXPORTER_OTLP_ENDPOINT', '', ['http:', 'https:']) : undefined;
  if (src.get('OTEL_EXPORTER_OTLP_TRACES_ENDPOINT') !== undefined) {
    url = readUrl(src, 'OTEL_EXPORTER_OTLP_TRACES_ENDPOINT', '', ['http:', 'https:']);
  } else if (base !== undefined) {
    url = base.replace(/\/+$/, '') + '/v1/traces';
  } else {
    url = 'http://localhost:4318/v1/traces';
  }

  const protocolVar = pick('PROTOCOL');
  const protoRaw = src.get(protocolVar);
  if (protoRaw !== undefined && protoRaw.trim().toLowerCase() === 'grpc') {
    throw new ConfigError(protocolVar, 'grpc is not supported by agentops-otel', 'http/protobuf (Jaeger native) or http/json');
  }
  const protocol = readEnum(src, protocolVar, ['http/protobuf', 'http/json'] as const, 'http/protobuf');

  const headers: Record<string, string> = {};
  for (const variable of ['OTEL_EXPORTER_OTLP_HEADERS', 'OTEL_EXPORTER_OTLP_TRACES_HEADERS']) {
    const h = readKeyValues(src, variable, { secret: true });
    for (const [k, v] of Object.entries(h)) {
      registerSecret(v);
      // A name that is no HTTP token is usually a credential that lost its key (`Bearer abc=`
      // splits into name "Bearer abc" and an empty value): Node would reject it, quoting it.
      if (!HTTP_TOKEN.test(k)) {
        registerSecret(k);
        throw new ConfigError(variable, 'a header name is not a valid HTTP token (not shown: it may hold a secret)', 'comma-separated name=value pairs such as authorization=Bearer%20<token>');
      }
    }
    Object.assign(headers, h);
  }

  const timeoutMillis = readInt(src, pick('TIMEOUT'), 10000, 1, 600_000);
  const compression = readEnum(src, pick('COMPRESSION'), ['gzip', 'none'] as const, 'none');

  const certVar = pick('CERTIFICATE');
  const certPath = src.get(certVar);
  let ca: string | undefined;
  if (certPath !== undefined) {
    try {
      ca = fs.readFileSync(certPath, 'utf8');
    } catch (err) {
      throw new ConfigError(certVar, `cannot read ${certPath} (${(err as NodeJS.ErrnoException).code ?? 'error'})`, 'the path of a readable PEM file');
    }
    if (!ca.includes('-----BEGIN CERTIFICATE-----')) throw new ConfigError(certVar, `${certPath} holds no PEM certificate`, 'a PEM file with -----BEGIN CERTIFICATE----- blocks');
  }
  return { url, protocol, headers, timeoutMillis, compression, ca };
}
