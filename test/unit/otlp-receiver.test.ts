import * as assert from 'node:assert/strict';
import * as http from 'node:http';
import { context, diag, DiagLogLevel, SpanKind, SpanStatusCode, trace } from '@opentelemetry/api';
import type { DiagLogger, HrTime, Link } from '@opentelemetry/api';
import { ExportResultCode, TraceState } from '@opentelemetry/core';
import type { ExportResult } from '@opentelemetry/core';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { BasicTracerProvider, InMemorySpanExporter, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base';
import type { ReadableSpan, SpanExporter } from '@opentelemetry/sdk-trace-base';
import { OTLPTraceExporter as ProtoExporter } from '@opentelemetry/exporter-trace-otlp-proto';
import { OTLPTraceExporter as JsonExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { attr, decodeOtlpJson, decodeOtlpProtobuf, OtlpDecodeError, startOtlpReceiver, treeOf } from '../helpers/otlp-receiver';
import type { OtlpReceiver, OtlpReceiverOptions, ReceivedSpan } from '../helpers/otlp-receiver';

type Format = 'protobuf' | 'json';
type ExporterConfig = NonNullable<ConstructorParameters<typeof ProtoExporter>[0]>;
// CompressionAlgorithm is an enum of otlp-exporter-base (not a direct dependency); its value is 'gzip'.
const GZIP = 'gzip' as unknown as ExporterConfig['compression'];

/** Delegates to a real exporter and records every ExportResult. */
class RecordingExporter implements SpanExporter {
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

interface Harness {
  receiver: OtlpReceiver;
  provider: BasicTracerProvider;
  recorder: RecordingExporter;
  memory: InMemorySpanExporter;
  tracer: ReturnType<BasicTracerProvider['getTracer']>;
}

const open: Harness[] = [];

async function setup(format: Format, receiverOptions: OtlpReceiverOptions = {}, exporterConfig: Partial<ExporterConfig> = {}): Promise<Harness> {
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
async function flushExpectingFailure(h: Harness): Promise<unknown> {
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

afterEach(async () => {
  for (const h of open.splice(0)) {
    await h.receiver.close(); // first: unblocks exporters stuck on a hanging receiver
    await h.provider.shutdown().catch(() => undefined);
  }
});

const nanos = (t: HrTime): bigint => BigInt(t[0]) * 1_000_000_000n + BigInt(t[1]);

const T_START: HrTime = [1_700_000_000, 123_456_789];
const T_EVENT1: HrTime = [1_700_000_000, 500_000_001];
const T_EVENT2: HrTime = [1_700_000_001, 0];
// > 2^32 seconds: exercises the high 32 bits of the fixed64 (and the exporter's split arithmetic).
const T_END: HrTime = [5_000_000_000, 999_999_999];
const T_CHILD_START: HrTime = [1_700_000_000, 200_000_000];
const T_CHILD_END: HrTime = [1_700_000_000, 300_000_007];

const LINK_TRACE = '0af7651916cd43dd8448eb211c80319c';
const LINK_SPAN = 'b7ad6b7169203331';

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

function recordRichTrace(h: Harness): void {
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

function byName(spans: ReceivedSpan[], name: string): ReceivedSpan {
  const found = spans.filter((s) => s.name === name);
  assert.equal(found.length, 1, `exactly one span named ${name}; got ${spans.map((s) => s.name).join(',')}`);
  return found[0]!;
}

function memByName(h: Harness, name: string): ReadableSpan {
  const s = h.memory.getFinishedSpans().find((x) => x.name === name);
  assert.ok(s, `in-memory span ${name}`);
  return s;
}

function expectedAttrs(format: Format): Record<string, unknown> {
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

for (const format of ['protobuf', 'json'] as const) {
  describe(`otlp-receiver with the real ${format} OTLPTraceExporter`, () => {
    it('decodes every field of a span tree exactly as the SDK recorded it', async () => {
      const h = await setup(format);
      recordRichTrace(h);
      await h.provider.forceFlush();
      const spans = await h.receiver.waitForSpans(2, 5000);
      assert.equal(spans.length, 2);
      assert.deepEqual(
        h.recorder.results.map((r) => r.code),
        [ExportResultCode.SUCCESS, ExportResultCode.SUCCESS],
      );

      const root = byName(spans, 'root op');
      const child = byName(spans, 'child op');
      const memRoot = memByName(h, 'root op');
      const memChild = memByName(h, 'child op');

      // ids / hierarchy
      assert.match(root.traceId, /^[0-9a-f]{32}$/);
      assert.match(root.spanId, /^[0-9a-f]{16}$/);
      assert.equal(root.traceId, memRoot.spanContext().traceId);
      assert.equal(root.spanId, memRoot.spanContext().spanId);
      assert.equal(child.spanId, memChild.spanContext().spanId);
      assert.equal(child.traceId, root.traceId);
      assert.equal(child.parentSpanId, root.spanId);
      assert.equal(root.parentSpanId, undefined);
      assert.ok(!('parentSpanId' in root), 'root span carries no parentSpanId key');
      // flags: sampled (0x01) | HAS_IS_REMOTE (0x100); parent not remote.
      assert.equal(root.flags, 0x101);
      assert.equal(child.flags, 0x101);

      // kind / status (OTLP numbering: api SpanKind + 1)
      assert.equal(root.kind, 2);
      assert.equal(child.kind, 3);
      assert.deepEqual(root.status, { code: 2, message: 'boom – ünïcode' });
      assert.deepEqual(child.status, { code: 1 });

      // exact nanosecond times
      assert.equal(root.startTimeUnixNano, nanos(T_START));
      assert.equal(root.startTimeUnixNano, 1_700_000_000_123_456_789n);
      assert.equal(root.endTimeUnixNano, 5_000_000_000_999_999_999n);
      assert.equal(child.startTimeUnixNano, nanos(T_CHILD_START));
      assert.equal(child.endTimeUnixNano, 1_700_000_000_300_000_007n);

      // attributes (every AnyValue type the SDK can produce)
      assert.deepEqual(root.attributes, expectedAttrs(format));
      assert.equal(attr(root, 'int.big'), 1099511627779n);
      assert.equal(attr(root, 'missing'), undefined);
      assert.deepEqual(child.attributes, {});
      assert.equal(root.droppedAttributesCount, 0);

      // events
      assert.deepEqual(root.events, [
        { name: 'evt.one', timeUnixNano: 1_700_000_000_500_000_001n, attributes: { 'e.str': 'x', 'e.int': -1n, 'e.arr': [true] }, droppedAttributesCount: 0 },
        { name: 'evt.two', timeUnixNano: 1_700_000_001_000_000_000n, attributes: {}, droppedAttributesCount: 0 },
      ]);
      assert.deepEqual(child.events, []);

      // links
      assert.deepEqual(root.links, [
        {
          traceId: LINK_TRACE,
          spanId: LINK_SPAN,
          traceState: 'vendor=abc,other=1',
          flags: 0x301, // sampled | HAS_IS_REMOTE | IS_REMOTE
          attributes: { 'link.why': 'follows-from', 'link.n': -3n },
          droppedAttributesCount: 0,
        },
      ]);

      // resource + scope
      assert.deepEqual(root.resource, {
        ...root.resource,
        'service.name': 'otlp-receiver-test',
        'deployment.environment': 'tést',
        'res.int': 12n,
        'res.bool': true,
      });
      assert.equal(root.resource['service.name'], 'otlp-receiver-test');
      assert.equal(root.scope.name, 'agentops-otel/test-scope');
      assert.equal(root.scope.version, '1.2.3');

      // one request per span (SimpleSpanProcessor), proper content type, uncompressed
      assert.equal(h.receiver.requests.length, 2);
      for (const r of h.receiver.requests) {
        assert.equal(r.contentType, format === 'protobuf' ? 'application/x-protobuf' : 'application/json');
        assert.equal(r.encoding, 'identity');
        assert.equal(r.spanCount, 1);
        assert.equal(r.response, 200);
        assert.match(String(r.headers['user-agent']), /^OTel-OTLP-Exporter-JavaScript\//);
      }
    });

    it('decompresses gzip bodies (compression: gzip)', async () => {
      const h = await setup(format, {}, { compression: GZIP });
      recordRichTrace(h);
      await h.provider.forceFlush();
      const spans = await h.receiver.waitForSpans(2, 5000);
      for (const r of h.receiver.requests) {
        assert.equal(r.encoding, 'gzip');
        assert.deepEqual([...r.rawBody.subarray(0, 2)], [0x1f, 0x8b], 'raw body is a gzip stream');
        assert.notDeepEqual(r.rawBody, r.body);
      }
      const root = byName(spans, 'root op');
      assert.deepEqual(root.attributes, expectedAttrs(format));
      assert.equal(root.endTimeUnixNano, 5_000_000_000_999_999_999n);
      assert.equal(byName(spans, 'child op').parentSpanId, root.spanId);
    });

    it('503 + Retry-After: 0 twice: the exporter retries and the span is accepted once', async () => {
      const h = await setup(format, { script: [{ respond: { status: 503, headers: { 'Retry-After': '0' } }, times: 2 }] });
      h.tracer.startSpan('retried').end();
      await h.provider.forceFlush();
      assert.deepEqual(
        h.recorder.results.map((r) => r.code),
        [ExportResultCode.SUCCESS],
      );
      assert.deepEqual(
        h.receiver.requests.map((r) => r.response),
        [503, 503, 200],
      );
      assert.deepEqual(
        h.receiver.requests.map((r) => r.accepted),
        [false, false, true],
      );
      // every attempt carried the same span
      const ids = new Set(h.receiver.requests.flatMap((r) => r.decoded.map((s) => s.spanId)));
      assert.equal(ids.size, 1);
      assert.equal(h.receiver.spans.length, 1);
      assert.equal(h.receiver.spans[0]!.name, 'retried');
    });

    it('garbage 200 response: export still counts as success, and the exporter warns', async () => {
      const warnings: string[] = [];
      const logger: DiagLogger = {
        error: () => undefined,
        warn: (...args: unknown[]) => void warnings.push(args.map(String).join(' ')),
        info: () => undefined,
        debug: () => undefined,
        verbose: () => undefined,
      };
      diag.setLogger(logger, DiagLogLevel.WARN);
      try {
        const h = await setup(format, { respond: 'garbage' });
        h.tracer.startSpan('garbage').end();
        await h.provider.forceFlush();
        assert.deepEqual(
          h.recorder.results.map((r) => r.code),
          [ExportResultCode.SUCCESS],
        );
        assert.equal(h.receiver.spans.length, 1);
        assert.equal(h.receiver.requests.length, 1, 'no retry');
        const expected = format === 'protobuf' ? /could not deserialize response/ : /Failed to parse trace export response/;
        assert.ok(
          warnings.some((w) => expected.test(w)),
          `warnings: ${JSON.stringify(warnings)}`,
        );
      } finally {
        diag.disable();
      }
    });
  });
}

describe('otlp-receiver: what the JS exporters actually put on the wire', () => {
  it('JSON exporter: hex ids, int64 timestamps as strings, intValue as JSON numbers, numeric enums', async () => {
    const h = await setup('json');
    const root = h.tracer.startSpan('wire', { kind: SpanKind.PRODUCER, startTime: T_START, attributes: { n: 2 ** 40 + 3, neg: -7 } });
    h.tracer.startSpan('kid', {}, trace.setSpan(context.active(), root)).end();
    root.end(T_END);
    await h.provider.forceFlush();
    await h.receiver.waitForSpans(2);
    const doc = JSON.parse(h.receiver.requests[1]!.body.toString('utf8'));
    const kidDoc = JSON.parse(h.receiver.requests[0]!.body.toString('utf8'));
    const span = doc.resourceSpans[0].scopeSpans[0].spans[0];
    assert.equal(span.name, 'wire');
    assert.match(span.traceId, /^[0-9a-f]{32}$/, 'traceId is lowercase hex, not base64');
    assert.match(span.spanId, /^[0-9a-f]{16}$/);
    assert.equal(span.startTimeUnixNano, '1700000000123456789', 'timestamps are decimal strings');
    assert.equal(span.endTimeUnixNano, '5000000000999999999');
    assert.equal(span.kind, 4, 'PRODUCER: api SpanKind 3 + 1');
    assert.deepEqual(span.attributes, [
      { key: 'n', value: { intValue: 1099511627779 } }, // JSON number, not string
      { key: 'neg', value: { intValue: -7 } },
    ]);
    assert.equal(span.parentSpanId, undefined, 'root: parentSpanId omitted');
    assert.equal(kidDoc.resourceSpans[0].scopeSpans[0].spans[0].parentSpanId, span.spanId, 'parentSpanId hex too');
    assert.deepEqual(span.status, { code: 0 });
  });

  it('protobuf exporter: root span has no parent_span_id field on the wire (field 4 absent)', async () => {
    const h = await setup('protobuf');
    h.tracer.startSpan('lonely').end();
    await h.provider.forceFlush();
    await h.receiver.waitForSpans(1);
    const s = h.receiver.spans[0]!;
    assert.ok(!('parentSpanId' in s));
    // The 8 bytes of the span id appear once (span_id); no parent id bytes alongside.
    const body = h.receiver.requests[0]!.body;
    assert.equal(body.indexOf(Buffer.from(s.spanId, 'hex')), body.lastIndexOf(Buffer.from(s.spanId, 'hex')));
  });
});

describe('otlp-receiver: fault modes against the real protobuf exporter', () => {
  for (const status of [429, 502, 504]) {
    it(`${status} is retried too`, async () => {
      const h = await setup('protobuf', { script: [{ respond: { status, headers: { 'Retry-After': '0' } } }] });
      h.tracer.startSpan(`s${status}`).end();
      await h.provider.forceFlush();
      assert.deepEqual(
        h.receiver.requests.map((r) => r.response),
        [status, 200],
      );
      assert.equal(h.receiver.spans.length, 1);
      assert.equal(h.recorder.results[0]!.code, ExportResultCode.SUCCESS);
    });
  }

  it('honours Retry-After seconds before retrying', async () => {
    const h = await setup('protobuf', { script: [{ respond: { status: 503, headers: { 'Retry-After': '1' } } }] });
    h.tracer.startSpan('later').end();
    await h.provider.forceFlush();
    const [first, second] = h.receiver.requests;
    assert.ok(first && second, 'two attempts');
    const gap = second.receivedAt - first.receivedAt;
    assert.ok(gap >= 900, `retry came after ${gap}ms, expected ~1000ms`);
    assert.equal(h.receiver.spans.length, 1);
  });

  it('503 forever: gives up after 1 + 5 retries and reports FAILED; nothing accepted', async function () {
    this.timeout(20_000);
    const h = await setup('protobuf', { respond: { status: 503, headers: { 'Retry-After': '0' } } });
    h.tracer.startSpan('doomed').end();
    const flushError = await flushExpectingFailure(h);
    assert.match(String(flushError), /Export failed with retryable status/);
    assert.equal(h.recorder.results.length, 1);
    assert.equal(h.recorder.results[0]!.code, ExportResultCode.FAILED);
    // A fixed wait on purpose: it shows that no seventh attempt follows.
    await new Promise((r) => setTimeout(r, 200));
    assert.equal(h.receiver.requests.length, 6);
    assert.ok(h.receiver.requests.every((r) => r.response === 503 && r.spanCount === 1));
    assert.equal(h.receiver.spans.length, 0);
  });

  for (const status of [500, 400]) {
    it(`${status} is not retried: one request, FAILED with the status code`, async () => {
      const h = await setup('protobuf', { script: [{ respond: { status, body: 'nope' } }] });
      h.tracer.startSpan('rejected').end();
      const flushError = await flushExpectingFailure(h);
      const r = h.recorder.results[0]!;
      assert.equal(r.code, ExportResultCode.FAILED);
      assert.equal((r.error as { code?: number }).code, status);
      assert.equal(flushError, r.error, 'the rejection carries the exporter error');
      // A fixed wait on purpose: it shows that no retry follows.
      await new Promise((res) => setTimeout(res, 200));
      assert.equal(h.receiver.requests.length, 1);
      assert.equal(h.receiver.spans.length, 0);
      assert.equal(h.receiver.requests[0]!.spanCount, 1, 'the refused request did carry the span');
    });
  }

  it('hang: the exporter times out (timeoutMillis) and reports FAILED; nothing accepted', async () => {
    const h = await setup('protobuf', { respond: 'hang' }, { timeoutMillis: 300 });
    const t0 = Date.now();
    h.tracer.startSpan('stuck').end();
    await flushExpectingFailure(h);
    const elapsed = Date.now() - t0;
    const r = h.recorder.results[0]!;
    assert.equal(r.code, ExportResultCode.FAILED);
    assert.match(String(r.error?.message), /timed out/i);
    assert.ok(elapsed >= 250 && elapsed < 3000, `elapsed ${elapsed}ms`);
    // backoff (~1s) exceeds what is left of the 300ms deadline: no retry
    assert.equal(h.receiver.requests.length, 1);
    assert.equal(h.receiver.requests[0]!.response, 'hang');
    assert.equal(h.receiver.spans.length, 0);
  });

  it('connection reset: retried (backoff ~1s) and then accepted once', async () => {
    const h = await setup('protobuf', { script: [{ respond: 'reset' }] });
    h.tracer.startSpan('reset-then-ok').end();
    await h.provider.forceFlush();
    assert.equal(h.recorder.results[0]!.code, ExportResultCode.SUCCESS);
    assert.deepEqual(
      h.receiver.requests.map((r) => r.response),
      ['reset', 200],
    );
    assert.equal(h.receiver.spans.length, 1);
  });
});

describe('otlp-receiver: treeOf', () => {
  it('builds the parent/child structure by span id', async () => {
    const h = await setup('protobuf');
    const t = (ns: number): HrTime => [1_700_000_000, ns];
    const root = h.tracer.startSpan('root', { startTime: t(0) });
    const rc = trace.setSpan(context.active(), root);
    const a = h.tracer.startSpan('a', { startTime: t(10) }, rc);
    const a1 = h.tracer.startSpan('a1', { startTime: t(11) }, trace.setSpan(context.active(), a));
    const b = h.tracer.startSpan('b', { startTime: t(20) }, rc);
    const remoteParent = trace.setSpanContext(context.active(), {
      traceId: LINK_TRACE,
      spanId: '1111111111111111',
      traceFlags: 1,
      isRemote: true,
    });
    const orphan = h.tracer.startSpan('orphan', { startTime: t(30) }, remoteParent);
    // end in an order unrelated to the hierarchy
    for (const s of [b, a1, orphan, root, a]) s.end(t(100));
    await h.provider.forceFlush();
    const spans = await h.receiver.waitForSpans(5);
    const tree = treeOf(spans);
    const id = (n: string): string => byName(spans, n).spanId;
    assert.deepEqual(
      tree.roots.map((n) => n.span.name),
      ['root', 'orphan'],
    );
    assert.deepEqual(
      tree.orphans.map((n) => n.span.name),
      ['orphan'],
    );
    assert.equal(byName(spans, 'orphan').parentSpanId, '1111111111111111');
    assert.equal(byName(spans, 'orphan').flags, 0x301, 'remote parent sets IS_REMOTE');
    assert.equal(byName(spans, 'orphan').traceId, LINK_TRACE);
    assert.deepEqual(tree.childrenOf(id('root')), [id('a'), id('b')]);
    assert.deepEqual(tree.childrenOf(id('a')), [id('a1')]);
    assert.deepEqual(tree.childrenOf(id('b')), []);
    assert.deepEqual(tree.pathTo(id('a1')), [id('root'), id('a'), id('a1')]);
    assert.equal(tree.byId.get(id('a1'))!.parent!.span.name, 'a');
    assert.equal(tree.render(), 'root\n  a\n    a1\n  b\norphan');
  });
});

// ---------------------------------------------------------------------------------------------
// Decoder tests on hand-built bytes (independent of the exporters' own serializer): edge cases
// of the wire format through protobufjs and the official definitions, and our normalisation
// ---------------------------------------------------------------------------------------------

const pb = {
  varint(n: bigint | number): number[] {
    let v = BigInt.asUintN(64, BigInt(n));
    const out: number[] = [];
    do {
      let b = Number(v & 0x7fn);
      v >>= 7n;
      if (v) b |= 0x80;
      out.push(b);
    } while (v);
    return out;
  },
  tag: (f: number, wt: number): number[] => pb.varint((f << 3) | wt),
  len: (f: number, body: number[]): number[] => [...pb.tag(f, 2), ...pb.varint(body.length), ...body],
  str: (f: number, s: string): number[] => pb.len(f, [...Buffer.from(s, 'utf8')]),
  bytes: (f: number, hex: string): number[] => pb.len(f, [...Buffer.from(hex, 'hex')]),
  vint: (f: number, n: bigint | number): number[] => [...pb.tag(f, 0), ...pb.varint(n)],
  fixed64: (f: number, n: bigint): number[] => {
    const b = Buffer.alloc(8);
    b.writeBigUInt64LE(n);
    return [...pb.tag(f, 1), ...b];
  },
  double: (f: number, x: number): number[] => {
    const b = Buffer.alloc(8);
    b.writeDoubleLE(x);
    return [...pb.tag(f, 1), ...b];
  },
  fixed32: (f: number, n: number): number[] => {
    const b = Buffer.alloc(4);
    b.writeUInt32LE(n);
    return [...pb.tag(f, 5), ...b];
  },
  kv: (f: number, key: string, anyValue: number[]): number[] => pb.len(f, [...pb.str(1, key), ...pb.len(2, anyValue)]),
  /** Unknown fields of every wire type, including a (deprecated) group. */
  junk: (): number[] => [
    ...pb.vint(900, -1),
    ...pb.fixed64(901, 0xdeadbeefn),
    ...pb.fixed32(902, 7),
    ...pb.str(903, 'ignored'),
    ...pb.tag(904, 3),
    ...pb.vint(1, 5),
    ...pb.str(2, 'inside group'),
    ...pb.tag(904, 4),
  ],
};

const TRACE = '5b8efff798038103d269b633813fc60c';
const SPAN = 'eee19b7ec3c1b174';
const PARENT = 'eee19b7ec3c1b173';

function handBuiltResourceSpans(): number[] {
  const any = pb;
  const span = [
    ...pb.junk(),
    ...pb.bytes(1, TRACE),
    ...pb.bytes(2, SPAN),
    ...pb.str(3, 'k=v'),
    ...pb.bytes(4, PARENT),
    ...pb.str(5, 'hand built'),
    ...pb.vint(6, 4),
    ...pb.fixed64(7, 18_446_744_073_709_551_615n), // max uint64
    ...pb.fixed64(8, 1n),
    ...pb.kv(9, 'min', any.vint(3, -(2n ** 63n))),
    ...pb.kv(9, 'max', any.vint(3, 2n ** 63n - 1n)),
    ...pb.kv(9, 'minus1', any.vint(3, -1)),
    ...pb.kv(9, 'bytes', any.bytes(7, '00ff10')),
    ...pb.kv(9, 'empty', []),
    ...pb.kv(9, 'dbl', any.double(4, -1.25)),
    ...pb.kv(9, 'bool0', any.vint(2, 0)),
    ...pb.kv(9, 'kv', any.len(6, [...pb.kv(1, 'inner', any.str(1, 'x')), ...pb.kv(1, 'list', any.len(5, [...pb.len(1, pb.vint(3, 1)), ...pb.len(1, pb.junk()), ...pb.len(1, pb.str(1, 'y'))]))])),
    ...pb.kv(9, 'junky', [...pb.junk(), ...pb.str(1, 'ok'), ...pb.junk()]),
    ...pb.vint(10, 3),
    ...pb.len(11, [...pb.junk(), ...pb.fixed64(1, 42n), ...pb.str(2, 'e'), ...pb.kv(3, 'a', pb.str(1, 'b')), ...pb.vint(4, 1)]),
    ...pb.vint(12, 2),
    ...pb.len(13, [...pb.bytes(1, TRACE), ...pb.bytes(2, PARENT), ...pb.str(3, 'l=1'), ...pb.kv(4, 'x', pb.vint(2, 1)), ...pb.vint(5, 9), ...pb.fixed32(6, 0x301), ...pb.junk()]),
    ...pb.vint(14, 1),
    ...pb.len(15, [...pb.str(2, 'msg'), ...pb.junk(), ...pb.vint(3, 2)]),
    ...pb.fixed32(16, 0x101),
  ];
  const scope = [...pb.str(1, 'scope'), ...pb.str(2, '9.9'), ...pb.kv(3, 's', pb.vint(3, 5)), ...pb.vint(4, 0), ...pb.junk()];
  const resource = [...pb.kv(1, 'service.name', pb.str(1, 'svc')), ...pb.vint(2, 0), ...pb.junk()];
  const scopeSpans = [...pb.len(1, scope), ...pb.len(2, span), ...pb.len(2, [...pb.bytes(1, TRACE), ...pb.bytes(2, SPAN), ...pb.str(5, 'second')]), ...pb.str(3, 'schema'), ...pb.junk()];
  return [...pb.junk(), ...pb.len(1, resource), ...pb.len(2, scopeSpans), ...pb.str(3, 'schema')];
}

function handBuiltRequest(): number[] {
  const resourceSpans = handBuiltResourceSpans();
  return [...pb.junk(), ...pb.len(1, resourceSpans), ...pb.junk(), ...pb.len(1, [...pb.len(2, [...pb.len(2, pb.str(5, 'third'))])])];
}

describe('otlp-receiver: protobuf decoder on hand-built bytes', () => {
  it('decodes all field types and skips unknown fields of every wire type', () => {
    const spans = decodeOtlpProtobuf(Uint8Array.from(handBuiltRequest()));
    assert.deepEqual(
      spans.map((s) => s.name),
      ['hand built', 'second', 'third'],
    );
    const s = spans[0]!;
    assert.equal(s.traceId, TRACE);
    assert.equal(s.spanId, SPAN);
    assert.equal(s.parentSpanId, PARENT);
    assert.equal(s.traceState, 'k=v');
    assert.equal(s.kind, 4);
    assert.equal(s.startTimeUnixNano, 18_446_744_073_709_551_615n);
    assert.equal(s.endTimeUnixNano, 1n);
    assert.equal(s.flags, 0x101);
    assert.deepEqual(s.attributes, {
      min: -(2n ** 63n),
      max: 2n ** 63n - 1n,
      minus1: -1n,
      bytes: Uint8Array.from([0x00, 0xff, 0x10]),
      empty: null,
      dbl: -1.25,
      bool0: false,
      kv: { inner: 'x', list: [1n, null, 'y'] },
      junky: 'ok',
    });
    assert.equal(s.droppedAttributesCount, 3);
    assert.deepEqual(s.events, [{ name: 'e', timeUnixNano: 42n, attributes: { a: 'b' }, droppedAttributesCount: 1 }]);
    assert.equal(s.droppedEventsCount, 2);
    assert.deepEqual(s.links, [{ traceId: TRACE, spanId: PARENT, traceState: 'l=1', attributes: { x: true }, droppedAttributesCount: 9, flags: 0x301 }]);
    assert.equal(s.droppedLinksCount, 1);
    assert.deepEqual(s.status, { code: 2, message: 'msg' });
    assert.deepEqual(s.resource, { 'service.name': 'svc' });
    assert.deepEqual(s.scope, { name: 'scope', version: '9.9', attributes: { s: 5n } });
    const second = spans[1]!;
    assert.equal(second.parentSpanId, undefined);
    assert.deepEqual(second.status, { code: 0 });
    assert.equal(second.scope, s.scope);
    assert.deepEqual(spans[2]!.resource, {});
    assert.deepEqual(spans[2]!.scope, { name: '', attributes: {} });
    assert.equal(spans[2]!.traceId, '');
  });

  it('rejects truncated input at any cut point', () => {
    // One top-level field only: every strict prefix then ends inside a length-delimited field
    // (a cut exactly at a top-level field boundary would be a valid, shorter message).
    const bytes = Uint8Array.from(pb.len(1, handBuiltResourceSpans()));
    assert.equal(decodeOtlpProtobuf(bytes).length, 2, 'the untruncated message decodes');
    let rejected = 0;
    for (let cut = 1; cut < bytes.length; cut++) {
      try {
        decodeOtlpProtobuf(bytes.subarray(0, cut));
      } catch (e) {
        assert.ok(e instanceof OtlpDecodeError, String(e));
        rejected++;
        continue;
      }
      assert.fail(`a truncation at ${cut}/${bytes.length} decoded without error`);
    }
    assert.equal(rejected, bytes.length - 1);
  });

  it('rejects a known field with the wrong wire type and invalid wire types', () => {
    assert.throws(() => decodeOtlpProtobuf(Uint8Array.from(pb.vint(1, 3))), OtlpDecodeError);
    assert.throws(() => decodeOtlpProtobuf(Uint8Array.from(pb.len(1, pb.len(2, pb.len(2, pb.vint(7, 1)))))), OtlpDecodeError);
    assert.throws(() => decodeOtlpProtobuf(Uint8Array.from([...pb.tag(5, 7), 0])), /not an ExportTraceServiceRequest: invalid wire type 7/);
    assert.deepEqual(decodeOtlpProtobuf(new Uint8Array(0)), []);
  });
});

describe('otlp-receiver: OTLP/JSON decoder variants', () => {
  it('accepts base64 ids, string int64s, enum names, snake_case, NaN/Infinity strings, bytes', () => {
    const b64 = (hex: string): string => Buffer.from(hex, 'hex').toString('base64');
    const spans = decodeOtlpJson({
      resource_spans: [
        {
          resource: { attributes: [{ key: 'r', value: { intValue: '-9223372036854775808' } }] },
          scope_spans: [
            {
              scope: { name: 'sc' },
              spans: [
                {
                  trace_id: b64(TRACE),
                  span_id: b64(SPAN),
                  parent_span_id: PARENT.toUpperCase(),
                  name: 'j',
                  kind: 'SPAN_KIND_CONSUMER',
                  start_time_unix_nano: '18446744073709551615',
                  endTimeUnixNano: 1700000000000,
                  attributes: [
                    { key: 'nan', value: { doubleValue: 'NaN' } },
                    { key: 'inf', value: { doubleValue: '-Infinity' } },
                    { key: 'b', value: { bytesValue: Buffer.from([1, 2, 255]).toString('base64') } },
                    { key: 'kv', value: { kvlistValue: { values: [{ key: 'a', value: { arrayValue: { values: [{ intValue: 5 }, {}] } } }] } } },
                    { key: 'empty', value: {} },
                  ],
                  events: [{ name: 'ev', timeUnixNano: '5' }],
                  links: [{ traceId: TRACE, spanId: SPAN, flags: 256 }],
                  status: { code: 'STATUS_CODE_ERROR', message: 'bad' },
                },
              ],
            },
          ],
        },
      ],
    });
    assert.equal(spans.length, 1);
    const s = spans[0]!;
    assert.equal(s.traceId, TRACE);
    assert.equal(s.spanId, SPAN);
    assert.equal(s.parentSpanId, PARENT);
    assert.equal(s.kind, 5);
    assert.equal(s.startTimeUnixNano, 18446744073709551615n);
    assert.equal(s.endTimeUnixNano, 1700000000000n);
    assert.ok(Number.isNaN(s.attributes['nan']));
    assert.equal(s.attributes['inf'], -Infinity);
    assert.deepEqual(s.attributes['b'], Uint8Array.from([1, 2, 255]));
    assert.deepEqual(s.attributes['kv'], { a: [5n, null] });
    assert.equal(s.attributes['empty'], null);
    assert.deepEqual(s.events, [{ name: 'ev', timeUnixNano: 5n, attributes: {}, droppedAttributesCount: 0 }]);
    assert.deepEqual(s.links, [{ traceId: TRACE, spanId: SPAN, attributes: {}, droppedAttributesCount: 0, flags: 256 }]);
    assert.deepEqual(s.status, { code: 2, message: 'bad' });
    assert.deepEqual(s.resource, { r: -(2n ** 63n) });
    assert.deepEqual(s.scope, { name: 'sc', attributes: {} });
  });

  it('rejects malformed ids, int64s and JSON', () => {
    const one = (span: object): object => ({ resourceSpans: [{ scopeSpans: [{ spans: [span] }] }] });
    assert.throws(() => decodeOtlpJson(one({ traceId: 'abc', spanId: SPAN })), /traceId/);
    assert.throws(() => decodeOtlpJson(one({ traceId: TRACE, spanId: SPAN, startTimeUnixNano: '1.5' })), /startTimeUnixNano/);
    assert.throws(() => decodeOtlpJson(one({ traceId: TRACE, spanId: SPAN, kind: 'SPAN_KIND_BOGUS' })), /kind/);
    assert.throws(() => decodeOtlpJson('{"resourceSpans": ['), OtlpDecodeError);
  });
});

function post(url: string, body: Buffer | string, headers: Record<string, string>): Promise<{ status: number; headers: http.IncomingHttpHeaders; body: Buffer }> {
  return new Promise((resolve, reject) => {
    const req = http.request(url, { method: 'POST', headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }));
    });
    req.on('error', reject);
    req.end(body);
  });
}

describe('otlp-receiver: HTTP behaviour', () => {
  let receiver: OtlpReceiver;
  beforeEach(async () => {
    receiver = await startOtlpReceiver();
  });
  afterEach(() => receiver.close());

  it('listens on 127.0.0.1 and exposes url/endpoint', () => {
    assert.match(receiver.endpoint, /^http:\/\/127\.0\.0\.1:\d+$/);
    assert.equal(receiver.url, `${receiver.endpoint}/v1/traces`);
    assert.ok(receiver.port > 0);
  });

  it('answers success with an empty ExportTraceServiceResponse in the request format', async () => {
    const proto = await post(receiver.url, Buffer.from(handBuiltRequest()), { 'content-type': 'application/x-protobuf' });
    assert.equal(proto.status, 200);
    assert.equal(proto.headers['content-type'], 'application/x-protobuf');
    assert.equal(proto.body.length, 0);
    const json = await post(receiver.url, JSON.stringify({ resourceSpans: [] }), { 'content-type': 'application/json; charset=utf-8' });
    assert.equal(json.status, 200);
    assert.equal(json.headers['content-type'], 'application/json');
    assert.equal(json.body.toString(), '{}');
    assert.equal(receiver.spans.length, 3);
    assert.deepEqual(
      receiver.requests.map((r) => r.contentType),
      ['application/x-protobuf', 'application/json'],
    );
  });

  it('answers 400 for undecodable bodies, 415 for other content types, 404 for other paths', async () => {
    const bad = await post(receiver.url, Buffer.from([0x0a, 0x05, 0x01]), { 'content-type': 'application/x-protobuf' });
    assert.equal(bad.status, 400);
    assert.match(receiver.requests[0]!.decodeError ?? '', /not an ExportTraceServiceRequest: index out of range/);
    assert.equal((await post(receiver.url, 'x', { 'content-type': 'text/plain' })).status, 415);
    assert.equal((await post(`${receiver.endpoint}/v1/logs`, '{}', { 'content-type': 'application/json' })).status, 404);
    const badGzip = await post(receiver.url, Buffer.from('not gzip'), { 'content-type': 'application/json', 'content-encoding': 'gzip' });
    assert.equal(badGzip.status, 400);
    assert.equal(receiver.spans.length, 0);
    assert.equal(receiver.requests.length, 4);
  });

  it('waitForSpans rejects on timeout with a description of what arrived', async () => {
    await post(receiver.url, Buffer.from('x'), { 'content-type': 'text/plain' });
    await assert.rejects(receiver.waitForSpans(1, 100), /expected >= 1 span\(s\), got 0 within 100ms; requests: \[#0 text\/plain identity spans=0 -> 415\]/);
    await assert.rejects(
      receiver.waitFor((s) => s.length > 0, 50),
      /predicate not satisfied/,
    );
  });

  it('waitFor resolves when a later request satisfies the predicate; enqueue/setResponse change answers', async () => {
    receiver.enqueue({ status: 500 });
    const waiting = receiver.waitFor((s) => s.some((x) => x.name === 'third'), 2000);
    const body = Buffer.from(handBuiltRequest());
    const h = { 'content-type': 'application/x-protobuf' };
    assert.equal((await post(receiver.url, body, h)).status, 500);
    assert.equal(receiver.spans.length, 0, 'refused spans are not accepted');
    assert.equal((await post(receiver.url, body, h)).status, 200);
    const spans = await waiting;
    assert.equal(spans.length, 3);
    receiver.setResponse({ status: 503, headers: { 'Retry-After': '7' } });
    const refused = await post(receiver.url, body, h);
    assert.equal(refused.status, 503);
    assert.equal(refused.headers['retry-after'], '7');
    receiver.reset();
    assert.equal(receiver.spans.length, 0);
    assert.equal(receiver.requests.length, 0);
  });
});
