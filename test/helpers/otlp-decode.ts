/**
 * Decodes an OTLP `ExportTraceServiceRequest` with the official OpenTelemetry definitions
 * (test/proto, vendored from opentelemetry-proto) and protobufjs, which is independent of the
 * serializer our exporter uses (@opentelemetry/otlp-transformer):
 *  - protobuf (`application/x-protobuf`): protobufjs decodes the bytes;
 *  - OTLP/JSON (`application/json`): read field by field against the same definitions, with the
 *    OTLP deviations from proto3 JSON: trace and span ids in hex (base64 accepted too), int64 as
 *    decimal strings or numbers, enums as numbers or names; snake_case field names accepted.
 *
 * Both become {@link ReceivedSpan}. An OTLP `AnyValue` ({@link OtlpValue}) maps as:
 *  - string_value → `string`, bool_value → `boolean`
 *  - int_value    → `bigint` ALWAYS (both formats; so `attr(span, 'n') === 42n`)
 *  - double_value → `number` (OTLP/JSON `"NaN"`, `"Infinity"`, `"-Infinity"` strings accepted)
 *  - bytes_value  → `Uint8Array`
 *  - array_value  → `OtlpValue[]`, kvlist_value → `{ [key]: OtlpValue }`
 *  - an empty AnyValue (no oneof member set) and a JSON `null` → `null`
 * Timestamps are `bigint` nanoseconds. `kind` and `status.code` are the OTLP enum numbers
 * (kind: 0 UNSPECIFIED, 1 INTERNAL, 2 SERVER, 3 CLIENT, 4 PRODUCER, 5 CONSUMER, i.e. the
 * `@opentelemetry/api` SpanKind value + 1; status: 0 UNSET, 1 OK, 2 ERROR).
 */
import * as path from 'node:path';
import * as protobuf from 'protobufjs';

// ---------------------------------------------------------------------------------------------
// Normalised model
// ---------------------------------------------------------------------------------------------

export type OtlpValue = string | boolean | bigint | number | Uint8Array | null | OtlpValue[] | { [key: string]: OtlpValue };

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

export class OtlpDecodeError extends Error {
  override name = 'OtlpDecodeError';
}

// ---------------------------------------------------------------------------------------------
// The official definitions
// ---------------------------------------------------------------------------------------------

/** test/proto of the checkout (this file runs from dist/test/helpers). */
const PROTO_DIR = path.resolve(__dirname, '..', '..', '..', 'test', 'proto');

const types = new Map<string, protobuf.Type>();

/** A message type of opentelemetry-proto, loaded once from the .proto file that declares it. */
export function otlpType(file: string, name: string): protobuf.Type {
  let t = types.get(name);
  if (t === undefined) {
    const root = new protobuf.Root();
    // Imports name paths from the root of opentelemetry-proto, as protoc's -I would.
    root.resolvePath = (_origin, target) => path.join(PROTO_DIR, target);
    root.loadSync(file).resolveAll();
    t = root.lookupType(name);
    types.set(name, t);
  }
  return t;
}

/** `opentelemetry.proto.collector.trace.v1.ExportTraceServiceRequest`. */
export function exportTraceServiceRequest(): protobuf.Type {
  return otlpType('opentelemetry/proto/collector/trace/v1/trace_service.proto', 'opentelemetry.proto.collector.trace.v1.ExportTraceServiceRequest');
}

// ---------------------------------------------------------------------------------------------
// Messages as both decoders deliver them: protobufjs messages (64-bit integers as Long), or
// the JSON reader's objects (64-bit integers as bigint). Field names are the camelCase ones.
// ---------------------------------------------------------------------------------------------

export type Int64 = bigint | number | string | protobuf.Long;

interface PbAnyValue {
  /** The member of the `value` oneof that is set (protobufjs's oneof property). */
  value?: string;
  stringValue?: string;
  boolValue?: boolean;
  intValue?: Int64;
  doubleValue?: number;
  arrayValue?: { values?: PbAnyValue[] };
  kvlistValue?: { values?: PbKeyValue[] };
  bytesValue?: Uint8Array | number[];
}
export interface PbKeyValue {
  key?: string;
  value?: PbAnyValue | null;
}
interface PbEvent {
  timeUnixNano?: Int64;
  name?: string;
  attributes?: PbKeyValue[];
  droppedAttributesCount?: number;
}
interface PbLink {
  traceId?: Uint8Array | number[];
  spanId?: Uint8Array | number[];
  traceState?: string;
  attributes?: PbKeyValue[];
  droppedAttributesCount?: number;
  flags?: number;
}
interface PbSpan extends PbLink {
  parentSpanId?: Uint8Array | number[];
  name?: string;
  kind?: number;
  startTimeUnixNano?: Int64;
  endTimeUnixNano?: Int64;
  events?: PbEvent[];
  droppedEventsCount?: number;
  links?: PbLink[];
  droppedLinksCount?: number;
  status?: { message?: string; code?: number } | null;
}
interface PbRequest {
  resourceSpans?: Array<{
    resource?: { attributes?: PbKeyValue[] } | null;
    scopeSpans?: Array<{ scope?: { name?: string; version?: string; attributes?: PbKeyValue[] } | null; spans?: PbSpan[] }>;
  }>;
}

