/**
 * The loopback OTLP receiver against the real OTLP trace exporters: every field the SDK records
 * decoded exactly, in both formats, with gzip, and under the receiver's fault modes.
 */
import * as assert from 'node:assert/strict';
import { context, diag, DiagLogLevel, SpanKind, trace } from '@opentelemetry/api';
import type { DiagLogger } from '@opentelemetry/api';
import { ExportResultCode } from '@opentelemetry/core';
import { attr } from '../helpers/otlp-receiver';
import {
  byName,
  closeHarnesses,
  expectedAttrs,
  flushExpectingFailure,
  GZIP,
  LINK_SPAN,
  LINK_TRACE,
  memByName,
  nanos,
  recordRichTrace,
  setup,
  T_CHILD_START,
  T_END,
  T_START,
} from '../helpers/otlp-exporter-harness';

for (const format of ['protobuf', 'json'] as const) {
  describe(`otlp-receiver with the real ${format} OTLPTraceExporter`, () => {
    afterEach(closeHarnesses);

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
  afterEach(closeHarnesses);

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
  afterEach(closeHarnesses);

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
