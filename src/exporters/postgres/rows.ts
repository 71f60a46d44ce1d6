/**
 * ReadableSpan → table row, and row ↔ COPY text line. Pure functions; nothing here touches the
 * span beyond reading it (the OTLP exporter receives the very same objects).
 *
 * A row is kept as one COPY text-format line from the moment a span is accepted: its size is
 * then known exactly (the memory bound is in bytes), the same line goes to the database, to the
 * spool file and, decoded, to the dead-letter table.
 */
import type { HrTime } from '@opentelemetry/api';
import type { ReadableSpan } from '@opentelemetry/sdk-trace-base';
import { DEFAULT_SANITIZE_LIMITS, SanitizeLimits, sanitizeString, sanitizedArrayJson, sanitizedObjectJson } from './sanitize';
import { WRITTEN_COLUMNS } from './schema/tables';

/** Columns written by the exporter, in COPY order (the span table's own list). */
export const COLUMNS = WRITTEN_COLUMNS;
export type Column = (typeof COLUMNS)[number];

/** One value per column, as the text PostgreSQL parses; null is SQL NULL. */
export type Row = (string | null)[];

export interface RowLimits extends SanitizeLimits {
  /** Cap on the JSON text of a span's attributes, and separately of its events and links. */
  maxAttributesBytes: number;
}

export const DEFAULT_ROW_LIMITS: RowLimits = { ...DEFAULT_SANITIZE_LIMITS, maxAttributesBytes: 1024 * 1024 };

const KINDS = ['INTERNAL', 'SERVER', 'CLIENT', 'PRODUCER', 'CONSUMER'];
const STATUS = ['UNSET', 'OK', 'ERROR'];
const NS_PER_S = 1_000_000_000n;

/**
 * Nanoseconds since the epoch as decimal text. BigInt because the value exceeds 2^53 and a
 * Number would round the last digits. Null (the row is then rejected and dead-lettered) when
 * the time is not a pair of integers.
 */
export function hrTimeToNanos(t: HrTime | undefined): string | null {
  if (!Array.isArray(t) || t.length < 2) return null;
  const [s, ns] = t;
  if (!Number.isSafeInteger(s) || !Number.isSafeInteger(ns)) return null;
  return (BigInt(s) * NS_PER_S + BigInt(ns)).toString();
}

/** Serialises a span's parts that are shared by many spans (the resource) only once. */
export class RowEncoder {
  private resourceCache = new WeakMap<object, { json: string; service: string | null }>();

  constructor(readonly limits: RowLimits = DEFAULT_ROW_LIMITS) {}

  toRow(span: ReadableSpan): Row {
    const L = this.limits;
    const ctx = span.spanContext();
    const res = this.resource(span);
    const kind = KINDS[span.kind] ?? String(span.kind);
    const code = span.status?.code;
    const status = STATUS[code as number] ?? (code === undefined ? 'UNSET' : String(code));
    const scope = span.instrumentationScope;
    return [
      text(ctx.traceId, 256),
      text(ctx.spanId, 256),
      span.parentSpanContext?.spanId ? text(span.parentSpanContext.spanId, 256) : null,
      text(span.name, L.maxStringLength) ?? '',
      kind,
      res.service,
      hrTimeToNanos(span.startTime),
      hrTimeToNanos(span.endTime),
      status,
      span.status?.message ? text(span.status.message, L.maxStringLength) : null,
      sanitizedObjectJson(span.attributes, L.maxAttributesBytes, L),
      sanitizedArrayJson(eventsOf(span), L.maxAttributesBytes, L),
      sanitizedArrayJson(linksOf(span), L.maxAttributesBytes, L),
      res.json,
      scope?.name ? text(scope.name, 1024) : null,
      scope?.version ? text(scope.version, 1024) : null,
    ];
  }

  private resource(span: ReadableSpan): { json: string; service: string | null } {
    const r = span.resource as unknown as object | undefined;
    if (r === undefined || r === null) return { json: '{}', service: null };
    let hit = this.resourceCache.get(r);
    if (hit === undefined) {
      let attrs: Record<string, unknown> = {};
      try {
        attrs = span.resource.attributes ?? {};
      } catch {
        // a resource whose async attributes failed: store what we can (nothing)
      }
      const svc = attrs['service.name'];
      hit = { json: sanitizedObjectJson(attrs, this.limits.maxAttributesBytes, this.limits), service: text(svc, 1024) };
      this.resourceCache.set(r, hit);
    }
    return hit;
  }
}

