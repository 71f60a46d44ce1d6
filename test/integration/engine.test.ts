/**
 * The export engine: spans leave the app's thread at once and are delivered by a worker, to the
 * OTLP receiver and to PostgreSQL alike, each exactly once, through bursts, receiver outages,
 * refusals and every way a process ends. The receiver here is the loopback one (it decodes the
 * real OTLP wire format); PostgreSQL is the suite's embedded server. Timings are the benches'.
 */
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import { runNode } from '../helpers/child';
import { startOtlpReceiver, type OtlpReceiver } from '../helpers/otlp-receiver';
import { createTestDatabase, eventually, sql, tempDir } from '../helpers/postgres';
import { App, assertExactlyOnce, assertOnceEach, faultEnv, fixture, jsonLines, sessionCounts, shutdownSummary, sleep } from './faults-support';

/** exit-modes.js: the session, its agent and 5 events, each stored once. */
async function assertSevenOnce(dbUrl: string, sessionId: string, timeoutMs: number): Promise<void> {
  await eventually(async () => (await sessionCounts(dbUrl, sessionId)).n >= 7, timeoutMs, 100);
  assert.deepEqual(await sessionCounts(dbUrl, sessionId), { n: 7, d: 7 });
}

async function tableCounts(dbUrl: string): Promise<{ n: number; d: number }> {
  // Before the first write (by the replay helper, say) the table does not exist yet.
  const [r] = await sql<{ n: number; d: number }>(dbUrl, 'SELECT count(*)::int AS n, count(DISTINCT span_id)::int AS d FROM agentops_spans').catch(() => [{ n: 0, d: 0 }]);
  return r;
}

