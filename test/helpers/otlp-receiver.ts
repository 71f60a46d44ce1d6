/**
 * Loopback OTLP/HTTP trace receiver for tests. It decodes the real wire format our exporter and
 * the OpenTelemetry JS exporters send, protobuf or OTLP/JSON, gzip or deflate bodies included,
 * with the official OpenTelemetry definitions (see ./otlp-decode), and answers as a collector
 * would, or as a failing one (see {@link ResponsePlan}).
 */
import * as http from 'node:http';
import * as https from 'node:https';
import type { AddressInfo } from 'node:net';
import * as zlib from 'node:zlib';
import { decodeOtlpJson, decodeOtlpProtobuf, OtlpDecodeError, type OtlpAttributes, type OtlpValue, type ReceivedSpan } from './otlp-decode';

export * from './otlp-decode';

// ---------------------------------------------------------------------------------------------
// Utilities
// ---------------------------------------------------------------------------------------------

/** Attribute of a span (or event/link: anything with `attributes`); undefined when absent. */
export function attr(span: { attributes: OtlpAttributes }, key: string): OtlpValue | undefined {
  return Object.prototype.hasOwnProperty.call(span.attributes, key) ? span.attributes[key] : undefined;
}

export interface SpanTreeNode {
  span: ReceivedSpan;
  parent?: SpanTreeNode;
  children: SpanTreeNode[];
}

export interface SpanTree {
  /** Every span by span id. */
  byId: Map<string, SpanTreeNode>;
  /** Spans with no parent id, or whose parent was not received (see `orphans`). */
  roots: SpanTreeNode[];
  /** Subset of roots whose parentSpanId is set but not among the given spans. */
  orphans: SpanTreeNode[];
  /** Child span ids of a span id ([] if none / unknown), in start-time order. */
  childrenOf(spanId: string): string[];
  /** Span ids from the root down to `spanId` (inclusive). */
  pathTo(spanId: string): string[];
  /** Names rendered as an indented outline (children in start-time order) – handy in assertion messages. */
  render(): string;
}

/** Parent/child structure keyed by span id. Children are sorted by start time, then name. */
export function treeOf(spans: readonly ReceivedSpan[]): SpanTree {
  const byId = new Map<string, SpanTreeNode>();
  for (const span of spans) byId.set(span.spanId, { span, children: [] });
  const roots: SpanTreeNode[] = [];
  const orphans: SpanTreeNode[] = [];
  for (const node of byId.values()) {
    const pid = node.span.parentSpanId;
    const parent = pid ? byId.get(pid) : undefined;
    if (parent) {
      node.parent = parent;
      parent.children.push(node);
    } else {
      roots.push(node);
      if (pid) orphans.push(node);
    }
  }
  const order = (a: SpanTreeNode, b: SpanTreeNode): number =>
    a.span.startTimeUnixNano < b.span.startTimeUnixNano ? -1 : a.span.startTimeUnixNano > b.span.startTimeUnixNano ? 1 : a.span.name.localeCompare(b.span.name);
  for (const node of byId.values()) node.children.sort(order);
  roots.sort(order);
  return {
    byId,
    roots,
    orphans,
    childrenOf: (id) => byId.get(id)?.children.map((c) => c.span.spanId) ?? [],
    pathTo: (id) => {
      const path: string[] = [];
      for (let n = byId.get(id); n; n = n.parent) path.unshift(n.span.spanId);
      return path;
    },
    render: () => {
      const lines: string[] = [];
      const walk = (n: SpanTreeNode, depth: number): void => {
        lines.push(`${'  '.repeat(depth)}${n.span.name}`);
        n.children.forEach((c) => walk(c, depth + 1));
      };
      roots.forEach((r) => walk(r, 0));
      return lines.join('\n');
    },
  };
}

// ---------------------------------------------------------------------------------------------
// Receiver
// ---------------------------------------------------------------------------------------------

/**
 * How to answer a request.
 * - `'ok'`: 200 + empty ExportTraceServiceResponse (protobuf: empty body, `application/x-protobuf`;
 *   JSON: `{}`). Undecodable bodies get 400, unsupported content types 415 – like a collector.
 * - `'hang'`: read the request, never answer (the socket is destroyed on `close()`).
 * - `'garbage'`: 200 with a body that is neither valid protobuf nor JSON.
 * - `'reset'`: read the request, then destroy the socket without a response (ECONNRESET).
 * - `{ status, headers?, body? }`: fixed status, e.g. `{ status: 503, headers: { 'Retry-After': '0' } }`.
 */
export type ResponsePlan = 'ok' | 'hang' | 'garbage' | 'reset' | { status: number; headers?: Record<string, string>; body?: string | Uint8Array };

