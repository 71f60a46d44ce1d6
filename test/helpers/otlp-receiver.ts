/**
 * Loopback OTLP/HTTP trace receiver for tests.
 *
 * Decodes the REAL wire format sent by the OpenTelemetry JS exporters:
 *  - `application/x-protobuf` (and `application/protobuf`): hand-written protobuf decoder for
 *    `opentelemetry.proto.collector.trace.v1.ExportTraceServiceRequest` (no dependency);
 *  - `application/json`: OTLP/JSON (camelCase; snake_case accepted too). Trace/span ids may be hex
 *    (what the OTLP/JSON spec and the JS exporter use) or base64 (proto3 canonical JSON);
 *    int64 values may be JSON strings or JSON numbers; enums may be numbers or names.
 *  - `Content-Encoding: gzip` / `deflate` bodies are decompressed first.
 *
 * Both are normalised into {@link ReceivedSpan}. Value mapping of an OTLP `AnyValue`
 * ({@link OtlpValue}):
 *  - string_value → `string`, bool_value → `boolean`
 *  - int_value    → `bigint` ALWAYS (both formats; so `attr(span, 'n') === 42n`)
 *  - double_value → `number` (OTLP/JSON `"NaN"`, `"Infinity"`, `"-Infinity"` strings accepted)
 *  - bytes_value  → `Uint8Array`
 *  - array_value  → `OtlpValue[]`, kvlist_value → `{ [key]: OtlpValue }`
 *  - an empty AnyValue (no oneof member set) and a JSON `null` → `null`
 * Timestamps are `bigint` nanoseconds. `kind` and `status.code` are the OTLP enum numbers
 * (kind: 0 UNSPECIFIED, 1 INTERNAL, 2 SERVER, 3 CLIENT, 4 PRODUCER, 5 CONSUMER — i.e. the
 * `@opentelemetry/api` SpanKind value + 1; status: 0 UNSET, 1 OK, 2 ERROR).
 */
import * as http from 'node:http';
import * as https from 'node:https';
import type { AddressInfo } from 'node:net';
import * as zlib from 'node:zlib';

// ---------------------------------------------------------------------------------------------
// Normalised model
// ---------------------------------------------------------------------------------------------

export type OtlpValue =
  | string
  | boolean
  | bigint
  | number
  | Uint8Array
  | null
  | OtlpValue[]
  | { [key: string]: OtlpValue };

export type OtlpAttributes = Record<string, OtlpValue>;

export interface ReceivedEvent {
  name: string;
  timeUnixNano: bigint;
  attributes: OtlpAttributes;
  droppedAttributesCount: number;
}

export interface ReceivedLink {
  traceId: string;
  spanId: string;
  traceState?: string;
  flags?: number;
  attributes: OtlpAttributes;
  droppedAttributesCount: number;
}

export interface ReceivedScope {
  name: string;
  version?: string;
  attributes: OtlpAttributes;
}

export interface ReceivedSpan {
  /** 32 lowercase hex chars. */
  traceId: string;
  /** 16 lowercase hex chars. */
  spanId: string;
  /** Absent for root spans (empty on the wire). */
  parentSpanId?: string;
  traceState?: string;
  /** Span.flags (fixed32): low 8 bits W3C trace flags, 0x100 "has is_remote", 0x200 "is remote". */
  flags?: number;
  name: string;
  /** OTLP SpanKind number (api SpanKind + 1). */
  kind: number;
  startTimeUnixNano: bigint;
  endTimeUnixNano: bigint;
  attributes: OtlpAttributes;
  droppedAttributesCount: number;
  events: ReceivedEvent[];
  droppedEventsCount: number;
  links: ReceivedLink[];
  droppedLinksCount: number;
  status: { code: number; message?: string };
  resource: OtlpAttributes;
  scope: ReceivedScope;
}

// ---------------------------------------------------------------------------------------------
// Protobuf decoding
// ---------------------------------------------------------------------------------------------

export class OtlpDecodeError extends Error {
  override name = 'OtlpDecodeError';
}

const WT_VARINT = 0;
const WT_I64 = 1;
const WT_LEN = 2;
const WT_SGROUP = 3;
const WT_EGROUP = 4;
const WT_I32 = 5;

