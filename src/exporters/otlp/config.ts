/**
 * Settings of the OTLP destination beyond the OpenTelemetry OTLP variables: how much it holds in
 * memory, and where and how much it spools. A malformed value is reported and its default used.
 */
import { createHash } from 'node:crypto';
import * as os from 'node:os';
import * as path from 'node:path';
import { DEFAULT_QUEUE_BYTES } from '../../config/defaults';
import { ConfigError } from '../../config/errors';
import { readInt } from '../../config/parse';
import type { ConfigSource } from '../../config/source';
import type { BatchConfig, OtlpConfig } from '../../config/telemetry-config';
import type { VariableDoc } from '../../config/variables';

export interface OtlpExporterConfig extends OtlpConfig {
  scheduledDelayMillis: number;
  exportTimeoutMillis: number;
  maxExportBatchSize: number;
  bufferMaxSpans: number;
  bufferMaxBytes: number;
  spoolDir: string;
  spoolMaxBytes: number;
}

const MiB = 1024 * 1024;

/** One directory per endpoint: spans spooled for one receiver are never sent to another. */
export function defaultOtlpSpoolDir(url: string): string {
  let uid: string;
  try {
    uid = String(os.userInfo().uid);
  } catch {
    uid = 'user';
  }
  let host = 'endpoint';
  try {
    const u = new URL(url);
    host = `${u.hostname}_${u.port || (u.protocol === 'https:' ? '443' : '80')}`;
  } catch {
    // an unparsable URL never gets this far; the hash alone still separates targets
  }
  const key = createHash('sha256').update(url).digest('hex').slice(0, 12);
  return path.join(os.tmpdir(), `agentops-otel-${uid}`, 'otlp-spool', `${host.replace(/[^A-Za-z0-9_.-]/g, '_').slice(0, 60)}-${key}`);
}

export function describeOtlpExporterConfig(): VariableDoc[] {
  return [
    {
      variable: 'AGENTOPS_OTLP_BUFFER_MAX_BYTES',
      default: String(DEFAULT_QUEUE_BYTES),
      meaning: 'Approximate bytes of spans the OTLP exporter holds in memory (OTEL_BSP_MAX_QUEUE_SIZE bounds their number); beyond either, the oldest go to the OTLP spool.',
    },
    {
      variable: 'AGENTOPS_OTLP_SPOOL_DIR',
      default: '<tmpdir>/agentops-otel-<uid>/otlp-spool/<host>_<port>-<hash of URL>',
      meaning: 'On-disk spool of OTLP requests the receiver could not take yet (mode 0700, files 0600), sent when it answers again, by this process, its replay helper or the next process.',
    },
    { variable: 'AGENTOPS_OTLP_SPOOL_MAX_BYTES', default: String(512 * MiB), meaning: 'OTLP spool size limit; spans beyond it are dropped and counted (reason spool_full). 0 disables the spool.' },
  ];
}

export function readOtlpExporterConfig(src: ConfigSource, otlp: OtlpConfig, batch: BatchConfig, errors: ConfigError[]): OtlpExporterConfig {
  const g = <T>(read: () => T, fallback: T): T => {
    try {
      return read();
    } catch (err) {
      if (!(err instanceof ConfigError)) throw err;
      errors.push(err);
      return fallback;
    }
  };
  const spoolDirRaw = src.get('AGENTOPS_OTLP_SPOOL_DIR')?.trim();
  return {
    ...otlp,
    scheduledDelayMillis: batch.scheduledDelayMillis,
    exportTimeoutMillis: batch.exportTimeoutMillis,
    maxExportBatchSize: batch.maxExportBatchSize,
    bufferMaxSpans: batch.maxQueueSize,
    bufferMaxBytes: g(() => readInt(src, 'AGENTOPS_OTLP_BUFFER_MAX_BYTES', DEFAULT_QUEUE_BYTES, 64 * 1024, 16 * 1024 * MiB), DEFAULT_QUEUE_BYTES),
    spoolDir: spoolDirRaw ? path.resolve(spoolDirRaw) : defaultOtlpSpoolDir(otlp.url),
    spoolMaxBytes: g(() => readInt(src, 'AGENTOPS_OTLP_SPOOL_MAX_BYTES', 512 * MiB, 0, Number.MAX_SAFE_INTEGER), 512 * MiB),
  };
}
