/**
 * OTLP request bodies (protobuf or JSON, per the configured protocol) and their spool form: one
 * line per request, `p|j <span count> <base64 body>`. A spool file holds exactly one request,
 * so a replayed file is sent, and then deleted, as a whole: never half of it twice.
 */
import type { ReadableSpan } from '@opentelemetry/sdk-trace-base';
import type { OtlpConfig } from '../../config/telemetry-config';

export const OTLP_SPOOL_HEADER = '#agentops-otlp-spool v1\n';

export const CONTENT_TYPES = { p: 'application/x-protobuf', j: 'application/json' } as const;
export type BodyKind = keyof typeof CONTENT_TYPES;

type Serializer = {
  serializeRequest(spans: ReadableSpan[]): Uint8Array | undefined;
  deserializeResponse(body: Uint8Array): { partialSuccess?: { rejectedSpans?: number | string | { toNumber(): number }; errorMessage?: string } };
};

export class OtlpCodec {
  readonly kind: BodyKind;
  private readonly serializer: Serializer;

  constructor(protocol: OtlpConfig['protocol']) {
    const t = require('@opentelemetry/otlp-transformer') as typeof import('@opentelemetry/otlp-transformer');
    this.kind = protocol === 'http/json' ? 'j' : 'p';
    this.serializer = this.kind === 'j' ? t.JsonTraceSerializer : t.ProtobufTraceSerializer;
  }

  get contentType(): string {
    return CONTENT_TYPES[this.kind];
  }

  encode(spans: ReadableSpan[]): Uint8Array {
    const body = this.serializer.serializeRequest(spans);
    if (body === undefined) throw new Error('OTLP serializer returned nothing');
    return body;
  }

  /** Partial success of an ExportTraceServiceResponse; throws when the body is not one. */
  readResponse(body: Uint8Array): { rejectedSpans: number; message?: string } {
    if (this.kind === 'j') {
      // The JSON deserializer swallows parse errors; a 2xx with garbage should still be noticed.
      const parsed = JSON.parse(Buffer.from(body).toString('utf8')) as { partialSuccess?: { rejectedSpans?: unknown; errorMessage?: string } } | null;
      if (parsed === null || typeof parsed !== 'object') throw new Error('the body is not a JSON object');
      return { rejectedSpans: Number(parsed.partialSuccess?.rejectedSpans ?? 0) || 0, message: parsed.partialSuccess?.errorMessage || undefined };
    }
    const r = this.serializer.deserializeResponse(body);
    const rejected = r.partialSuccess?.rejectedSpans;
    const n = typeof rejected === 'object' && rejected !== null ? rejected.toNumber() : Number(rejected ?? 0);
    return { rejectedSpans: Number.isFinite(n) ? n : 0, message: r.partialSuccess?.errorMessage || undefined };
  }
}

export function toSpoolLine(kind: BodyKind, count: number, body: Uint8Array): string {
  return `${kind} ${count} ${Buffer.from(body.buffer, body.byteOffset, body.byteLength).toString('base64')}\n`;
}

export function fromSpoolLine(line: string): { kind: BodyKind; count: number; body: Buffer } | null {
  const m = /^([pj]) (\d+) ([A-Za-z0-9+/=]*)\n?$/.exec(line);
  if (m === null) return null;
  return { kind: m[1] as BodyKind, count: Number(m[2]), body: Buffer.from(m[3], 'base64') };
}

/** Approximate heap bytes of a span held in memory, for the byte bound. Strings count twice (UTF-16). */
export function spanCost(span: ReadableSpan): number {
  let n = 400 + span.name.length * 2;
  n += attributesCost(span.attributes);
  for (const e of span.events) n += 64 + e.name.length * 2 + attributesCost(e.attributes);
  return n;
}

function attributesCost(attrs: Record<string, unknown> | undefined): number {
  if (attrs === undefined) return 0;
  let n = 0;
  for (const k in attrs) {
    const v = attrs[k];
    n += 32 + k.length * 2;
    if (typeof v === 'string') n += v.length * 2;
    else if (Array.isArray(v)) for (const x of v) n += typeof x === 'string' ? 16 + x.length * 2 : 16;
    else n += 16;
  }
  return n;
}