const utf8 = new TextDecoder('utf-8');

class ProtoReader {
  pos: number;
  private readonly view: DataView;

  constructor(
    private readonly buf: Uint8Array,
    start = 0,
    readonly end = buf.length,
  ) {
    this.pos = start;
    this.view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  }

  atEnd(): boolean {
    return this.pos >= this.end;
  }

  private need(n: number): void {
    if (this.pos + n > this.end) {
      throw new OtlpDecodeError(`truncated message: need ${n} byte(s) at offset ${this.pos}, message ends at ${this.end}`);
    }
  }

  /** Unsigned 64-bit varint as bigint. */
  varint64(): bigint {
    let result = 0n;
    let shift = 0n;
    for (let i = 0; i < 10; i++) {
      this.need(1);
      const b = this.buf[this.pos++]!;
      result |= BigInt(b & 0x7f) << shift;
      if ((b & 0x80) === 0) return BigInt.asUintN(64, result);
      shift += 7n;
    }
    throw new OtlpDecodeError(`varint longer than 10 bytes at offset ${this.pos}`);
  }

  /** Varint that must fit a JS safe integer (tags, lengths, enums, uint32 counts). */
  varintNumber(): number {
    let result = 0;
    let mul = 1;
    const startPos = this.pos;
    for (let i = 0; i < 10; i++) {
      this.need(1);
      const b = this.buf[this.pos++]!;
      result += (b & 0x7f) * mul;
      if ((b & 0x80) === 0) {
        if (!Number.isSafeInteger(result)) {
          // e.g. a negative int32 enum is sign-extended to 10 bytes: reinterpret as int64.
          this.pos = startPos;
          return Number(BigInt.asIntN(64, this.varint64()));
        }
        return result;
      }
      mul *= 128;
    }
    throw new OtlpDecodeError(`varint longer than 10 bytes at offset ${this.pos}`);
  }

  fixed64(): bigint {
    this.need(8);
    const v = this.view.getBigUint64(this.pos, true);
    this.pos += 8;
    return v;
  }

  double(): number {
    this.need(8);
    const v = this.view.getFloat64(this.pos, true);
    this.pos += 8;
    return v;
  }

  fixed32(): number {
    this.need(4);
    const v = this.view.getUint32(this.pos, true);
    this.pos += 4;
    return v;
  }

  bytes(): Uint8Array {
    const len = this.varintNumber();
    this.need(len);
    const out = this.buf.subarray(this.pos, this.pos + len);
    this.pos += len;
    return out;
  }

  string(): string {
    return utf8.decode(this.bytes());
  }

  tag(): { field: number; wt: number } {
    const key = this.varintNumber();
    const field = Math.floor(key / 8);
    const wt = key & 7;
    if (field === 0) throw new OtlpDecodeError(`invalid field number 0 at offset ${this.pos}`);
    return { field, wt };
  }

  skip(wt: number, field: number): void {
    switch (wt) {
      case WT_VARINT:
        this.varint64();
        return;
      case WT_I64:
        this.need(8);
        this.pos += 8;
        return;
      case WT_LEN:
        this.bytes();
        return;
      case WT_I32:
        this.need(4);
        this.pos += 4;
        return;
      case WT_SGROUP: {
        // Deprecated groups: skip nested fields up to the matching END_GROUP.
        for (;;) {
          if (this.atEnd()) throw new OtlpDecodeError(`unterminated group for field ${field}`);
          const t = this.tag();
          if (t.wt === WT_EGROUP) {
            if (t.field !== field) throw new OtlpDecodeError(`mismatched END_GROUP ${t.field} for group ${field}`);
            return;
          }
          this.skip(t.wt, t.field);
        }
      }
      default:
        throw new OtlpDecodeError(`invalid wire type ${wt} for field ${field} at offset ${this.pos}`);
    }
  }
}

/**
 * Iterate the fields of one message. `handle` returns false for fields it doesn't know, which are
 * then skipped per their wire type. A known field with the wrong wire type is an error.
 */
function readMessage(bytes: Uint8Array, handle: (field: number, wt: number, r: ProtoReader) => boolean): void {
  const r = new ProtoReader(bytes);
  while (!r.atEnd()) {
    const { field, wt } = r.tag();
    if (!handle(field, wt, r)) r.skip(wt, field);
  }
}

