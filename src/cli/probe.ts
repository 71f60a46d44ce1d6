/**
 * Live checks of an endpoint, without sending any telemetry: an empty OTLP export request (which
 * a collector answers 200, so it proves the URL, the protocol and the headers) and a TCP connect.
 */
import * as http from 'node:http';
import * as https from 'node:https';
import * as net from 'node:net';
import type { OtlpConfig } from '../config/telemetry-config';

export interface ProbeResult {
  ok: boolean;
  /** HTTP status, when an answer came. */
  status?: number;
  /** errno code or a short reason when no answer came. */
  error?: string;
  ms: number;
}

export function probeOtlp(otlp: Pick<OtlpConfig, 'url' | 'protocol' | 'headers' | 'ca'>, timeoutMs: number): Promise<ProbeResult> {
  const started = Date.now();
  return new Promise((resolve) => {
    let url: URL;
    try {
      url = new URL(otlp.url);
    } catch {
      resolve({ ok: false, error: 'invalid URL', ms: 0 });
      return;
    }
    const json = otlp.protocol === 'http/json';
    const body = json ? '{"resourceSpans":[]}' : '';
    const lib = url.protocol === 'https:' ? https : http;
    let settled = false;
    const done = (r: Omit<ProbeResult, 'ms'>): void => {
      if (settled) return;
      settled = true;
      resolve({ ...r, ms: Date.now() - started });
    };
    const req = lib.request(
      url,
      {
        method: 'POST',
        headers: { ...otlp.headers, 'content-type': json ? 'application/json' : 'application/x-protobuf', 'content-length': Buffer.byteLength(body) },
        ...(url.protocol === 'https:' && otlp.ca ? { ca: otlp.ca } : {}),
        timeout: timeoutMs,
        agent: false,
      },
      (res) => {
        res.resume();
        res.on('end', () => done({ ok: (res.statusCode ?? 0) >= 200 && (res.statusCode ?? 0) < 300, status: res.statusCode }));
        res.on('error', () => done({ ok: false, status: res.statusCode, error: 'response aborted' }));
      },
    );
    req.on('timeout', () => {
      req.destroy();
      done({ ok: false, error: `no answer within ${timeoutMs} ms` });
    });
    req.on('error', (err: NodeJS.ErrnoException) => done({ ok: false, error: err.code ?? err.message }));
    req.end(body);
  });
}

export function probeTcp(host: string, port: number, timeoutMs: number): Promise<ProbeResult> {
  const started = Date.now();
  return new Promise((resolve) => {
    const opts = host.startsWith('/') ? { path: `${host.replace(/\/+$/, '')}/.s.PGSQL.${port}` } : { host, port };
    const sock = net.connect(opts);
    let settled = false;
    const done = (r: Omit<ProbeResult, 'ms'>): void => {
      if (settled) return;
      settled = true;
      sock.destroy();
      resolve({ ...r, ms: Date.now() - started });
    };
    sock.setTimeout(timeoutMs, () => done({ ok: false, error: `no answer within ${timeoutMs} ms` }));
    sock.on('connect', () => done({ ok: true }));
    sock.on('error', (err: NodeJS.ErrnoException) => done({ ok: false, error: err.code ?? err.message }));
  });
}

/** A TCP port free on the loopback interface right now (for a server we are about to start). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.unref();
    s.on('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as net.AddressInfo).port;
      s.close(() => resolve(port));
    });
  });
}
