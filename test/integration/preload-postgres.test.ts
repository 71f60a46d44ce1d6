/**
 * Both exporters through the preload: every span of a session reaches PostgreSQL and Jaeger,
 * each independent of the other, and PostgreSQL outages lose nothing, also across processes.
 */
import * as assert from 'node:assert/strict';
import * as path from 'node:path';
import type { ChildProcess } from 'node:child_process';
import { runNode, waitForOutput, REPO_ROOT } from '../helpers/child';
import { attr, startOtlpReceiver, type OtlpReceiver } from '../helpers/otlp-receiver';
import { createTestDatabase, eventually, requireServerControl, sql, startServer, stopServer, tempDir } from '../helpers/postgres';

const fixture = (name: string): string => path.join(REPO_ROOT, 'test', 'fixtures', name);

interface SpanRow {
  trace_id: string;
  span_id: string;
  parent_span_id: string | null;
  operation_name: string;
  start_time: string;
  end_time: string;
  status: string;
  service_name: string;
  attributes: Record<string, unknown>;
}

describe('preload with PostgreSQL and Jaeger', function () {
  let receiver: OtlpReceiver;
  let dbUrl: string;
  beforeEach(async () => {
    receiver = await startOtlpReceiver();
    dbUrl = await createTestDatabase('agentops_preload');
  });
  afterEach(async () => {
    await startServer().catch(() => undefined);
    await receiver.close();
  });

  const env = (extra: Record<string, string> = {}): Record<string, string> => ({
    AGENTOPS_EXPORTERS: 'jaeger,postgres',
    OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: receiver.url,
    AGENTOPS_PG_URL: dbUrl,
    AGENTOPS_PG_SPOOL_DIR: tempDir(),
    OTEL_BSP_SCHEDULE_DELAY: '50',
    AGENTOPS_PG_FLUSH_INTERVAL_MS: '50',
    AGENTOPS_PG_RETRY_BASE_MS: '20',
    AGENTOPS_PG_RETRY_MAX_DELAY_MS: '200',
    AGENTOPS_PG_CONNECT_TIMEOUT_MS: '1000',
    OTEL_SERVICE_NAME: 'pg-preload',
    ...extra,
  });

  it('stores a whole session, the same spans Jaeger gets, with trace_id = session id', async () => {
    const res = await runNode(fixture('all-events.js'), { env: env() });
    assert.equal(res.code, 0, res.stderr);
    const out = JSON.parse(res.stdout);
    const rows = await sql<SpanRow & Record<string, unknown>>(dbUrl, 'SELECT *, trace_id::text AS trace_id FROM agentops_spans ORDER BY start_time');
    assert.equal(rows.length, 9);
    const jaeger = await receiver.waitForSpans(9);
    assert.deepEqual(rows.map((r) => r.span_id).sort(), jaeger.map((s) => s.spanId).sort(), 'both exporters got the same spans');

    const bySession = await sql(dbUrl, 'SELECT count(*)::int AS n FROM agentops_spans WHERE trace_id = $1', [out.sessionId]);
    assert.equal(bySession[0].n, 9, 'the session UUID finds its trace');

    const byId = new Map(rows.map((r) => [r.span_id, r]));
    for (const s of jaeger) {
      const row = byId.get(s.spanId);
      assert.ok(row);
      assert.equal(row.trace_id, out.sessionId);
      assert.equal(row.parent_span_id ?? undefined, s.parentSpanId);
      assert.equal(row.operation_name, s.name);
      assert.equal(BigInt(row.start_time), s.startTimeUnixNano, 'nanoseconds are exact');
      assert.equal(BigInt(row.end_time), s.endTimeUnixNano);
      assert.equal(row.service_name, 'pg-preload');
      assert.equal(row.attributes['agentops.event.id'], attr(s, 'agentops.event.id'));
    }
    const llm = rows.find((r) => r.operation_name === 'chat gpt-4o');
    assert.equal(llm?.start_time, out.events.llm.start);
    assert.equal(llm?.attributes['gen_ai.usage.input_tokens'], 3);
    assert.equal(rows.find((r) => r.operation_name === 'action fetch_page')?.status, 'ERROR');
  });

  it('keeps PostgreSQL complete when Jaeger is down, and Jaeger complete when PostgreSQL is down', async () => {
    const closed = await startOtlpReceiver();
    await closed.close();
    const jaegerDown = await runNode(fixture('all-events.js'), { env: env({ OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: closed.url, AGENTOPS_SHUTDOWN_TIMEOUT_MS: '3000' }) });
    assert.equal(jaegerDown.code, 0, jaegerDown.stderr);
    const rows = await sql(dbUrl, 'SELECT count(*)::int AS n FROM agentops_spans WHERE trace_id = $1', [JSON.parse(jaegerDown.stdout).sessionId]);
    assert.equal(rows[0].n, 9);

    const pgDown = await runNode(fixture('all-events.js'), { env: env({ AGENTOPS_PG_URL: 'postgres://postgres:postgres@127.0.0.1:1/none', AGENTOPS_SHUTDOWN_TIMEOUT_MS: '2000' }) });
    assert.equal(pgDown.code, 0, pgDown.stderr);
    const spans = await receiver.waitForSpans(9);
    assert.equal(spans.length, 9);
    assert.ok(spans.every((s) => s.traceId === JSON.parse(pgDown.stdout).sessionId.replace(/-/g, '')));
  });

  async function outage(total: number, restartBeforeExit: boolean, ctx: Mocha.Context): Promise<string> {
    requireServerControl(ctx);
    let child: ChildProcess | undefined;
    const spoolDir = tempDir();
    const run = runNode(fixture('load.js'), {
      args: [String(total)],
      env: env({ AGENTOPS_EXPORTERS: 'postgres', AGENTOPS_PG_SPOOL_DIR: spoolDir, OTEL_BSP_MAX_QUEUE_SIZE: '100000' }),
      input: 'keep-open',
      timeoutMs: 120000,
      onSpawn: (c) => (child = c),
    });
    assert.ok(child);
    await waitForOutput(child, 'phase1');
    const failed = waitForOutput(child, 'postgres write failed', 20_000, 'stderr');
    failed.catch(() => undefined); // awaited below; a failure before then must not go unhandled
    await stopServer();
    child.stdin?.write('continue\n');
    await waitForOutput(child, 'phase2');
    await failed; // exports fail and back off meanwhile
    if (restartBeforeExit) await startServer();
    child.stdin?.write('finish\n');
    child.stdin?.end();
    const res = await run;
    assert.equal(res.code, 0, res.stderr.slice(-3000));
    if (!restartBeforeExit) {
      await startServer();
      // A new process with the preload replays what the first one spooled.
      const replay = await runNode(fixture('noop.js'), { env: env({ AGENTOPS_EXPORTERS: 'postgres', AGENTOPS_PG_SPOOL_DIR: spoolDir }) });
      assert.equal(replay.code, 0, replay.stderr);
    }
    return JSON.parse(res.stdout.split('\n')[0]).sessionId;
  }

  async function assertExactlyOnce(sessionId: string, expected: number): Promise<void> {
    const ok = await eventually(async () => (await sql(dbUrl, 'SELECT count(*)::int AS n FROM agentops_spans WHERE trace_id = $1', [sessionId]))[0].n === expected, 20000);
    const [counts] = await sql(dbUrl, 'SELECT count(*)::int AS n, count(DISTINCT span_id)::int AS d FROM agentops_spans WHERE trace_id = $1', [sessionId]);
    assert.ok(ok, `expected ${expected} rows, found ${counts.n}`);
    assert.equal(counts.n, expected);
    assert.equal(counts.d, expected, 'no duplicates');
    const [steps] = await sql(dbUrl, "SELECT count(DISTINCT attributes->>'agentops.event.params')::int AS n FROM agentops_spans WHERE trace_id = $1 AND operation_name = 'execute_tool step'", [
      sessionId,
    ]);
    assert.equal(steps.n, expected - 2, 'every event is there');
  }

  it('loses nothing when PostgreSQL stops while the app records thousands of events', async function () {
    const sessionId = await outage(3000, true, this);
    await assertExactlyOnce(sessionId, 3002);
  });

  it('loses nothing when the app exits during the outage: the next process replays the spool', async function () {
    const sessionId = await outage(3000, false, this);
    await assertExactlyOnce(sessionId, 3002);
  });
});