export interface OtlpReceiverOptions {
  /** Default answer once `script` is used up. Default `'ok'`. */
  respond?: ResponsePlan;
  /** Answers for the next requests, in order; each step applies to `times` requests (default 1). */
  script?: { respond: ResponsePlan; times?: number }[];
  /** Path answered (others: 404). Default `/v1/traces`. */
  path?: string;
  /** Serve HTTPS with this key and certificate (PEM) instead of plain HTTP; `url` then starts with https://. */
  tls?: { key: string | Buffer; cert: string | Buffer };
}

export interface ReceivedRequest {
  /** Arrival order, from 0. */
  index: number;
  receivedAt: number;
  method: string;
  path: string;
  /** Content-Type header without parameters, e.g. `application/x-protobuf`. */
  contentType: string;
  /** Content-Encoding header, `'identity'` when absent. */
  encoding: string;
  headers: http.IncomingHttpHeaders;
  /** Body as sent (possibly compressed). */
  rawBody: Buffer;
  /** Body after decompression. */
  body: Buffer;
  /** Spans decoded from this request (also when it was then refused). */
  decoded: ReceivedSpan[];
  spanCount: number;
  decodeError?: string;
  /** What was answered: an HTTP status, or 'hang' / 'reset'. */
  response: number | 'hang' | 'reset';
  /** True when answered 2xx: only then are its spans appended to `receiver.spans`. */
  accepted: boolean;
}

export interface OtlpReceiver {
  /** Full traces URL, e.g. `http://127.0.0.1:PORT/v1/traces`. */
  url: string;
  /** Base URL, e.g. `http://127.0.0.1:PORT`. */
  endpoint: string;
  port: number;
  /** Spans of accepted (2xx) requests, in arrival order. */
  spans: ReceivedSpan[];
  /** Every request, whatever was answered. */
  requests: ReceivedRequest[];
  /** Resolve with `spans` once at least `n` accepted spans arrived; reject after `timeoutMs`. */
  waitForSpans(n: number, timeoutMs?: number): Promise<ReceivedSpan[]>;
  /** Resolve with `spans` once `predicate(spans)` is true; reject after `timeoutMs`. */
  waitFor(predicate: (spans: ReceivedSpan[]) => boolean, timeoutMs?: number): Promise<ReceivedSpan[]>;
  /** Resolve with `requests` once at least `n` requests arrived (any answer); reject after `timeoutMs`. */
  waitForRequests(n: number, timeoutMs?: number): Promise<ReceivedRequest[]>;
  /** Replace the default answer (used once the script is exhausted). */
  setResponse(plan: ResponsePlan): void;
  /** Append a scripted answer for the next `times` requests. */
  enqueue(plan: ResponsePlan, times?: number): void;
  /** Forget received spans and requests. */
  reset(): void;
  /** Stop listening, destroy open (e.g. hanging) connections, reject pending waits. */
  close(): Promise<void>;
}

/** Bytes that are invalid protobuf (field 1, LEN 255, 1 byte present) and invalid JSON. */
export const GARBAGE_BODY = Buffer.concat([Buffer.from([0x0a, 0xff, 0x01]), Buffer.from('<html>not OTLP</html>')]);

function summarise(requests: ReceivedRequest[]): string {
  return requests.map((r) => `#${r.index} ${r.contentType} ${r.encoding} spans=${r.spanCount} -> ${r.response}${r.decodeError ? ` (${r.decodeError})` : ''}`).join('; ');
}