function expectWt(msg: string, field: number, wt: number, expected: number): void {
  if (wt !== expected) {
    throw new OtlpDecodeError(`${msg} field ${field}: wire type ${wt}, expected ${expected}`);
  }
}

/** Protobuf merge semantics for a singular embedded message appearing more than once: concatenate. */
function concatChunks(chunks: Uint8Array[]): Uint8Array {
  if (chunks.length === 1) return chunks[0]!;
  return Buffer.concat(chunks);
}

function toHex(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('hex');
}

function decodeAnyValueProto(bytes: Uint8Array): OtlpValue {
  let value: OtlpValue = null;
  readMessage(bytes, (field, wt, r) => {
    switch (field) {
      case 1:
        expectWt('AnyValue', field, wt, WT_LEN);
        value = r.string();
        return true;
      case 2:
        expectWt('AnyValue', field, wt, WT_VARINT);
        value = r.varint64() !== 0n;
        return true;
      case 3:
        expectWt('AnyValue', field, wt, WT_VARINT);
        value = BigInt.asIntN(64, r.varint64());
        return true;
      case 4:
        expectWt('AnyValue', field, wt, WT_I64);
        value = r.double();
        return true;
      case 5: {
        expectWt('AnyValue', field, wt, WT_LEN);
        const values: OtlpValue[] = [];
        readMessage(r.bytes(), (f, w, rr) => {
          if (f !== 1) return false;
          expectWt('ArrayValue', f, w, WT_LEN);
          values.push(decodeAnyValueProto(rr.bytes()));
          return true;
        });
        value = values;
        return true;
      }
      case 6: {
        expectWt('AnyValue', field, wt, WT_LEN);
        const kv: OtlpAttributes = {};
        readMessage(r.bytes(), (f, w, rr) => {
          if (f !== 1) return false;
          expectWt('KeyValueList', f, w, WT_LEN);
          decodeKeyValueProto(rr.bytes(), kv);
          return true;
        });
        value = kv;
        return true;
      }
      case 7:
        expectWt('AnyValue', field, wt, WT_LEN);
        value = Uint8Array.from(r.bytes());
        return true;
      default:
        return false;
    }
  });
  return value;
}

function decodeKeyValueProto(bytes: Uint8Array, into: OtlpAttributes): void {
  let key = '';
  const valueChunks: Uint8Array[] = [];
  readMessage(bytes, (field, wt, r) => {
    if (field === 1) {
      expectWt('KeyValue', field, wt, WT_LEN);
      key = r.string();
      return true;
    }
    if (field === 2) {
      expectWt('KeyValue', field, wt, WT_LEN);
      valueChunks.push(r.bytes());
      return true;
    }
    return false;
  });
  into[key] = valueChunks.length ? decodeAnyValueProto(concatChunks(valueChunks)) : null;
}

function decodeResourceProto(bytes: Uint8Array): OtlpAttributes {
  const attrs: OtlpAttributes = {};
  readMessage(bytes, (field, wt, r) => {
    if (field !== 1) return false; // 2 dropped_attributes_count, 3 entity_refs
    expectWt('Resource', field, wt, WT_LEN);
    decodeKeyValueProto(r.bytes(), attrs);
    return true;
  });
  return attrs;
}

function decodeScopeProto(bytes: Uint8Array): ReceivedScope {
  const scope: ReceivedScope = { name: '', attributes: {} };
  readMessage(bytes, (field, wt, r) => {
    switch (field) {
      case 1:
        expectWt('InstrumentationScope', field, wt, WT_LEN);
        scope.name = r.string();
        return true;
      case 2:
        expectWt('InstrumentationScope', field, wt, WT_LEN);
        scope.version = r.string();
        return true;
      case 3:
        expectWt('InstrumentationScope', field, wt, WT_LEN);
        decodeKeyValueProto(r.bytes(), scope.attributes);
        return true;
      default:
        return false;
    }
  });
  if (scope.version === '') delete scope.version;
  return scope;
}

