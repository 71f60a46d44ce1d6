/**
 * A last-resort OTLP export at process exit. `process.exit()` and an uncaught exception leave
 * only synchronous code to run, and an HTTP request cannot complete synchronously in-process;
 * a short-lived child process can, while this one waits for it with spawnSync (bounded by a
 * timeout). Used only for spans still queued when the process is already going away.
 */
import { spawnSync } from 'node:child_process';
import * as path from 'node:path';
import * as zlib from 'node:zlib';
import type { ReadableSpan } from '@opentelemetry/sdk-trace-base';
import type { OtlpConfig } from '../config/telemetry-config';

export interface SyncSendRequest {
  url: string;
  headers: Record<string, string>;
  timeoutMillis: number;
  ca?: string;
}

export function sendOtlpSync(cfg: OtlpConfig, spans: ReadableSpan[], timeoutMillis: number): { ok: boolean; error?: string } {
  if (spans.length === 0) return { ok: true };
  const transformer = require('@opentelemetry/otlp-transformer') as typeof import('@opentelemetry/otlp-transformer');
  const json = cfg.protocol === 'http/json';
  let body = (json ? transformer.JsonTraceSerializer : transformer.ProtobufTraceSerializer).serializeRequest(spans);
  if (body === undefined) return { ok: false, error: 'serialization failed' };
  const headers: Record<string, string> = { ...cfg.headers, 'Content-Type': json ? 'application/json' : 'application/x-protobuf' };
  if (cfg.compression === 'gzip') {
    body = zlib.gzipSync(body);
    headers['Content-Encoding'] = 'gzip';
  }
  const request: SyncSendRequest = { url: cfg.url, headers, timeoutMillis, ca: cfg.ca };
  const child = spawnSync(process.execPath, [path.join(__dirname, 'otlp-sync-child.js')], {
    input: body,
    timeout: timeoutMillis + 500,
    stdio: ['pipe', 'ignore', 'pipe'],
    // The child must not load the preload again (NODE_OPTIONS may name it).
    env: { ...process.env, NODE_OPTIONS: '', AGENTOPS_DISABLED: 'true', AGENTOPS_SYNC_SEND: JSON.stringify(request) },
    windowsHide: true,
  });
  if (child.error !== undefined) return { ok: false, error: child.error.message };
  if (child.status !== 0) return { ok: false, error: child.stderr?.toString().trim().slice(0, 200) || `exit ${child.status ?? child.signal}` };
  return { ok: true };
}