const has = (o: object, key: string): boolean => Object.prototype.hasOwnProperty.call(o, key);

export function int64(v: Int64 | undefined): bigint {
  if (v === undefined) return 0n;
  if (typeof v === 'bigint') return v;
  return BigInt(typeof v === 'object' ? v.toString() : v); // Long.toString() honours `unsigned`
}

/** Hex of a `bytes` field (protobufjs leaves an absent one as its default, an empty array). */
function hex(bytes: Uint8Array | number[] | undefined): string {
  return Buffer.from(bytes ?? []).toString('hex');
}

function anyValue(v: PbAnyValue | null | undefined): OtlpValue {
  switch (v?.value) {
    case 'stringValue':
      return v.stringValue ?? '';
    case 'boolValue':
      return v.boolValue ?? false;
    case 'intValue':
      return int64(v.intValue);
    case 'doubleValue':
      return v.doubleValue ?? 0;
    case 'arrayValue':
      return (v.arrayValue?.values ?? []).map(anyValue);
    case 'kvlistValue':
      return attributes(v.kvlistValue?.values);
    case 'bytesValue':
      return Uint8Array.from(v.bytesValue ?? []);
    default:
      return null;
  }
}

export function attributes(list: PbKeyValue[] | undefined): OtlpAttributes {
  const out: OtlpAttributes = {};
  for (const kv of list ?? []) out[kv.key ?? ''] = anyValue(kv.value);
  return out;
}

function linkOf(l: PbLink): ReceivedLink {
  const link: ReceivedLink = { traceId: hex(l.traceId), spanId: hex(l.spanId), attributes: attributes(l.attributes), droppedAttributesCount: l.droppedAttributesCount ?? 0 };
  if (l.traceState) link.traceState = l.traceState;
  if (has(l, 'flags')) link.flags = l.flags;
  return link;
}

function spanOf(s: PbSpan, resource: OtlpAttributes, scope: ReceivedScope): ReceivedSpan {
  const status: ReceivedSpan['status'] = { code: s.status?.code ?? 0 };
  if (s.status?.message) status.message = s.status.message;
  const span: ReceivedSpan = {
    traceId: hex(s.traceId),
    spanId: hex(s.spanId),
    name: s.name ?? '',
    kind: s.kind ?? 0,
    startTimeUnixNano: int64(s.startTimeUnixNano),
    endTimeUnixNano: int64(s.endTimeUnixNano),
    attributes: attributes(s.attributes),
    droppedAttributesCount: s.droppedAttributesCount ?? 0,
    events: (s.events ?? []).map((e) => ({ name: e.name ?? '', timeUnixNano: int64(e.timeUnixNano), attributes: attributes(e.attributes), droppedAttributesCount: e.droppedAttributesCount ?? 0 })),
    droppedEventsCount: s.droppedEventsCount ?? 0,
    links: (s.links ?? []).map(linkOf),
    droppedLinksCount: s.droppedLinksCount ?? 0,
    status,
    resource,
    scope,
  };
  const parent = hex(s.parentSpanId);
  if (parent) span.parentSpanId = parent;
  if (s.traceState) span.traceState = s.traceState;
  if (has(s, 'flags')) span.flags = s.flags;
  return span;
}