function decodeEventProto(bytes: Uint8Array): ReceivedEvent {
  const ev: ReceivedEvent = { name: '', timeUnixNano: 0n, attributes: {}, droppedAttributesCount: 0 };
  readMessage(bytes, (field, wt, r) => {
    switch (field) {
      case 1:
        expectWt('Span.Event', field, wt, WT_I64);
        ev.timeUnixNano = r.fixed64();
        return true;
      case 2:
        expectWt('Span.Event', field, wt, WT_LEN);
        ev.name = r.string();
        return true;
      case 3:
        expectWt('Span.Event', field, wt, WT_LEN);
        decodeKeyValueProto(r.bytes(), ev.attributes);
        return true;
      case 4:
        expectWt('Span.Event', field, wt, WT_VARINT);
        ev.droppedAttributesCount = r.varintNumber();
        return true;
      default:
        return false;
    }
  });
  return ev;
}

function decodeLinkProto(bytes: Uint8Array): ReceivedLink {
  const link: ReceivedLink = { traceId: '', spanId: '', attributes: {}, droppedAttributesCount: 0 };
  readMessage(bytes, (field, wt, r) => {
    switch (field) {
      case 1:
        expectWt('Span.Link', field, wt, WT_LEN);
        link.traceId = toHex(r.bytes());
        return true;
      case 2:
        expectWt('Span.Link', field, wt, WT_LEN);
        link.spanId = toHex(r.bytes());
        return true;
      case 3:
        expectWt('Span.Link', field, wt, WT_LEN);
        link.traceState = r.string();
        return true;
      case 4:
        expectWt('Span.Link', field, wt, WT_LEN);
        decodeKeyValueProto(r.bytes(), link.attributes);
        return true;
      case 5:
        expectWt('Span.Link', field, wt, WT_VARINT);
        link.droppedAttributesCount = r.varintNumber();
        return true;
      case 6:
        expectWt('Span.Link', field, wt, WT_I32);
        link.flags = r.fixed32();
        return true;
      default:
        return false;
    }
  });
  if (link.traceState === '') delete link.traceState;
  return link;
}

function decodeStatusProto(bytes: Uint8Array): { code: number; message?: string } {
  const status: { code: number; message?: string } = { code: 0 };
  readMessage(bytes, (field, wt, r) => {
    if (field === 2) {
      expectWt('Status', field, wt, WT_LEN);
      status.message = r.string();
      return true;
    }
    if (field === 3) {
      expectWt('Status', field, wt, WT_VARINT);
      status.code = r.varintNumber();
      return true;
    }
    return false;
  });
  if (status.message === '') delete status.message;
  return status;
}

function decodeSpanProto(bytes: Uint8Array, resource: OtlpAttributes, scope: ReceivedScope): ReceivedSpan {
  const span: ReceivedSpan = {
    traceId: '',
    spanId: '',
    name: '',
    kind: 0,
    startTimeUnixNano: 0n,
    endTimeUnixNano: 0n,
    attributes: {},
    droppedAttributesCount: 0,
    events: [],
    droppedEventsCount: 0,
    links: [],
    droppedLinksCount: 0,
    status: { code: 0 },
    resource,
    scope,
  };
  const statusChunks: Uint8Array[] = [];
  readMessage(bytes, (field, wt, r) => {
    switch (field) {
      case 1:
        expectWt('Span', field, wt, WT_LEN);
        span.traceId = toHex(r.bytes());
        return true;
      case 2:
        expectWt('Span', field, wt, WT_LEN);
        span.spanId = toHex(r.bytes());
        return true;
      case 3:
        expectWt('Span', field, wt, WT_LEN);
        span.traceState = r.string();
        return true;
      case 4:
        expectWt('Span', field, wt, WT_LEN);
        span.parentSpanId = toHex(r.bytes());
        return true;
      case 5:
        expectWt('Span', field, wt, WT_LEN);
        span.name = r.string();
        return true;
      case 6:
        expectWt('Span', field, wt, WT_VARINT);
        span.kind = r.varintNumber();
        return true;
      case 7:
        expectWt('Span', field, wt, WT_I64);
        span.startTimeUnixNano = r.fixed64();
        return true;
      case 8:
        expectWt('Span', field, wt, WT_I64);
        span.endTimeUnixNano = r.fixed64();
        return true;
      case 9:
        expectWt('Span', field, wt, WT_LEN);
        decodeKeyValueProto(r.bytes(), span.attributes);
        return true;
      case 10:
        expectWt('Span', field, wt, WT_VARINT);
        span.droppedAttributesCount = r.varintNumber();
        return true;
      case 11:
        expectWt('Span', field, wt, WT_LEN);
        span.events.push(decodeEventProto(r.bytes()));
        return true;
      case 12:
        expectWt('Span', field, wt, WT_VARINT);
        span.droppedEventsCount = r.varintNumber();
        return true;
      case 13:
        expectWt('Span', field, wt, WT_LEN);
        span.links.push(decodeLinkProto(r.bytes()));
        return true;
      case 14:
        expectWt('Span', field, wt, WT_VARINT);
        span.droppedLinksCount = r.varintNumber();
        return true;
      case 15:
        expectWt('Span', field, wt, WT_LEN);
        statusChunks.push(r.bytes());
        return true;
      case 16:
        expectWt('Span', field, wt, WT_I32);
        span.flags = r.fixed32();
        return true;
      default:
        return false;
    }
  });
  if (statusChunks.length) span.status = decodeStatusProto(concatChunks(statusChunks));
  if (span.parentSpanId === '') delete span.parentSpanId;
  if (span.traceState === '') delete span.traceState;
  return span;
}

