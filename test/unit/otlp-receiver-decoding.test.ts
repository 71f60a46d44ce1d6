/**
 * The loopback OTLP receiver's decoding: the span tree it builds, and its protobuf and OTLP/JSON
 * decoders on hand-built input (independent of the exporters' own serializer): edge cases of the
 * wire format through protobufjs and the official definitions, and our normalisation.
 */
import * as assert from 'node:assert/strict';
import { context, trace } from '@opentelemetry/api';
import type { HrTime } from '@opentelemetry/api';
import { decodeOtlpJson, decodeOtlpProtobuf, OtlpDecodeError, treeOf } from '../helpers/otlp-receiver';
import { byName, closeHarnesses, LINK_TRACE, setup } from '../helpers/otlp-exporter-harness';
import { handBuiltRequest, handBuiltResourceSpans, PARENT, pb, SPAN, TRACE } from '../helpers/otlp-hand-built';

describe('otlp-receiver: treeOf', () => {
  afterEach(closeHarnesses);

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