function spansOf(request: PbRequest): ReceivedSpan[] {
  const out: ReceivedSpan[] = [];
  for (const rs of request.resourceSpans ?? []) {
    const resource = attributes(rs.resource?.attributes);
    for (const ss of rs.scopeSpans ?? []) {
      // One object per ScopeSpans, shared by its spans.
      const scope: ReceivedScope = { name: ss.scope?.name ?? '', attributes: attributes(ss.scope?.attributes) };
      if (ss.scope?.version) scope.version = ss.scope.version;
      for (const s of ss.spans ?? []) out.push(spanOf(s, resource, scope));
    }
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// Decoders
// ---------------------------------------------------------------------------------------------

/** Decode a protobuf `ExportTraceServiceRequest` (uncompressed bytes). */
export function decodeOtlpProtobuf(body: Uint8Array): ReceivedSpan[] {
  let request: PbRequest;
  try {
    request = exportTraceServiceRequest().decode(body) as unknown as PbRequest;
  } catch (err) {
    throw new OtlpDecodeError(`not an ExportTraceServiceRequest: ${(err as Error).message}`);
  }
  return spansOf(request);
}

/** Decode an OTLP/JSON `ExportTraceServiceRequest` (text, UTF-8 bytes, or an already parsed object). */
export function decodeOtlpJson(body: string | Uint8Array | object): ReceivedSpan[] {
  let doc: unknown = body;
  if (typeof body === 'string' || body instanceof Uint8Array) {
    try {
      doc = JSON.parse(typeof body === 'string' ? body : Buffer.from(body).toString('utf8'));
    } catch (e) {
      throw new OtlpDecodeError(`invalid JSON: ${(e as Error).message}`);
    }
  }
  return spansOf(readJson(exportTraceServiceRequest(), doc, 'request') as PbRequest);
}

const isObj = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** OTLP/JSON sends these ids in hex, every other `bytes` field in base64. */
const ID_BYTES: Record<string, number> = { traceId: 16, spanId: 8, parentSpanId: 8 };

/** One message of OTLP/JSON, read against its definition; unknown fields are ignored. */
function readJson(type: protobuf.Type, v: unknown, where: string): Record<string, unknown> {
  if (!isObj(v)) throw new OtlpDecodeError(`${where}: ${type.name} must be a JSON object`);
  const out: Record<string, unknown> = {};
  for (const [key, raw] of Object.entries(v)) {
    const field = type.fields[key] ?? type.fields[protobuf.util.camelCase(key)];
    if (field === undefined || raw === null) continue;
    const w = `${where}.${field.name}`;
    if (!field.repeated) out[field.name] = jsonField(field, raw, w);
    else if (Array.isArray(raw)) out[field.name] = raw.map((x, i) => jsonField(field, x, `${w}[${i}]`));
    else throw new OtlpDecodeError(`${w}: expected an array`);
  }
  // Which member of each oneof is set, as protobufjs reports it for decoded messages.
  for (const oneof of type.oneofsArray) {
    const set = oneof.oneof.find((name) => has(out, name));
    if (set !== undefined) out[oneof.name] = set;
  }
  return out;
}

function jsonField(field: protobuf.Field, v: unknown, where: string): unknown {
  const t = field.resolvedType;
  if (t instanceof protobuf.Type) return readJson(t, v, where);
  if (t instanceof protobuf.Enum) {
    if (typeof v === 'number' && Number.isInteger(v)) return v;
    if (typeof v === 'string' && t.values[v] !== undefined) return t.values[v];
    throw new OtlpDecodeError(`${where}: unknown ${t.name} value ${JSON.stringify(v)}`);
  }
  switch (field.type) {
    case 'string':
      if (typeof v !== 'string') throw new OtlpDecodeError(`${where}: expected a string, got ${JSON.stringify(v)}`);
      return v;
    case 'bool':
      if (typeof v !== 'boolean') throw new OtlpDecodeError(`${where}: expected a boolean, got ${JSON.stringify(v)}`);
      return v;
    case 'bytes':
      return jsonBytes(v, ID_BYTES[field.name], where);
    case 'double':
    case 'float':
      return jsonDouble(v, where);
    case 'int64':
    case 'sint64':
    case 'sfixed64':
    case 'uint64':
    case 'fixed64':
      // Kept exact even beyond the int64 range, to show what an exporter put on the wire.
      if (typeof v === 'string' && /^-?\d+$/.test(v.trim())) return BigInt(v.trim());
      if (typeof v === 'number' && Number.isInteger(v)) return BigInt(v);
      throw new OtlpDecodeError(`${where}: expected an int64 as decimal string or integer, got ${JSON.stringify(v)}`);
    default: {
      const n = typeof v === 'string' && /^\d+$/.test(v) ? Number(v) : v;
      if (typeof n !== 'number' || !Number.isInteger(n)) throw new OtlpDecodeError(`${where}: expected an integer, got ${JSON.stringify(v)}`);
      return n;
    }
  }
}

/** An id in hex (OTLP/JSON) or base64 (proto3 JSON), told apart by its length; other bytes in base64. */
function jsonBytes(v: unknown, idLength: number | undefined, where: string): Uint8Array {
  if (typeof v !== 'string') throw new OtlpDecodeError(`${where}: expected a string, got ${JSON.stringify(v)}`);
  if (idLength === undefined) return Uint8Array.from(Buffer.from(v, 'base64'));
  if (v === '') return new Uint8Array(0);
  if (v.length === idLength * 2 && /^[0-9a-fA-F]+$/.test(v)) return Uint8Array.from(Buffer.from(v, 'hex'));
  if (/^[A-Za-z0-9+/_-]+={0,2}$/.test(v)) {
    const b = Buffer.from(v.replace(/-/g, '+').replace(/_/g, '/'), 'base64');
    if (b.length === idLength) return Uint8Array.from(b);
  }
  throw new OtlpDecodeError(`${where}: ${JSON.stringify(v)} is neither ${idLength * 2} hex digits nor base64 of ${idLength} bytes`);
}

function jsonDouble(v: unknown, where: string): number {
  if (typeof v === 'number') return v;
  if (v === 'NaN') return NaN;
  if (v === 'Infinity') return Infinity;
  if (v === '-Infinity') return -Infinity;
  if (typeof v === 'string' && v.trim() !== '' && !Number.isNaN(Number(v))) return Number(v);
  throw new OtlpDecodeError(`${where}: invalid double ${JSON.stringify(v)}`);
}