/** Decode a protobuf `ExportTraceServiceRequest` (uncompressed bytes). */
export function decodeOtlpProtobuf(body: Uint8Array): ReceivedSpan[] {
  const out: ReceivedSpan[] = [];
  readMessage(body, (field, wt, r) => {
    if (field !== 1) return false;
    expectWt('ExportTraceServiceRequest', field, wt, WT_LEN);
    // ResourceSpans: resource 1, scope_spans 2, schema_url 3
    const resourceChunks: Uint8Array[] = [];
    const scopeSpans: Uint8Array[] = [];
    readMessage(r.bytes(), (f, w, rr) => {
      if (f === 1) {
        expectWt('ResourceSpans', f, w, WT_LEN);
        resourceChunks.push(rr.bytes());
        return true;
      }
      if (f === 2) {
        expectWt('ResourceSpans', f, w, WT_LEN);
        scopeSpans.push(rr.bytes());
        return true;
      }
      return false;
    });
    const resource = resourceChunks.length ? decodeResourceProto(concatChunks(resourceChunks)) : {};
    for (const ss of scopeSpans) {
      // ScopeSpans: scope 1, spans 2, schema_url 3
      const scopeChunks: Uint8Array[] = [];
      const spans: Uint8Array[] = [];
      readMessage(ss, (f, w, rr) => {
        if (f === 1) {
          expectWt('ScopeSpans', f, w, WT_LEN);
          scopeChunks.push(rr.bytes());
          return true;
        }
        if (f === 2) {
          expectWt('ScopeSpans', f, w, WT_LEN);
          spans.push(rr.bytes());
          return true;
        }
        return false;
      });
      const scope = scopeChunks.length ? decodeScopeProto(concatChunks(scopeChunks)) : { name: '', attributes: {} };
      for (const s of spans) out.push(decodeSpanProto(s, resource, scope));
    }
    return true;
  });
  return out;
}

// ---------------------------------------------------------------------------------------------
// OTLP/JSON decoding
// ---------------------------------------------------------------------------------------------

type Json = unknown;
type JsonObj = Record<string, Json>;

function isObj(v: Json): v is JsonObj {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Field lookup accepting the lowerCamelCase JSON name and the original proto (snake_case) name. */
function get(o: JsonObj, camel: string): Json {
  if (camel in o) return o[camel];
  const snake = camel.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);
  return o[snake];
}

function arr(o: JsonObj, camel: string, where: string): Json[] {
  const v = get(o, camel);
  if (v === undefined || v === null) return [];
  if (!Array.isArray(v)) throw new OtlpDecodeError(`${where}.${camel}: expected array`);
  return v;
}

function str(v: Json, where: string): string | undefined {
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'string') throw new OtlpDecodeError(`${where}: expected string, got ${typeof v}`);
  return v;
}