describe('export engine', function () {
  this.timeout(120_000);
  let receiver: OtlpReceiver;

  beforeEach(async () => {
    receiver = await startOtlpReceiver();
  });
  afterEach(async () => {
    await receiver.close();
  });

  it('a burst of 300 sessions x 100 events reaches PostgreSQL and the receiver complete, each span once, with no replay', async function () {
    // The limit only bounds the exit; a fast machine exits as soon as both destinations have
    // everything. It is generous because CI runners share their cores with the receiver and PostgreSQL.
    // So is the request timeout: an answer the starved app reads after its timeout is a retry, and
    // the receiver, which did take the first request, counts its spans twice.
    this.timeout(240_000);
    const dbUrl = await createTestDatabase('engine_burst');
    const res = await runNode(fixture('burst.js'), {
      args: ['300', '100'],
      timeoutMs: 180_000,
      env: faultEnv({ jaegerUrl: receiver.url, dbUrl, spoolDir: tempDir() }, { AGENTOPS_SHUTDOWN_TIMEOUT_MS: '120000', OTEL_EXPORTER_OTLP_TRACES_TIMEOUT: '30000' }),
    });
    assert.equal(res.code, 0, res.stderr.slice(-2000));
    const { spans } = JSON.parse(res.stdout) as { spans: number };
    assert.equal(spans, 30_600);
    await receiver.waitForSpans(spans, 30_000);
    assertOnceEach(receiver.spans, spans, 'receiver');
    assert.deepEqual(await tableCounts(dbUrl), { n: spans, d: spans });
    const s = shutdownSummary(res).exporters;
    assert.deepEqual(s.jaeger.dropped, {});
    assert.deepEqual(s.postgres.dropped, {});
    assert.equal(s.jaeger.exported, spans);
    assert.equal(s.postgres.exported, spans);
  });

  for (const mode of ['exit', 'throw', 'reject'] as const) {
    it(`process ends by ${mode}: the exit status is unchanged and both destinations get every span once`, async () => {
      const dbUrl = await createTestDatabase(`engine_${mode}`);
      const env = faultEnv({ jaegerUrl: receiver.url, dbUrl, spoolDir: tempDir() }, { OTEL_BSP_SCHEDULE_DELAY: '60000', AGENTOPS_PG_FLUSH_INTERVAL_MS: '60000' });
      const bare = await runNode(fixture('exit-modes.js'), { args: [mode], preload: 'none' });
      const res = await runNode(fixture('exit-modes.js'), { args: [mode], env });
      assert.equal(res.code, bare.code, res.stderr.slice(-2000));
      assert.equal(res.signal, bare.signal);
      const { sessionId } = JSON.parse(res.stdout.split('\n')[0]) as { sessionId: string };
      // session, agent and 5 events, handed over synchronously at exit
      await receiver.waitForSpans(7, 15_000);
      await sleep(300); // on purpose: no duplicate follows
      assertOnceEach(receiver.spans, 7, 'receiver');
      await assertSevenOnce(dbUrl, sessionId, 15_000);
    });
  }

  it('process.exit() while the receiver is down: the spans are spooled and the replay helper delivers them once it answers', async () => {
    receiver.setResponse('reset');
    const dbUrl = await createTestDatabase('engine_exit_down');
    const env = faultEnv({ jaegerUrl: receiver.url, dbUrl, spoolDir: tempDir() }, { OTEL_BSP_SCHEDULE_DELAY: '60000', AGENTOPS_OTLP_SPOOL_DIR: tempDir() });
    const res = await runNode(fixture('exit-modes.js'), { args: ['exit'], env });
    assert.equal(res.code, 3, res.stderr.slice(-2000));
    const summary = shutdownSummary(res) as unknown as { exporters: Record<string, { spooled: number; dropped: object }>; replayHelper: boolean };
    assert.equal(summary.exporters.jaeger.spooled, 7, 'every span went to the spool');
    assert.deepEqual(summary.exporters.jaeger.dropped, {});
    assert.equal(summary.replayHelper, true, 'a replay helper was started');
    const { sessionId } = JSON.parse(res.stdout.split('\n')[0]) as { sessionId: string };
    await assertSevenOnce(dbUrl, sessionId, 15_000);
    receiver.setResponse('ok');
    await receiver.waitForSpans(7, 20_000);
    await sleep(500); // on purpose: no duplicate follows
    assertOnceEach(receiver.spans, 7, 'receiver after the helper');
    assert.deepEqual(
      fs.readdirSync(env.AGENTOPS_OTLP_SPOOL_DIR).filter((f) => f.includes('.spool')),
      [],
      'the spool is empty once delivered',
    );
  });

  it('a receiver down for a while during a paced run gets every span exactly once after it returns (memory queue overflowing to the spool)', async () => {
    const dbUrl = await createTestDatabase('engine_outage');
    const otlpSpool = tempDir();
    const app = new App(fixture('faults-app.js'), ['steady', '500'], {
      env: faultEnv({ jaegerUrl: receiver.url, dbUrl, spoolDir: tempDir() }, { OTEL_BSP_MAX_QUEUE_SIZE: '300', OTEL_BSP_MAX_EXPORT_BATCH_SIZE: '100', AGENTOPS_OTLP_SPOOL_DIR: otlpSpool }),
    });
    const sessionId = await app.sessionId();
    const hex = sessionId.replace(/-/g, '');
    await receiver.waitFor((spans) => spans.some((s) => s.traceId === hex), 20_000);
    receiver.setResponse('reset');
    // Down until the memory queue has overflowed to the spool.
    assert.ok(await eventually(async () => fs.readdirSync(otlpSpool).some((f) => f.includes('.spool')), 30_000, 100), 'the outage overflowed to the spool');
    receiver.setResponse('ok');
    const atRecovery = receiver.spans.length;
    await receiver.waitFor((spans) => spans.length > atRecovery, 20_000);
    const { res, recorded } = await app.finish();
    assert.equal(res.code, 0, res.stderr.slice(-2000));
    const expected = recorded + 2;
    await receiver.waitFor((spans) => spans.filter((s) => s.traceId === hex).length >= expected, 30_000);
    await sleep(300); // on purpose: no duplicate follows
    assertOnceEach(receiver.spans, expected, 'receiver');
    const j = shutdownSummary(res).exporters.jaeger;
    assert.ok(j.spooled > 0, `the outage overflowed to the spool: ${JSON.stringify(j)}`);
    assert.ok(j.retried > 0 || j.failedAttempts > 0);
    assert.deepEqual(j.dropped, {});
    await assertExactlyOnce(dbUrl, sessionId, expected);
  });

  it("a receiver down for a whole run: the next run delivers the first run's spans too, once", async () => {
    const spoolDir = tempDir();
    const env = { AGENTOPS_EXPORTERS: 'jaeger', OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: receiver.url, AGENTOPS_OTLP_SPOOL_DIR: spoolDir, AGENTOPS_SHUTDOWN_TIMEOUT_MS: '1000' };
    receiver.setResponse({ status: 503 });
    const first = await runNode(fixture('exit-modes.js'), { args: ['normal'], env });
    assert.equal(first.code, 0, first.stderr);
    assert.equal(receiver.spans.length, 0);
    receiver.setResponse('ok');
    const second = await runNode(fixture('exit-modes.js'), { args: ['normal'], env });
    assert.equal(second.code, 0, second.stderr);
    await receiver.waitForSpans(14, 20_000);
    await sleep(500); // on purpose: no duplicate follows
    assertOnceEach(receiver.spans, 14, 'both runs');
    const traces = new Set(receiver.spans.map((s) => s.traceId));
    for (const r of [first, second]) assert.ok(traces.has(JSON.parse(r.stdout).sessionId.replace(/-/g, '')));
  });

  it('honours Retry-After on 429, and delivers the batch once afterwards', async () => {
    receiver.enqueue({ status: 429, headers: { 'Retry-After': '1' } });
    const res = await runNode(fixture('exit-modes.js'), { args: ['normal'], env: { AGENTOPS_EXPORTERS: 'jaeger', OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: receiver.url, OTEL_BSP_SCHEDULE_DELAY: '10' } });
    assert.equal(res.code, 0, res.stderr);
    await receiver.waitForSpans(7, 10_000);
    const [refused, retried] = receiver.requests;
    assert.equal(refused.response, 429);
    assert.ok(retried.receivedAt - refused.receivedAt >= 950, `retried after ${retried.receivedAt - refused.receivedAt} ms`);
    assertOnceEach(receiver.spans, 7, 'receiver');
  });

  it("a 400 for one batch is bisected: the receiver's refusal drops only what it keeps refusing, with its text logged", async () => {
    // The first request (all 7 spans) is refused; its halves are accepted.
    receiver.enqueue({ status: 400, body: 'span 3: attribute value too long' });
    const ok = await runNode(fixture('exit-modes.js'), { args: ['normal'], env: { AGENTOPS_EXPORTERS: 'jaeger', OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: receiver.url, OTEL_BSP_SCHEDULE_DELAY: '10' } });
    assert.equal(ok.code, 0, ok.stderr);
    assertOnceEach(await receiver.waitForSpans(7, 10_000), 7, 'after the split');
    assert.deepEqual(shutdownSummary(ok).exporters.jaeger.dropped, {});

    receiver.reset();
    receiver.setResponse({ status: 400, body: 'bad data: everything' });
    const refused = await runNode(fixture('exit-modes.js'), {
      args: ['normal'],
      env: { AGENTOPS_EXPORTERS: 'jaeger', OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: receiver.url, OTEL_BSP_SCHEDULE_DELAY: '10' },
    });
    assert.equal(refused.code, 0);
    assert.deepEqual(shutdownSummary(refused).exporters.jaeger.dropped, { rejected: 7 });
    const line = refused.logs.find((l) => String(l.msg).includes('dropped spans'));
    assert.match(JSON.stringify(line), /bad data: everything/, "the receiver's own text is in the log");
    assert.equal(shutdownSummary(refused).exporters.jaeger.spooled, 0, 'refused data is not kept for a replay');
  });

  it('a 2xx answer that is not OTLP is logged with its text', async () => {
    receiver.setResponse('garbage');
    const res = await runNode(fixture('exit-modes.js'), { args: ['normal'], env: { AGENTOPS_EXPORTERS: 'jaeger', OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: receiver.url, OTEL_BSP_SCHEDULE_DELAY: '10' } });
    assert.equal(res.code, 0);
    const line = res.logs.find((l) => String(l.msg).includes('not an ExportTraceServiceResponse'));
    assert.ok(line, res.stderr);
    assert.match(JSON.stringify(line), /not OTLP/);
  });

  it('a hanging receiver does not hold the natural exit past the shutdown timeout; PostgreSQL is complete', async () => {
    receiver.setResponse('hang');
    const dbUrl = await createTestDatabase('engine_hang');
    const env = faultEnv({ jaegerUrl: receiver.url, dbUrl, spoolDir: tempDir() }, { AGENTOPS_SHUTDOWN_TIMEOUT_MS: '1500', OTEL_EXPORTER_OTLP_TRACES_TIMEOUT: '10000' });
    const t0 = Date.now();
    const res = await runNode(fixture('exit-modes.js'), { args: ['normal'], env });
    const ms = Date.now() - t0;
    assert.equal(res.code, 0, res.stderr);
    // The bound is the bench's to measure; here only that the 10 s request timeout did not hold the exit.
    assert.ok(ms < 9000, `the process ended after ${ms} ms`);
    const { sessionId } = JSON.parse(res.stdout) as { sessionId: string };
    await assertSevenOnce(dbUrl, sessionId, 5000);
    assert.equal(shutdownSummary(res).exporters.jaeger.spooled, 7);
  });

  it("falls back to exporting on the app's thread when no worker can start, logs it once, and loses nothing", async () => {
    const dbUrl = await createTestDatabase('engine_fallback');
    const env = faultEnv({ jaegerUrl: receiver.url, dbUrl, spoolDir: tempDir() }, { __AGENTOPS_OTEL_TEST_WORKER_FAILURE: 'start' });
    const res = await runNode(fixture('burst.js'), { args: ['20', '20'], env });
    assert.equal(res.code, 0, res.stderr.slice(-2000));
    const fallbackLines = res.logs.filter((l) => /exporting on the app's thread/.test(String(l.msg)));
    assert.equal(fallbackLines.length, 1, res.stderr.slice(-3000));
    const spans = 20 * 22;
    assert.ok(await eventually(async () => (await tableCounts(dbUrl)).n >= spans, 20_000));
    assert.deepEqual(await tableCounts(dbUrl), { n: spans, d: spans });
    await receiver.waitForSpans(spans, 20_000);
    await sleep(300); // on purpose: no duplicate follows
    assertOnceEach(receiver.spans, spans, 'receiver');
    assert.equal((shutdownSummary(res) as unknown as { engine: { mode: string } }).engine.mode, 'inline');
  });

  it("AGENTOPS_EXPORT_THREAD=inline runs the same destinations on the app's thread", async () => {
    const res = await runNode(fixture('exit-modes.js'), {
      args: ['normal'],
      env: { AGENTOPS_EXPORTERS: 'jaeger', OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: receiver.url, AGENTOPS_EXPORT_THREAD: 'inline' },
    });
    assert.equal(res.code, 0, res.stderr);
    assertOnceEach(await receiver.waitForSpans(7, 20_000), 7, 'receiver');
    assert.equal(jsonLines(res.stdout).length, 1);
  });
});
