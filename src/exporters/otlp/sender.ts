/**
 * One OTLP/HTTP request and the classification of its answer, per the OTLP specification's
 * "Failures" and "Throttling" sections: 429, 502, 503, 504 and network errors are retryable
 * (honouring Retry-After); 400 and 413 mean the data itself is refused; other statuses are a
 * configuration problem (wrong URL or credentials) that no retry of the same data fixes by
 * itself, but a corrected receiver will. Requests can be cut by shutdown at any time.
 */
import * as http from 'node:http';
import * as https from 'node:https';
import * as zlib from 'node:zlib';
import type { OtlpConfig } from '../../config/telemetry-config';

export type SendOutcome =
  | { kind: 'ok'; rejectedSpans: number; message?: string }
  | { kind: 'retry'; status?: number; retryAfterMs?: number; error: string }
  | { kind: 'invalid'; status: number; error: string }
  | { kind: 'config'; status: number; error: string };

const RETRYABLE = new Set([429, 502, 503, 504]);
const INVALID = new Set([400, 413]);
/** Enough of an answer's body to explain a refusal; the rest is read and discarded. */
const MAX_BODY_KEPT = 4096;

export interface ResponseReader {
  /** Rejected span count and message of an ExportTraceServiceResponse; throws when the body is not one. */
  (body: Uint8Array): { rejectedSpans: number; message?: string };
}

export class OtlpSender {
  private readonly agent: http.Agent;
  private readonly url: URL;
  private readonly active = new Set<http.ClientRequest>();

  constructor(
    private readonly cfg: OtlpConfig,
    private readonly readResponse: ResponseReader,
    private readonly onWarning: (msg: string, fields: Record<string, unknown>) => void,
  ) {
    this.url = new URL(cfg.url);
    const options = { keepAlive: true, maxSockets: 4, ca: cfg.ca };
    this.agent = this.url.protocol === 'https:' ? new https.Agent(options) : new http.Agent(options);
  }

  get inFlight(): number {
    return this.active.size;
  }

  send(body: Uint8Array, contentType: string, timeoutMs: number): Promise<SendOutcome> {
    return new Promise<SendOutcome>((resolve) => {
      let settled = false;
      const done = (o: SendOutcome): void => {
        if (settled) return;
        settled = true;
        this.active.delete(req);
        clearTimeout(timer);
        resolve(o);
      };
      const headers: Record<string, string> = { ...this.cfg.headers, 'Content-Type': contentType };
      let payload: Uint8Array = body;
      if (this.cfg.compression === 'gzip') {
        payload = zlib.gzipSync(body);
        headers['Content-Encoding'] = 'gzip';
      }
      headers['Content-Length'] = String(payload.byteLength);
      const mod = this.url.protocol === 'https:' ? https : http;
      const req = mod.request(this.url, { method: 'POST', headers, agent: this.agent }, (res) => {
        const chunks: Buffer[] = [];
        let kept = 0;
        res.on('data', (c: Buffer) => {
          if (kept < MAX_BODY_KEPT) {
            chunks.push(c);
            kept += c.length;
          }
        });
        res.on('error', (err) => done({ kind: 'retry', error: `response: ${err.message}` }));
        res.on('end', () => done(this.classify(res, Buffer.concat(chunks))));
      });
      this.active.add(req);
      const timer = setTimeout(() => req.destroy(new Error(`no answer within ${timeoutMs} ms`)), timeoutMs);
      timer.unref();
      req.on('error', (err) => done({ kind: 'retry', error: err.message }));
      req.end(payload);
    });
  }

  /** Cuts every request in flight; their promises settle as retryable failures. */
  abortAll(reason: string): void {
    for (const req of this.active) req.destroy(new Error(reason));
  }

  close(): void {
    this.abortAll('exporter closed');
    this.agent.destroy();
  }

  private classify(res: http.IncomingMessage, body: Buffer): SendOutcome {
    const status = res.statusCode ?? 0;
    if (status >= 200 && status < 300) {
      if (body.length === 0) return { kind: 'ok', rejectedSpans: 0 };
      try {
        return { kind: 'ok', ...this.readResponse(body) };
      } catch (err) {
        // Accepted all the same: the status is the receiver's answer; the body only adds detail.
        this.onWarning('OTLP receiver answered 2xx with a body that is not an ExportTraceServiceResponse', { status, error: (err as Error).message, body: preview(body, res.headers['content-type']) });
        return { kind: 'ok', rejectedSpans: 0 };
      }
    }
    const error = `HTTP ${status}${body.length > 0 ? `: ${preview(body, res.headers['content-type'])}` : ''}`;
    if (RETRYABLE.has(status)) return { kind: 'retry', status, retryAfterMs: parseRetryAfter(res.headers['retry-after']), error };
    if (INVALID.has(status)) return { kind: 'invalid', status, error };
    return { kind: 'config', status, error };
  }
}

/** Retry-After as seconds or an HTTP date (RFC 9110 §10.2.3); undefined when absent or unreadable. */
export function parseRetryAfter(value: string | string[] | undefined, now = Date.now()): number | undefined {
  const v = Array.isArray(value) ? value[0] : value;
  if (v === undefined || v.trim() === '') return undefined;
  const t = v.trim();
  if (/^\d+$/.test(t)) return Number(t) * 1000;
  const at = Date.parse(t);
  return Number.isNaN(at) ? undefined : Math.max(0, at - now);
}

/** Text of an answer for a log line: mostly-printable bodies as text (other bytes as '.'), binary ones as hex; both cut short. */
// Control characters of a receiver's answer are shown as dots: the text goes into one log line.
// eslint-disable-next-line no-control-regex
const CONTROL_CHARS = /[\u0000-\u0008\u000b\u000c\u000e-\u001f\ufffd]/g;

export function preview(body: Buffer, contentType?: string): string {
  const head = body.subarray(0, 512);
  let printable = 0;
  for (const b of head) if ((b >= 0x20 && b < 0x7f) || b === 0x09 || b === 0x0a || b === 0x0d || b >= 0x80) printable++;
  const texty = (contentType ?? '').startsWith('text/') || (contentType ?? '').includes('json');
  if (texty || printable >= head.length * 0.8) {
    const text = head.toString('utf8').replace(CONTROL_CHARS, '.').replace(/\s+/g, ' ').trim();
    return text + (body.length > 512 ? '…' : '');
  }
  return `0x${body.subarray(0, 64).toString('hex')}${body.length > 64 ? '…' : ''} (${body.length} bytes)`;
}