function int64(v: Json, where: string): bigint {
  if (v === undefined || v === null) return 0n;
  if (typeof v === 'string' && /^-?\d+$/.test(v.trim())) return BigInt(v.trim());
  if (typeof v === 'number' && Number.isInteger(v)) return BigInt(v);
  throw new OtlpDecodeError(`${where}: expected int64 as decimal string or integer number, got ${JSON.stringify(v)}`);
}

function uint(v: Json, where: string): number {
  if (v === undefined || v === null) return 0;
  const n = typeof v === 'string' ? Number(v) : v;
  if (typeof n !== 'number' || !Number.isInteger(n)) throw new OtlpDecodeError(`${where}: expected integer, got ${JSON.stringify(v)}`);
  return n;
}

function enumValue(v: Json, names: readonly string[], where: string): number {
  if (v === undefined || v === null) return 0;
  if (typeof v === 'number' && Number.isInteger(v)) return v;
  if (typeof v === 'string') {
    const i = names.indexOf(v);
    if (i >= 0) return i;
    if (/^\d+$/.test(v)) return Number(v);
  }
  throw new OtlpDecodeError(`${where}: unknown enum value ${JSON.stringify(v)}`);
}

const SPAN_KIND_NAMES = [
  'SPAN_KIND_UNSPECIFIED',
  'SPAN_KIND_INTERNAL',
  'SPAN_KIND_SERVER',
  'SPAN_KIND_CLIENT',
  'SPAN_KIND_PRODUCER',
  'SPAN_KIND_CONSUMER',
] as const;
const STATUS_CODE_NAMES = ['STATUS_CODE_UNSET', 'STATUS_CODE_OK', 'STATUS_CODE_ERROR'] as const;

/**
 * Trace/span id in OTLP/JSON: hex per the OTLP spec (what the JS exporter sends); base64 (proto3
 * canonical JSON for `bytes`) also accepted. Disambiguated by the expected byte length.
 */
function jsonId(v: Json, bytesLen: number, where: string): string {
  const s = str(v, where);
  if (s === undefined || s === '') return '';
  if (s.length === bytesLen * 2 && /^[0-9a-fA-F]+$/.test(s)) return s.toLowerCase();
  if (/^[A-Za-z0-9+/_-]+={0,2}$/.test(s)) {
    const b = Buffer.from(s.replace(/-/g, '+').replace(/_/g, '/'), 'base64');
    if (b.length === bytesLen) return b.toString('hex');
  }
  throw new OtlpDecodeError(`${where}: ${JSON.stringify(s)} is neither ${bytesLen * 2} hex chars nor base64 of ${bytesLen} bytes`);
}

function jsonDouble(v: Json, where: string): number | null {
  if (v === null) return null; // JSON.stringify turns NaN / ±Infinity into null
  if (typeof v === 'number') return v;
  if (v === 'NaN') return NaN;
  if (v === 'Infinity') return Infinity;
  if (v === '-Infinity') return -Infinity;
  if (typeof v === 'string' && v.trim() !== '' && !Number.isNaN(Number(v))) return Number(v);
  throw new OtlpDecodeError(`${where}: invalid doubleValue ${JSON.stringify(v)}`);
}

