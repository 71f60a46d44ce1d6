import * as assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import * as path from 'node:path';
import { Client } from 'pg';
import { SpanStatusCode } from '@opentelemetry/api';
import { stats } from '../../src/shared/stats';
import { LATEST_VERSION, PostgresSpanExporter, migrate, schemaVersion } from '../../src/exporters/postgres';
import { createTestDatabase, sql, testServer } from '../helpers/postgres';
import { bsp, makeTree, pgConfig, tracing, uuidOf } from './postgres-support';

const ROOT = path.resolve(__dirname, '..', '..', '..');

describe('postgres exporter: storing spans', function () {
  this.timeout(60_000);
  before(async () => {
    await testServer();
  });

  it('stores real spans through a BatchSpanProcessor with exact times, hierarchy and uuid trace ids', async () => {
    const url = await createTestDatabase();
    const exporter = new PostgresSpanExporter(pgConfig(url));
    const t = tracing(bsp(exporter));
    makeTree(t.tracer, 5);
    const errSpan = t.tracer.startSpan('failing', { startTime: [1_700_000_000, 123_456_789] });
    errSpan.setStatus({ code: SpanStatusCode.ERROR, message: 'it broke' });
    errSpan.addEvent('exception', { 'exception.message': 'boom' }, [1_700_000_000, 500_000_001]);
    errSpan.end([1_700_000_002, 987_654_321]);
    await t.provider.forceFlush();
    await exporter.forceFlush();

    const rows = await sql<{
      trace_id: string;
      span_id: string;
      parent_span_id: string | null;
      operation_name: string;
      start_time: string;
      end_time: string;
      duration_ns: string;
      status: string;
      status_message: string | null;
      service_name: string;
      instrumentation_scope: string;
      instrumentation_scope_version: string;
      events: unknown;
      attributes: Record<string, unknown>;
      start_ts: Date;
    }>(
      url,
      'SELECT trace_id::text, span_id, parent_span_id, operation_name, start_time::text, end_time::text, duration_ns::text, status, status_message, service_name, instrumentation_scope, instrumentation_scope_version, events, attributes, start_ts FROM agentops_spans',
    );
    assert.equal(rows.length, t.ended.length);
    assert.equal(rows.length, 1 + 5 * 2 + 1);
    const byId = new Map(rows.map((r) => [r.span_id, r]));
    for (const s of t.ended) {
      const r = byId.get(s.spanContext().spanId)!;
      assert.ok(r, s.name);
      assert.equal(r.trace_id, uuidOf(s.spanContext().traceId));
      assert.equal(r.parent_span_id, s.parentSpanContext?.spanId ?? null);
      const ns = (h: [number, number]) => (BigInt(h[0]) * 1_000_000_000n + BigInt(h[1])).toString();
      assert.equal(r.start_time, ns(s.startTime));
      assert.equal(r.end_time, ns(s.endTime));
      assert.equal(r.service_name, 'pg-test');
      assert.equal(r.instrumentation_scope, 'pg-test-scope');
      assert.equal(r.instrumentation_scope_version, '9.9.9');
    }
    const failing = rows.find((r) => r.operation_name === 'failing')!;
    assert.equal(failing.start_time, '1700000000123456789');
    assert.equal(failing.end_time, '1700000002987654321');
    assert.equal(failing.duration_ns, '2864197532');
    assert.equal(failing.status, 'ERROR');
    assert.equal(failing.status_message, 'it broke');
    assert.deepEqual(failing.events, [{ name: 'exception', time: '1700000000500000001', attributes: { 'exception.message': 'boom' } }]);
    assert.equal(failing.start_ts.toISOString(), '2023-11-14T22:13:20.123Z');

    // The session id as printed (uuid with dashes) finds the whole session.
    const session = t.ended.find((s) => s.name === 'session')!;
    const inSession = await sql(url, 'SELECT count(*)::int AS n FROM agentops_spans WHERE trace_id = $1', [uuidOf(session.spanContext().traceId)]);
    assert.equal(inSession[0].n, 11);
    const root = rows.find((r) => r.operation_name === 'session')!;
    assert.equal(root.parent_span_id, null);
    assert.equal(rows.filter((r) => r.parent_span_id === root.span_id).length, 5);
    await t.provider.shutdown();
  });

  it('exporting the same spans again (a retried batch) creates no duplicates', async () => {
    const url = await createTestDatabase();
    const cfg = pgConfig(url);
    const collected = tracing({ onStart: () => undefined, onEnd: () => undefined, forceFlush: async () => undefined, shutdown: async () => undefined });
    for (let i = 0; i < 30; i++) makeTree(collected.tracer, 3);
    const spans = collected.ended;
    const first = new PostgresSpanExporter(cfg);
    const results: number[] = [];
    first.export(spans, (r) => results.push(r.code));
    await first.forceFlush();
    const before = stats.snapshot().exporters.postgres;
    // A second exporter (a restarted process) sends an overlapping batch with a plain COPY first.
    const second = new PostgresSpanExporter(cfg);
    second.export([...spans.slice(50), ...spans.slice(0, 10), ...spans.slice(0, 10)], (r) => results.push(r.code));
    await second.forceFlush();
    const after = stats.snapshot().exporters.postgres;
    const n = await sql(url, 'SELECT count(*)::int AS n, count(DISTINCT span_id)::int AS d FROM agentops_spans');
    assert.deepEqual(n[0], { n: spans.length, d: spans.length });
    assert.deepEqual(results, [0, 0]);
    assert.equal(after.deadLettered - before.deadLettered, 0);
    assert.equal(after.exported - before.exported, spans.length - 50 + 20, 'every row of the retried batch is accounted as stored');
    await Promise.all([first.shutdown(), second.shutdown()]);
  });

  it('migrate() is idempotent and safe from several connections at once; psql -f schema.sql agrees', async () => {
    const url = await createTestDatabase();
    const clients = await Promise.all(
      Array.from({ length: 4 }, async () => {
        const c = new Client({ connectionString: url });
        c.on('error', () => undefined); // a failed assertion must not leave a client to crash the run at server shutdown
        await c.connect();
        return c;
      }),
    );
    const all = Array.from({ length: LATEST_VERSION }, (_, i) => i + 1);
    try {
      const results = await Promise.all(clients.map((c) => migrate(c, 'agentops_spans')));
      assert.equal(results.filter((r) => r.applied.length > 0).length, 1, 'exactly one connection applied the migrations');
      assert.deepEqual(results.find((r) => r.applied.length > 0)?.applied, all);
      assert.ok(results.every((r) => r.to === LATEST_VERSION));
      const again = await migrate(clients[0], 'agentops_spans');
      assert.deepEqual(again.applied, []);
      assert.equal(await schemaVersion(clients[0], 'agentops_spans'), LATEST_VERSION);
    } finally {
      await Promise.all(clients.map((c) => c.end().catch(() => undefined)));
    }
    // The SQL file applies cleanly over the migrated schema, twice, and to a fresh database.
    execFileSync('psql', [url, '-v', 'ON_ERROR_STOP=1', '-q', '-f', path.join(ROOT, 'schema.sql')], { stdio: 'pipe' });
    const url2 = await createTestDatabase();
    execFileSync('psql', [url2, '-v', 'ON_ERROR_STOP=1', '-q', '-f', path.join(ROOT, 'schema.sql')], { stdio: 'pipe' });
    execFileSync('psql', [url2, '-v', 'ON_ERROR_STOP=1', '-q', '-f', path.join(ROOT, 'schema.sql')], { stdio: 'pipe' });
    // The time partitions depend on the clock and are maintenance's: only the rest is compared.
    const cols = (u: string) =>
      sql(
        u,
        "SELECT table_name, column_name, data_type FROM information_schema.columns WHERE table_schema = 'public' AND table_name NOT IN (SELECT relname FROM pg_class WHERE relispartition AND relname <> 'agentops_spans_default') ORDER BY 1, 2",
      );
    assert.deepEqual(await cols(url2), await cols(url));
    const versions = await sql(url2, 'SELECT table_name, version FROM agentops_schema_version');
    assert.deepEqual(
      versions,
      all.map((version) => ({ table_name: 'agentops_spans', version })),
    );
  });

  it('creates a configured table name at start-up, and waits (not drops) when auto-migrate is off and the table is missing', async () => {
    const url = await createTestDatabase();
    const custom = new PostgresSpanExporter(pgConfig(url, { AGENTOPS_PG_TABLE: 'my_spans' }));
    const t1 = tracing(bsp(custom));
    makeTree(t1.tracer, 2);
    await t1.provider.shutdown();
    assert.equal((await sql(url, 'SELECT count(*)::int AS n FROM my_spans'))[0].n, 5);
    assert.equal((await sql(url, "SELECT to_regclass('agentops_spans') AS t"))[0].t, null);

    const url2 = await createTestDatabase();
    const manual = new PostgresSpanExporter(
      pgConfig(url2, { AGENTOPS_PG_AUTO_MIGRATE: 'false', AGENTOPS_PG_RETRY_BASE_MS: '10', AGENTOPS_PG_RETRY_MAX_DELAY_MS: '50', AGENTOPS_PG_FLUSH_TIMEOUT_MS: '300' }),
    );
    const t2 = tracing(bsp(manual));
    makeTree(t2.tracer, 2);
    await t2.provider.forceFlush();
    await manual.forceFlush(); // times out: the table does not exist
    assert.equal((await sql(url2, "SELECT to_regclass('agentops_spans') AS t"))[0].t, null, 'auto-migrate off: no DDL');
    const c = new Client({ connectionString: url2 });
    await c.connect();
    await migrate(c, 'agentops_spans');
    await c.end();
    const until = Date.now() + 20_000;
    let n = 0;
    while (Date.now() < until && n < 5) {
      await manual.forceFlush();
      n = (await sql(url2, 'SELECT count(*)::int AS n FROM agentops_spans'))[0].n as number;
    }
    assert.equal(n, 5);
    await t2.provider.shutdown();
  });
});
