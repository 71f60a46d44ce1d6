/**
 * A tracer provider whose spans go through a real OTLP trace exporter (protobuf or JSON) to the
 * loopback receiver, and are also kept in memory, so that tests compare what the SDK recorded
 * with what the receiver decoded. Register `afterEach(closeHarnesses)` where `setup()` is used.
 */
import * as assert from 'node:assert/strict';
import { context, SpanKind, SpanStatusCode, trace } from '@opentelemetry/api';
import type { HrTime, Link } from '@opentelemetry/api';
import { TraceState } from '@opentelemetry/core';
import type { ExportResult } from '@opentelemetry/core';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { BasicTracerProvider, InMemorySpanExporter, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base';
import type { ReadableSpan, SpanExporter } from '@opentelemetry/sdk-trace-base';
import { OTLPTraceExporter as ProtoExporter } from '@opentelemetry/exporter-trace-otlp-proto';
import { OTLPTraceExporter as JsonExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { startOtlpReceiver } from './otlp-receiver';
import type { OtlpReceiver, OtlpReceiverOptions, ReceivedSpan } from './otlp-receiver';

export type Format = 'protobuf' | 'json';
export type ExporterConfig = NonNullable<ConstructorParameters<typeof ProtoExporter>[0]>;
// CompressionAlgorithm is an enum of otlp-exporter-base (not a direct dependency); its value is 'gzip'.
export const GZIP = 'gzip' as unknown as ExporterConfig['compression'];

/** Delegates to a real exporter and records every ExportResult. */
export class RecordingExporter implements SpanExporter {
  readonly results: ExportResult[] = [];
  constructor(private readonly inner: SpanExporter) {}
  export(spans: ReadableSpan[], cb: (r: ExportResult) => void): void {
    this.inner.export(spans, (r) => {
      this.results.push(r);
      cb(r);
    });
  }
  shutdown(): Promise<void> {
    return this.inner.shutdown();
  }
  forceFlush(): Promise<void> {
    return this.inner.forceFlush ? this.inner.forceFlush() : Promise.resolve();
  }
}

export interface Harness {
  receiver: OtlpReceiver;
  provider: BasicTracerProvider;
  recorder: RecordingExporter;
  memory: InMemorySpanExporter;
  tracer: ReturnType<BasicTracerProvider['getTracer']>;
}

const open: Harness[] = [];

export async function setup(format: Format, receiverOptions: OtlpReceiverOptions = {}, exporterConfig: Partial<ExporterConfig> = {}): Promise<Harness> {
  const receiver = await startOtlpReceiver(receiverOptions);
  const cfg: ExporterConfig = { url: receiver.url, timeoutMillis: 10_000, ...exporterConfig };
  const exporter = format === 'protobuf' ? new ProtoExporter(cfg) : new JsonExporter(cfg);
  const recorder = new RecordingExporter(exporter);
  const memory = new InMemorySpanExporter();
  const provider = new BasicTracerProvider({
    resource: resourceFromAttributes({
      'service.name': 'otlp-receiver-test',
      'deployment.environment': 'tést',
      'res.int': 12,
      'res.bool': true,
    }),
    spanProcessors: [new SimpleSpanProcessor(recorder), new SimpleSpanProcessor(memory)],
  });
  const h: Harness = { receiver, provider, recorder, memory, tracer: provider.getTracer('agentops-otel/test-scope', '1.2.3') };
  open.push(h);
  return h;
}

/**
 * When an export failed, BasicTracerProvider.forceFlush() REJECTS with an array holding one entry per
 * span processor that failed (here only the OTLP one; the in-memory processor succeeds).
 */
export async function flushExpectingFailure(h: Harness): Promise<unknown> {
  let rejection: unknown;
  await h.provider.forceFlush().then(
    () => assert.fail('forceFlush resolved although the export failed'),
    (e: unknown) => {
      rejection = e;
    },
  );
  assert.ok(Array.isArray(rejection), `forceFlush rejected with an array, got ${String(rejection)}`);
  assert.equal(rejection.length, 1);
  return rejection[0];
}

/** Closes every harness set up since the last call. */
export async function closeHarnesses(): Promise<void> {
  for (const h of open.splice(0)) {
    await h.receiver.close(); // first: unblocks exporters stuck on a hanging receiver
    await h.provider.shutdown().catch(() => undefined);
  }
}

export const nanos = (t: HrTime): bigint => BigInt(t[0]) * 1_000_000_000n + BigInt(t[1]);

export const T_START: HrTime = [1_700_000_000, 123_456_789];
const T_EVENT1: HrTime = [1_700_000_000, 500_000_001];
const T_EVENT2: HrTime = [1_700_000_001, 0];
// > 2^32 seconds: exercises the high 32 bits of the fixed64 (and the exporter's split arithmetic).
export const T_END: HrTime = [5_000_000_000, 999_999_999];
export const T_CHILD_START: HrTime = [1_700_000_000, 200_000_000];
const T_CHILD_END: HrTime = [1_700_000_000, 300_000_007];

export const LINK_TRACE = '0af7651916cd43dd8448eb211c80319c';
export const LINK_SPAN = 'b7ad6b7169203331';

const ATTRS = {
  str: 'hello',
  'str.unicode': 'héllo wörld ✓ 日本語 🚀',
  'str.empty': '',
  'bool.t': true,
  'bool.f': false,
  'int.zero': 0,
  'int.small': 42,
  'int.neg': -7,
  'int.2^31': 2 ** 31,
  'int.big': 2 ** 40 + 3,
  'int.negbig': -(2 ** 40 + 5),
  'int.maxsafe': Number.MAX_SAFE_INTEGER,
  'int.minsafe': Number.MIN_SAFE_INTEGER,
  'int.2^62': 2 ** 62,
  dbl: 3.14159,
  'dbl.neg': -0.5,
  'dbl.tiny': 5e-324,
  'dbl.whole': 2.0,
  'arr.str': ['a', 'ü', ''],
  'arr.int': [1, -2, 2 ** 33],
  'arr.dbl': [1.5, -2.25],
  'arr.num': [1, 1.5],
  'arr.bool': [true, false],
  'arr.empty': [] as string[],
  'arr.holes': ['a', null, 'b'],
  'dbl.nan': NaN,
  'dbl.inf': Infinity,
  'int.1e20': 1e20,
};

/** What both formats deliver identically. int64 → bigint, double → number. */
const EXPECTED_COMMON: Record<string, unknown> = {
  str: 'hello',
  'str.unicode': 'héllo wörld ✓ 日本語 🚀',
  'str.empty': '',
  'bool.t': true,
  'bool.f': false,
  'int.zero': 0n,
  'int.small': 42n,
  'int.neg': -7n,
  'int.2^31': 2147483648n,
  'int.big': 1099511627779n,
  'int.negbig': -1099511627781n,
  'int.maxsafe': 9007199254740991n,
  'int.minsafe': -9007199254740991n,
  'int.2^62': 4611686018427387904n,
  dbl: 3.14159,
  'dbl.neg': -0.5,
  'dbl.tiny': 5e-324,
  // Surprise: both exporters pick int vs double per value with Number.isInteger, so 2.0 is an int.
  'dbl.whole': 2n,
  'arr.str': ['a', 'ü', ''],
  'arr.int': [1n, -2n, 8589934592n],
  'arr.dbl': [1.5, -2.25],
  // ...and per ELEMENT: a homogeneous JS number[] becomes a mixed int/double OTLP array.
  'arr.num': [1n, 1.5],
  'arr.bool': [true, false],
  'arr.empty': [],
  // null array elements are sent as an empty AnyValue.
  'arr.holes': ['a', null, 'b'],
};

export function recordRichTrace(h: Harness): void {
  const link: Link = {
    context: { traceId: LINK_TRACE, spanId: LINK_SPAN, traceFlags: 1, isRemote: true, traceState: new TraceState('vendor=abc,other=1') },
    attributes: { 'link.why': 'follows-from', 'link.n': -3 },
  };
  const root = h.tracer.startSpan('root op', { kind: SpanKind.SERVER, startTime: T_START, attributes: ATTRS, links: [link] });
  root.addEvent('evt.one', { 'e.str': 'x', 'e.int': -1, 'e.arr': [true] }, T_EVENT1);
  root.addEvent('evt.two', undefined, T_EVENT2);
  const child = h.tracer.startSpan('child op', { kind: SpanKind.CLIENT, startTime: T_CHILD_START }, trace.setSpan(context.active(), root));
  child.setStatus({ code: SpanStatusCode.OK });
  child.end(T_CHILD_END);
  root.setStatus({ code: SpanStatusCode.ERROR, message: 'boom – ünïcode' });
  root.end(T_END);
}

export function byName(spans: ReceivedSpan[], name: string): ReceivedSpan {
  const found = spans.filter((s) => s.name === name);
  assert.equal(found.length, 1, `exactly one span named ${name}; got ${spans.map((s) => s.name).join(',')}`);
  return found[0]!;
}

export function memByName(h: Harness, name: string): ReadableSpan {
  const s = h.memory.getFinishedSpans().find((x) => x.name === name);
  assert.ok(s, `in-memory span ${name}`);
  return s;
}

export function expectedAttrs(format: Format): Record<string, unknown> {
  return format === 'protobuf'
    ? {
        ...EXPECTED_COMMON,
        'dbl.nan': NaN,
        'dbl.inf': Infinity,
        // Out of int64 range: the protobuf writer falls back to double_value.
        'int.1e20': 1e20,
      }
    : {
        ...EXPECTED_COMMON,
        // JSON.stringify turns NaN / Infinity into null: the value is lost on the wire.
        'dbl.nan': null,
        'dbl.inf': null,
        // The JSON exporter sends it as intValue 100000000000000000000 (out of int64 range!).
        'int.1e20': 100000000000000000000n,
      };
}