function decodeAnyValueJson(v: Json, where: string): OtlpValue {
  if (v === undefined || v === null) return null;
  if (!isObj(v)) throw new OtlpDecodeError(`${where}: AnyValue must be an object`);
  // Checked in oneof order; exactly one is expected.
  if (get(v, 'stringValue') !== undefined) return str(get(v, 'stringValue'), where) ?? null;
  if (get(v, 'boolValue') !== undefined) {
    const b = get(v, 'boolValue');
    if (b === null) return null;
    if (typeof b !== 'boolean') throw new OtlpDecodeError(`${where}: boolValue must be boolean`);
    return b;
  }
  if (get(v, 'intValue') !== undefined) {
    const i = get(v, 'intValue');
    return i === null ? null : int64(i, `${where}.intValue`);
  }
  if (get(v, 'doubleValue') !== undefined) return jsonDouble(get(v, 'doubleValue'), `${where}.doubleValue`);
  if (get(v, 'arrayValue') !== undefined) {
    const a = get(v, 'arrayValue');
    if (a === null) return null;
    if (!isObj(a)) throw new OtlpDecodeError(`${where}.arrayValue must be an object`);
    return arr(a, 'values', `${where}.arrayValue`).map((x, i) => decodeAnyValueJson(x, `${where}.arrayValue.values[${i}]`));
  }
  if (get(v, 'kvlistValue') !== undefined) {
    const k = get(v, 'kvlistValue');
    if (k === null) return null;
    if (!isObj(k)) throw new OtlpDecodeError(`${where}.kvlistValue must be an object`);
    return decodeAttributesJson(arr(k, 'values', `${where}.kvlistValue`), `${where}.kvlistValue`);
  }
  if (get(v, 'bytesValue') !== undefined) {
    const b = str(get(v, 'bytesValue'), `${where}.bytesValue`);
    return b === undefined ? null : Uint8Array.from(Buffer.from(b, 'base64'));
  }
  return null;
}

function decodeAttributesJson(list: Json[], where: string): OtlpAttributes {
  const out: OtlpAttributes = {};
  list.forEach((kv, i) => {
    if (!isObj(kv)) throw new OtlpDecodeError(`${where}[${i}]: KeyValue must be an object`);
    const key = str(get(kv, 'key'), `${where}[${i}].key`) ?? '';
    out[key] = decodeAnyValueJson(get(kv, 'value'), `${where}[${key}]`);
  });
  return out;
}

function attrsOf(o: JsonObj, where: string): OtlpAttributes {
  return decodeAttributesJson(arr(o, 'attributes', where), `${where}.attributes`);
}