/** Start a receiver on 127.0.0.1, ephemeral port. */
export async function startOtlpReceiver(options: OtlpReceiverOptions = {}): Promise<OtlpReceiver> {
  const path = options.path ?? '/v1/traces';
  let fallback: ResponsePlan = options.respond ?? 'ok';
  const script: { respond: ResponsePlan; remaining: number }[] = (options.script ?? []).map((s) => ({
    respond: s.respond,
    remaining: s.times ?? 1,
  }));
  const spans: ReceivedSpan[] = [];
  const requests: ReceivedRequest[] = [];
  const waiters = new Set<{ check: () => boolean; fail: (e: Error) => void }>();

  const notify = (): void => {
    for (const w of [...waiters]) if (w.check()) waiters.delete(w);
  };

  const nextPlan = (): ResponsePlan => {
    while (script.length && script[0]!.remaining <= 0) script.shift();
    const step = script[0];
    if (step) {
      step.remaining--;
      return step.respond;
    }
    return fallback;
  };

  const handler: http.RequestListener = (req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('error', () => undefined);
    req.on('end', () => {
      const rawBody = Buffer.concat(chunks);
      const contentType = (req.headers['content-type'] ?? '').split(';')[0]!.trim().toLowerCase();
      const encoding = (req.headers['content-encoding'] ?? 'identity').toLowerCase();
      const record: ReceivedRequest = {
        index: requests.length,
        receivedAt: Date.now(),
        method: req.method ?? '',
        path: (req.url ?? '').split('?')[0]!,
        contentType,
        encoding,
        headers: req.headers,
        rawBody,
        body: rawBody,
        decoded: [],
        spanCount: 0,
        response: 0,
        accepted: false,
      };
      requests.push(record);

      let errorStatus: number | undefined;
      const isJson = contentType === 'application/json';
      if (record.path !== path) errorStatus = 404;
      else if (record.method !== 'POST') errorStatus = 405;
      else if (!isJson && contentType !== 'application/x-protobuf' && contentType !== 'application/protobuf') errorStatus = 415;
      else {
        try {
          if (encoding === 'gzip') record.body = zlib.gunzipSync(rawBody);
          else if (encoding === 'deflate') record.body = zlib.inflateSync(rawBody);
          else if (encoding !== 'identity') throw new OtlpDecodeError(`unsupported Content-Encoding ${encoding}`);
          record.decoded = isJson ? decodeOtlpJson(record.body) : decodeOtlpProtobuf(record.body);
          record.spanCount = record.decoded.length;
        } catch (e) {
          record.decodeError = e instanceof Error ? e.message : String(e);
          errorStatus = 400;
        }
      }

      const plan = nextPlan();
      const respCt = isJson ? 'application/json' : 'application/x-protobuf';
      if (plan === 'hang') {
        record.response = 'hang';
      } else if (plan === 'reset') {
        record.response = 'reset';
        req.socket.destroy();
      } else if (plan === 'garbage') {
        record.response = 200;
        res.writeHead(200, { 'content-type': respCt });
        res.end(GARBAGE_BODY);
      } else if (plan === 'ok') {
        if (errorStatus !== undefined) {
          record.response = errorStatus;
          res.writeHead(errorStatus, { 'content-type': 'text/plain' });
          res.end(record.decodeError ?? http.STATUS_CODES[errorStatus] ?? '');
        } else {
          record.response = 200;
          res.writeHead(200, { 'content-type': respCt });
          // Empty ExportTraceServiceResponse.
          res.end(isJson ? '{}' : Buffer.alloc(0));
        }
      } else {
        record.response = plan.status;
        res.writeHead(plan.status, { 'content-type': 'text/plain', ...(plan.headers ?? {}) });
        res.end(plan.body ?? http.STATUS_CODES[plan.status] ?? '');
      }
      if (typeof record.response === 'number' && record.response >= 200 && record.response < 300) {
        record.accepted = true;
        spans.push(...record.decoded);
      }
      notify();
    });
  };
  const server: http.Server = options.tls ? https.createServer({ key: options.tls.key, cert: options.tls.cert }, handler) : http.createServer(handler);

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
  const port = (server.address() as AddressInfo).port;
  const endpoint = `${options.tls ? 'https' : 'http'}://127.0.0.1:${port}`;

  function wait<T>(check: () => T | undefined, timeoutMs: number, describe: () => string): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      const first = check();
      if (first !== undefined) return resolve(first);
      const w = {
        check: (): boolean => {
          const v = check();
          if (v === undefined) return false;
          clearTimeout(timer);
          resolve(v);
          return true;
        },
        fail: (e: Error): void => {
          clearTimeout(timer);
          waiters.delete(w);
          reject(e);
        },
      };
      const timer = setTimeout(() => w.fail(new Error(`${describe()} within ${timeoutMs}ms; requests: [${summarise(requests)}]`)), timeoutMs);
      waiters.add(w);
    });
  }

  let closed = false;
  return {
    url: `${endpoint}${path}`,
    endpoint,
    port,
    spans,
    requests,
    waitForSpans: (n, timeoutMs = 5000) =>
      wait(
        () => (spans.length >= n ? spans : undefined),
        timeoutMs,
        () => `expected >= ${n} span(s), got ${spans.length}`,
      ),
    waitFor: (predicate, timeoutMs = 5000) =>
      wait(
        () => (predicate(spans) ? spans : undefined),
        timeoutMs,
        () => `predicate not satisfied by ${spans.length} span(s)`,
      ),
    waitForRequests: (n, timeoutMs = 5000) =>
      wait(
        () => (requests.length >= n ? requests : undefined),
        timeoutMs,
        () => `expected >= ${n} request(s), got ${requests.length}`,
      ),
    setResponse: (plan) => {
      fallback = plan;
    },
    enqueue: (plan, times = 1) => {
      script.push({ respond: plan, remaining: times });
    },
    reset: () => {
      spans.length = 0;
      requests.length = 0;
    },
    close: async () => {
      if (closed) return;
      closed = true;
      for (const w of [...waiters]) w.fail(new Error('OTLP receiver closed'));
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
    },
  };
}