/** A non-string value (a resource's service.name, say) as text; never throws. */
function asText(v: unknown): string {
  if (typeof v === 'number' || typeof v === 'boolean' || typeof v === 'bigint') return String(v);
  try {
    return JSON.stringify(v) ?? '';
  } catch {
    return '';
  }
}

function text(v: unknown, max: number): string | null {
  if (v === undefined || v === null) return null;
  return sanitizeString(typeof v === 'string' ? v : asText(v), max);
}

/** Event and link times are nanosecond strings too, for the same precision reason. */
function eventsOf(span: ReadableSpan): unknown[] | undefined {
  const evs = span.events;
  if (!Array.isArray(evs) || evs.length === 0) return undefined;
  return evs.map((e) => {
    const o: Record<string, unknown> = { name: e?.name, time: hrTimeToNanos(e?.time) };
    if (e?.attributes && Object.keys(e.attributes).length > 0) o.attributes = e.attributes;
    if (e?.droppedAttributesCount) o.dropped_attributes_count = e.droppedAttributesCount;
    return o;
  });
}

function linksOf(span: ReadableSpan): unknown[] | undefined {
  const links = span.links;
  if (!Array.isArray(links) || links.length === 0) return undefined;
  return links.map((l) => {
    const o: Record<string, unknown> = { trace_id: l?.context?.traceId, span_id: l?.context?.spanId };
    if (l?.attributes && Object.keys(l.attributes).length > 0) o.attributes = l.attributes;
    return o;
  });
}

// --- COPY text format -------------------------------------------------------------------------

const NEEDS_ESCAPE = /[\\\n\r\t]/;
const ESCAPES = /[\\\n\r\t]/g;
const ESCAPE_MAP: Record<string, string> = { '\\': '\\\\', '\n': '\\n', '\r': '\\r', '\t': '\\t' };

function copyEscape(s: string): string {
  return NEEDS_ESCAPE.test(s) ? s.replace(ESCAPES, (c) => ESCAPE_MAP[c]) : s;
}

/** One line of COPY ... FROM STDIN (text format), newline included. */
export function encodeCopyLine(row: Row): string {
  let out = '';
  for (let i = 0; i < row.length; i++) {
    const v = row[i];
    if (i > 0) out += '\t';
    out += v === null ? '\\N' : copyEscape(v);
  }
  return out + '\n';
}

const UNESCAPES = /\\(.)/g;
const UNESCAPE_MAP: Record<string, string> = { n: '\n', r: '\r', t: '\t', b: '\b', f: '\f', v: '\v', '\\': '\\' };

/** Inverse of encodeCopyLine (for the lines it produces). */
export function decodeCopyLine(line: string): Row {
  const body = line.endsWith('\n') ? line.slice(0, -1) : line;
  return body.split('\t').map((f) => (f === '\\N' ? null : f.indexOf('\\') === -1 ? f : f.replace(UNESCAPES, (_m, c: string) => UNESCAPE_MAP[c] ?? c)));
}

/** Column → value, for the dead-letter table and for humans. */
export function rowToObject(row: Row): Record<string, string | null> {
  const o: Record<string, string | null> = {};
  COLUMNS.forEach((c, i) => (o[c] = row[i] ?? null));
  return o;
}

/** Approximate heap cost of a held line (UTF-16 plus object overhead), for the memory bound. */
export function lineCost(line: string): number {
  return line.length * 2 + 64;
}

/** trace_id and span_id of a line without decoding all of it, for log messages. */
export function lineIds(line: string): string {
  const a = line.indexOf('\t');
  const b = line.indexOf('\t', a + 1);
  return `${line.slice(0, Math.min(a, 40))}/${line.slice(a + 1, Math.min(b, a + 41))}`;
}

/** Spans as COPY lines with their memory cost; a span that cannot be converted is counted in `bad` and reported. */
export function encodeRows(encoder: RowEncoder, spans: readonly ReadableSpan[], onError: (err: unknown) => void): { lines: string[]; bytes: number; bad: number } {
  const lines: string[] = [];
  let bytes = 0;
  let bad = 0;
  for (let i = 0; i < spans.length; i++) {
    try {
      const line = encodeCopyLine(encoder.toRow(spans[i]));
      lines.push(line);
      bytes += lineCost(line);
    } catch (err) {
      bad++;
      onError(err);
    }
  }
  return { lines, bytes, bad };
}

/** First line of a PostgreSQL spool file: its rows are COPY lines of exactly these columns. */
export const PG_SPOOL_HEADER = `#agentops-spool v1 ${COLUMNS.join(',')}\n`;