/** Decode an OTLP/JSON `ExportTraceServiceRequest` (text, UTF-8 bytes, or an already parsed object). */
export function decodeOtlpJson(body: string | Uint8Array | object): ReceivedSpan[] {
  let doc: Json;
  if (typeof body === 'string' || body instanceof Uint8Array) {
    const text = typeof body === 'string' ? body : utf8.decode(body);
    try {
      doc = JSON.parse(text);
    } catch (e) {
      throw new OtlpDecodeError(`invalid JSON: ${(e as Error).message}`);
    }
  } else {
    doc = body;
  }
  if (!isObj(doc)) throw new OtlpDecodeError('ExportTraceServiceRequest must be a JSON object');
  const out: ReceivedSpan[] = [];
  arr(doc, 'resourceSpans', 'request').forEach((rs, ri) => {
    const rw = `resourceSpans[${ri}]`;
    if (!isObj(rs)) throw new OtlpDecodeError(`${rw} must be an object`);
    const res = get(rs, 'resource');
    const resource = isObj(res) ? attrsOf(res, `${rw}.resource`) : {};
    arr(rs, 'scopeSpans', rw).forEach((ss, si) => {
      const sw = `${rw}.scopeSpans[${si}]`;
      if (!isObj(ss)) throw new OtlpDecodeError(`${sw} must be an object`);
      const sc = get(ss, 'scope');
      const scope: ReceivedScope = { name: '', attributes: {} };
      if (isObj(sc)) {
        scope.name = str(get(sc, 'name'), `${sw}.scope.name`) ?? '';
        const version = str(get(sc, 'version'), `${sw}.scope.version`);
        if (version) scope.version = version;
        scope.attributes = attrsOf(sc, `${sw}.scope`);
      }
      arr(ss, 'spans', sw).forEach((sp, pi) => {
        const w = `${sw}.spans[${pi}]`;
        if (!isObj(sp)) throw new OtlpDecodeError(`${w} must be an object`);
        const st = get(sp, 'status');
        const status: { code: number; message?: string } = { code: 0 };
        if (isObj(st)) {
          status.code = enumValue(get(st, 'code'), STATUS_CODE_NAMES, `${w}.status.code`);
          const message = str(get(st, 'message'), `${w}.status.message`);
          if (message) status.message = message;
        }
        const span: ReceivedSpan = {
          traceId: jsonId(get(sp, 'traceId'), 16, `${w}.traceId`),
          spanId: jsonId(get(sp, 'spanId'), 8, `${w}.spanId`),
          name: str(get(sp, 'name'), `${w}.name`) ?? '',
          kind: enumValue(get(sp, 'kind'), SPAN_KIND_NAMES, `${w}.kind`),
          startTimeUnixNano: int64(get(sp, 'startTimeUnixNano'), `${w}.startTimeUnixNano`),
          endTimeUnixNano: int64(get(sp, 'endTimeUnixNano'), `${w}.endTimeUnixNano`),
          attributes: attrsOf(sp, w),
          droppedAttributesCount: uint(get(sp, 'droppedAttributesCount'), `${w}.droppedAttributesCount`),
          events: arr(sp, 'events', w).map((e, ei) => {
            const ew = `${w}.events[${ei}]`;
            if (!isObj(e)) throw new OtlpDecodeError(`${ew} must be an object`);
            return {
              name: str(get(e, 'name'), `${ew}.name`) ?? '',
              timeUnixNano: int64(get(e, 'timeUnixNano'), `${ew}.timeUnixNano`),
              attributes: attrsOf(e, ew),
              droppedAttributesCount: uint(get(e, 'droppedAttributesCount'), `${ew}.droppedAttributesCount`),
            };
          }),
          droppedEventsCount: uint(get(sp, 'droppedEventsCount'), `${w}.droppedEventsCount`),
          links: arr(sp, 'links', w).map((l, li) => {
            const lw = `${w}.links[${li}]`;
            if (!isObj(l)) throw new OtlpDecodeError(`${lw} must be an object`);
            const link: ReceivedLink = {
              traceId: jsonId(get(l, 'traceId'), 16, `${lw}.traceId`),
              spanId: jsonId(get(l, 'spanId'), 8, `${lw}.spanId`),
              attributes: attrsOf(l, lw),
              droppedAttributesCount: uint(get(l, 'droppedAttributesCount'), `${lw}.droppedAttributesCount`),
            };
            const ts = str(get(l, 'traceState'), `${lw}.traceState`);
            if (ts) link.traceState = ts;
            if (get(l, 'flags') != null) link.flags = uint(get(l, 'flags'), `${lw}.flags`);
            return link;
          }),
          droppedLinksCount: uint(get(sp, 'droppedLinksCount'), `${w}.droppedLinksCount`),
          status,
          resource,
          scope,
        };
        const parent = jsonId(get(sp, 'parentSpanId'), 8, `${w}.parentSpanId`);
        if (parent) span.parentSpanId = parent;
        const ts = str(get(sp, 'traceState'), `${w}.traceState`);
        if (ts) span.traceState = ts;
        if (get(sp, 'flags') != null) span.flags = uint(get(sp, 'flags'), `${w}.flags`);
        out.push(span);
      });
    });
  });
  return out;
}

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
    a.span.startTimeUnixNano < b.span.startTimeUnixNano
      ? -1
      : a.span.startTimeUnixNano > b.span.startTimeUnixNano
        ? 1
        : a.span.name.localeCompare(b.span.name);
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
export type ResponsePlan =
  | 'ok'
  | 'hang'
  | 'garbage'
  | 'reset'
  | { status: number; headers?: Record<string, string>; body?: string | Uint8Array };

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
  return requests
    .map((r) => `#${r.index} ${r.contentType} ${r.encoding} spans=${r.spanCount} -> ${r.response}${r.decodeError ? ` (${r.decodeError})` : ''}`)
    .join('; ');
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
      wait(() => (spans.length >= n ? spans : undefined), timeoutMs, () => `expected >= ${n} span(s), got ${spans.length}`),
    waitFor: (predicate, timeoutMs = 5000) =>
      wait(() => (predicate(spans) ? spans : undefined), timeoutMs, () => `predicate not satisfied by ${spans.length} span(s)`),
    waitForRequests: (n, timeoutMs = 5000) =>
      wait(() => (requests.length >= n ? requests : undefined), timeoutMs, () => `expected >= ${n} request(s), got ${requests.length}`),
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

// The protobuf reading shared with the metrics receiver (test/helpers/otlp-metrics.ts).
export { decodeKeyValueProto, decodeResourceProto, decodeScopeProto, expectWt, readMessage, WT_I64, WT_LEN };
export type { ProtoReader };
