import * as assert from 'node:assert/strict';
import { stats } from '../../src/shared/stats';
import { PostgresSpanExporter } from '../../src/exporters/postgres';
import { createTestDatabase, sql, testServer } from '../helpers/postgres';
import { bsp, pgConfig, tracing, withOverrides } from './postgres-support';

function collector() {
  return tracing({ onStart: () => undefined, onEnd: () => undefined, forceFlush: async () => undefined, shutdown: async () => undefined }, { attributeCountLimit: 20_000 });
}

describe('postgres exporter: hostile data', function () {
  this.timeout(60_000);
  before(async () => {
    await testServer();
  });

  it('stores every pitfall sanitised, through real spans and a BatchSpanProcessor', async () => {
    const url = await createTestDatabase();
    const exporter = new PostgresSpanExporter(pgConfig(url));
    const t = tracing(bsp(exporter), { attributeCountLimit: 20_000 });
    const big = 'B'.repeat(10 * 1024 * 1024);
    const s1 = t.tracer.startSpan('nul\u0000name', {
      attributes: {
        'nul\u0000key': 'nul\u0000value',
        lone: 'x\uD800y',
        lowLone: '\uDC00z',
        emoji: 'ok 😀',
        nan: NaN,
        inf: Infinity,
        ninf: -Infinity,
        arr: ['a\u0000', 'b'],
        huge: big,
      },
    });
    s1.setStatus({ code: 2, message: 'bad\u0000status\uD800' });
    s1.addEvent('ev\u0000', { 'k\u0000': 'v\u0000' });
    s1.end();
    const s2 = t.tracer.startSpan('many attributes');
    for (let i = 0; i < 10_000; i++) s2.setAttribute(`attr.${i}`, `value-${i}-${'z'.repeat(100)}`);
    s2.end();
    await t.provider.forceFlush();
    await exporter.forceFlush();

    const rows = await sql<{
      span_id: string;
      operation_name: string;
      attributes: Record<string, unknown>;
      status_message: string;
      events: Array<{ name: string; attributes: Record<string, string> }>;
      bytes: number;
    }>(url, 'SELECT span_id, operation_name, attributes, status_message, events, pg_column_size(attributes) AS bytes FROM agentops_spans');
    assert.equal(rows.length, 2);
    const r1 = rows.find((r) => r.span_id === s1.spanContext().spanId)!;
    assert.equal(r1.operation_name, 'nulname');
    assert.equal(r1.attributes['nulkey'], 'nulvalue');
    assert.equal(r1.attributes.lone, 'x\uFFFDy');
    assert.equal(r1.attributes.lowLone, '\uFFFDz');
    assert.equal(r1.attributes.emoji, 'ok 😀');
    assert.equal(r1.attributes.nan, 'NaN');
    assert.equal(r1.attributes.inf, 'Infinity');
    assert.equal(r1.attributes.ninf, '-Infinity');
    assert.deepEqual(r1.attributes.arr, ['a', 'b']);
    const huge = r1.attributes.huge as string;
    assert.ok(huge.length < 300 * 1024 && /…\[truncated \d+ chars\]$/.test(huge), `huge value stored with ${huge.length} chars`);
    assert.equal(r1.status_message, 'badstatus\uFFFD');
    assert.deepEqual(
      r1.events.map((e) => [e.name, e.attributes]),
      [['ev', { k: 'v' }]],
    );
    assert.equal((t.ended[0].attributes as Record<string, unknown>)['nul\u0000key'], 'nul\u0000value', 'the span itself is not modified');

    const r2 = rows.find((r) => r.span_id === s2.spanContext().spanId)!;
    assert.ok(r2.bytes <= 1024 * 1024 + 4096, `attributes capped (${r2.bytes} bytes)`);
    const marker = r2.attributes['agentops.truncated'] as { droppedEntries: number };
    assert.ok(marker.droppedEntries > 0 && Object.keys(r2.attributes).length - 1 + marker.droppedEntries === 10_000);
    await t.provider.shutdown();
  });

  it('stores values the SDK would never produce (BigInt, cycles, functions) from hand-made spans', async () => {
    const url = await createTestDatabase();
    const exporter = new PostgresSpanExporter(pgConfig(url));
    const c = collector();
    const s = c.tracer.startSpan('odd');
    s.end();
    const cyc: Record<string, unknown> = { name: 'c' };
    cyc.self = cyc;
    const odd = withOverrides(c.ended[0], { attributes: { big: 2n ** 70n, cyc, fn: () => 1, sym: Symbol('s'), nested: { deep: [1n, NaN] } } });
    const codes: number[] = [];
    exporter.export([odd], (r) => codes.push(r.code));
    await exporter.forceFlush();
    const [row] = await sql<{ attributes: Record<string, unknown> }>(url, 'SELECT attributes FROM agentops_spans');
    assert.deepEqual(row.attributes, { big: '1180591620717411303424', cyc: { name: 'c', self: '[Circular]' }, nested: { deep: ['1', 'NaN'] } });
    assert.deepEqual(codes, [0]);
    await exporter.shutdown();
  });

  it('puts rows PostgreSQL rejects in the dead-letter table and stores their batch-mates', async () => {
    const url = await createTestDatabase();
    const exporter = new PostgresSpanExporter(pgConfig(url));
    const c = collector();
    for (let i = 0; i < 40; i++) c.tracer.startSpan(`ok ${i}`).end();
    const good = c.ended.slice();
    // Plausible-looking but impossible values that only the database refuses.
    const farFuture = withOverrides(good[3], { startTime: [1e12, 0] }); // 1e21 ns overflows bigint (22003)
    const badTrace = withOverrides(good[7], { spanContext: () => ({ ...good[7].spanContext(), traceId: 'not-a-trace-id' }) }); // uuid (22P02)
    const noEnd = withOverrides(good[11], { endTime: [NaN, 0] }); // NULL end_time (23502)
    const batch = [...good.slice(0, 3), farFuture, ...good.slice(4, 7), badTrace, ...good.slice(8, 11), noEnd, ...good.slice(12)];
    const before = stats.snapshot().exporters.postgres ?? { exported: 0, deadLettered: 0 };
    exporter.export(batch, () => undefined);
    await exporter.forceFlush();
    const after = stats.snapshot().exporters.postgres;

    const stored = await sql<{ span_id: string }>(url, 'SELECT span_id FROM agentops_spans ORDER BY span_id');
    const expected = batch
      .filter((s) => ![farFuture, badTrace, noEnd].includes(s))
      .map((s) => s.spanContext().spanId)
      .sort();
    assert.deepEqual(
      stored.map((r) => r.span_id),
      expected,
    );
    const dead = await sql<{ trace_id: string; span_id: string; error_code: string; error_message: string; raw_row: string }>(
      url,
      'SELECT trace_id, span_id, error_code, error_message, raw_row FROM agentops_spans_dead_letter ORDER BY error_code',
    );
    assert.deepEqual(
      dead.map((d) => [d.span_id, d.error_code]),
      [
        [farFuture.spanContext().spanId, '22003'],
        [badTrace.spanContext().spanId, '22P02'],
        [noEnd.spanContext().spanId, '23502'],
      ],
    );
    const raw = JSON.parse(dead[0].raw_row);
    assert.equal(raw.operation_name, 'ok 3');
    assert.equal(raw.start_time, '1000000000000000000000');
    assert.ok(dead[1].error_message.includes('uuid'), dead[1].error_message);
    assert.equal(after.deadLettered - before.deadLettered, 3);
    assert.equal(after.exported - before.exported, 37);
    await exporter.shutdown();
  });
});
