import * as assert from 'node:assert/strict';
import { SpanKind, SpanStatusCode, TraceFlags } from '@opentelemetry/api';
import type { ReadableSpan } from '@opentelemetry/sdk-trace-base';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { COLUMNS, RowEncoder, decodeCopyLine, encodeCopyLine, hrTimeToNanos, rowToObject } from '../../src/exporters/postgres/rows';

function fakeSpan(over: Partial<ReadableSpan> = {}): ReadableSpan {
  const base = {
    name: 'chat gpt-4o',
    kind: SpanKind.CLIENT,
    spanContext: () => ({ traceId: '0af7651916cd43dd8448eb211c80319c', spanId: 'b7ad6b7169203331', traceFlags: TraceFlags.SAMPLED }),
    parentSpanContext: { traceId: '0af7651916cd43dd8448eb211c80319c', spanId: '00f067aa0ba902b7', traceFlags: TraceFlags.SAMPLED },
    startTime: [1_700_000_000, 123_456_789],
    endTime: [1_700_000_001, 987_654_321],
    status: { code: SpanStatusCode.ERROR, message: 'bad\tthing\nhappened\\' },
    attributes: { 'gen_ai.request.model': 'gpt-4o', n: 3 },
    links: [],
    events: [{ name: 'exception', time: [1_700_000_000, 500], attributes: { 'exception.message': 'x' } }],
    duration: [1, 864_197_532],
    ended: true,
    resource: resourceFromAttributes({ 'service.name': 'svc' }),
    instrumentationScope: { name: 'agentops', version: '1.2.3' },
    droppedAttributesCount: 0,
    droppedEventsCount: 0,
    droppedLinksCount: 0,
  };
  return { ...base, ...over } as unknown as ReadableSpan;
}

describe('postgres rows', () => {
  it('computes exact nanoseconds beyond 2^53', () => {
    assert.equal(hrTimeToNanos([1_700_000_000, 123_456_789]), '1700000000123456789');
    assert.notEqual(String(1_700_000_000 * 1e9 + 123_456_789), '1700000000123456789', 'the Number path would lose digits');
    assert.equal(hrTimeToNanos([1.5, 0] as never), null);
    assert.equal(hrTimeToNanos(undefined), null);
  });

  it('maps every column of a span', () => {
    const row = rowToObject(new RowEncoder().toRow(fakeSpan()));
    assert.deepEqual(Object.keys(row), [...COLUMNS]);
    assert.equal(row.trace_id, '0af7651916cd43dd8448eb211c80319c');
    assert.equal(row.span_id, 'b7ad6b7169203331');
    assert.equal(row.parent_span_id, '00f067aa0ba902b7');
    assert.equal(row.operation_name, 'chat gpt-4o');
    assert.equal(row.kind, 'CLIENT');
    assert.equal(row.service_name, 'svc');
    assert.equal(row.start_time, '1700000000123456789');
    assert.equal(row.end_time, '1700000001987654321');
    assert.equal(row.status, 'ERROR');
    assert.equal(row.status_message, 'bad\tthing\nhappened\\');
    assert.deepEqual(JSON.parse(row.attributes!), { 'gen_ai.request.model': 'gpt-4o', n: 3 });
    assert.deepEqual(JSON.parse(row.events!), [{ name: 'exception', time: '1700000000000000500', attributes: { 'exception.message': 'x' } }]);
    assert.equal(row.links, '[]');
    assert.equal(JSON.parse(row.resource!)['service.name'], 'svc');
    assert.equal(row.instrumentation_scope, 'agentops');
    assert.equal(row.instrumentation_scope_version, '1.2.3');
  });

  it('root spans have a NULL parent and do not mutate the span', () => {
    const attrs = Object.freeze({ 'a\u0000': 'b\u0000' });
    const span = fakeSpan({ parentSpanContext: undefined, attributes: attrs });
    const row = new RowEncoder().toRow(span);
    assert.equal(row[2], null);
    assert.deepEqual(attrs, { 'a\u0000': 'b\u0000' });
  });

  it('encodes COPY text lines that round-trip, escaping tabs, newlines and backslashes', () => {
    const row = new RowEncoder().toRow(fakeSpan({ name: 'a\tb\r\nc\\d' }));
    const line = encodeCopyLine(row);
    assert.equal(line.split('\n').length, 2, 'exactly one newline, at the end');
    assert.equal(line.split('\t').length, COLUMNS.length);
    assert.deepEqual(decodeCopyLine(line), row);
    assert.ok(line.includes('\\N') === row.indexOf(null) >= 0);
  });
});
