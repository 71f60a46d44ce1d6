/**
 * The export worker's overflow spool: when it falls behind the app, batches go to disk as they
 * arrived and come back to each destination when it has room, in this process, the replay
 * helper or the next one. Falling behind is forced here (every batch is spilled) through the
 * worker's test switch; how far behind it must fall on its own is the benches' business.
 */
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { runNode } from '../helpers/child';
import { startOtlpReceiver, type OtlpReceiver } from '../helpers/otlp-receiver';
import { createTestDatabase, eventually, sql, tempDir } from '../helpers/postgres';
import { assertOnceEach, faultEnv, fixture, sessionCounts, shutdownSummary, sleep } from './faults-support';

const SPILL_EVERYTHING = { __AGENTOPS_OTEL_TEST_SPILL_BACKLOG: '-1000000000' };

/** The table appears with the first write (the replay helper's, here): until then, no rows. */
async function rows(dbUrl: string, sessionId: string): Promise<{ n: number; d: number }> {
  return sessionCounts(dbUrl, sessionId).catch(() => ({ n: 0, d: 0 }));
}

function wireFiles(dir: string): string[] {
  return fs.existsSync(dir) ? fs.readdirSync(dir).filter((f) => f.includes('.wire')) : [];
}

describe('export engine: overflow spool', function () {
  this.timeout(120_000);
  let receiver: OtlpReceiver;

  beforeEach(async () => {
    receiver = await startOtlpReceiver();
  });
  afterEach(async () => {
    await receiver.close();
  });

  it('every batch through the overflow spool: both destinations get every span once, counted as spooled and replayed', async () => {
    const dbUrl = await createTestDatabase('overflow_all');
    const pgSpool = tempDir();
    const otlpSpool = tempDir();
    const res = await runNode(fixture('burst.js'), {
      args: ['40', '20'],
      env: faultEnv({ jaegerUrl: receiver.url, dbUrl, spoolDir: pgSpool }, { ...SPILL_EVERYTHING, AGENTOPS_OTLP_SPOOL_DIR: otlpSpool, AGENTOPS_SHUTDOWN_TIMEOUT_MS: '30000' }),
    });
    assert.equal(res.code, 0, res.stderr.slice(-2000));
    const { spans } = JSON.parse(res.stdout) as { spans: number };
    assert.equal(spans, 40 * 22);
    await receiver.waitForSpans(spans, 20_000);
    await sleep(300); // on purpose: no duplicate follows
    assertOnceEach(receiver.spans, spans, 'receiver');
    const [rows] = await sql<{ n: number; d: number }>(dbUrl, 'SELECT count(*)::int AS n, count(DISTINCT span_id)::int AS d FROM agentops_spans');
    assert.deepEqual(rows, { n: spans, d: spans });
    const s = shutdownSummary(res).exporters;
    for (const name of ['jaeger', 'postgres'] as const) {
      assert.equal(s[name].spooled, spans, `${name}: every span went through the overflow spool`);
      assert.equal(s[name].replayed, spans, `${name}: and came back from it`);
      assert.equal(s[name].exported, spans, name);
      assert.equal(s[name].accepted, spans, `${name}: accepted once, not again when handed back`);
      assert.deepEqual(s[name].dropped, {}, name);
    }
    assert.deepEqual(wireFiles(pgSpool), [], 'the PostgreSQL overflow files are gone');
    assert.deepEqual(wireFiles(otlpSpool), [], 'the OTLP overflow files are gone');
  });

  it('what the overflow spool still holds at exit is delivered by the replay helper, once', async () => {
    const dbUrl = await createTestDatabase('overflow_exit');
    const pgSpool = tempDir();
    const otlpSpool = tempDir();
    // No time to hand anything back before the exit: every span is on disk when the process ends.
    const env = faultEnv({ jaegerUrl: receiver.url, dbUrl, spoolDir: pgSpool }, { ...SPILL_EVERYTHING, AGENTOPS_OTLP_SPOOL_DIR: otlpSpool, AGENTOPS_SHUTDOWN_TIMEOUT_MS: '0' });
    const res = await runNode(fixture('exit-modes.js'), { args: ['exit'], env });
    assert.equal(res.code, 3, res.stderr.slice(-2000));
    const summary = shutdownSummary(res) as unknown as { exporters: Record<string, { spooled: number; exported: number; dropped: object }>; replayHelper: boolean };
    assert.equal(summary.exporters.jaeger.spooled, 7, JSON.stringify(summary.exporters.jaeger));
    assert.equal(summary.exporters.postgres.spooled, 7, JSON.stringify(summary.exporters.postgres));
    assert.equal(summary.replayHelper, true, 'a replay helper was started');
    const { sessionId } = JSON.parse(res.stdout.split('\n')[0]) as { sessionId: string };
    assert.ok(await eventually(async () => (await rows(dbUrl, sessionId)).n >= 7, 15_000, 100), 'PostgreSQL got the spans');
    await receiver.waitForSpans(7, 15_000);
    await sleep(500); // on purpose: no duplicate follows
    assert.deepEqual(await sessionCounts(dbUrl, sessionId), { n: 7, d: 7 });
    assertOnceEach(receiver.spans, 7, 'receiver after the helper');
    assert.ok(await eventually(async () => wireFiles(pgSpool).length + wireFiles(otlpSpool).length === 0, 10_000, 100), 'the overflow files are gone');
  });

  it('a destination that is down does not hold back the other: the receiver gets every span from the overflow spool while PostgreSQL keeps its copy on disk', async () => {
    const pgSpool = tempDir();
    const down = 'postgres://nobody:x@127.0.0.1:1/none';
    const env = faultEnv(
      { jaegerUrl: receiver.url, dbUrl: down, spoolDir: pgSpool },
      { ...SPILL_EVERYTHING, AGENTOPS_OTLP_SPOOL_DIR: tempDir(), AGENTOPS_PG_RETRY_COUNT: '0', AGENTOPS_PG_CONNECT_TIMEOUT_MS: '300' },
    );
    const res = await runNode(fixture('exit-modes.js'), { args: ['normal'], env });
    assert.equal(res.code, 0, res.stderr.slice(-2000));
    const s = shutdownSummary(res).exporters;
    assert.equal(s.jaeger.exported, 7, `delivered before the exit: ${JSON.stringify(s.jaeger)}`);
    assert.equal(s.jaeger.replayed, 7, 'through the overflow spool');
    assert.equal(s.postgres.exported, 0);
    assert.deepEqual(s.postgres.dropped, {});
    assert.ok(
      fs.readdirSync(pgSpool).some((f) => f.includes('.wire') || f.includes('.spool')),
      `PostgreSQL's copy waits on disk: ${fs.readdirSync(pgSpool).join(', ')}`,
    );
    await sleep(300); // on purpose: no duplicate follows
    assertOnceEach(receiver.spans, 7, 'receiver');
  });

  it('an overflow file that is not in this format is moved aside and logged; the run still delivers its own spans', async () => {
    const otlpSpool = tempDir();
    fs.mkdirSync(otlpSpool, { recursive: true, mode: 0o700 });
    const bad = '00000000000001-0000001-deadbeef-00000000.wire';
    fs.writeFileSync(path.join(otlpSpool, bad), '#agentops-wire-spool v1\n\xff\xff\xff\x7fgarbage', { mode: 0o600 });
    const env = { AGENTOPS_EXPORTERS: 'jaeger', OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: receiver.url, AGENTOPS_OTLP_SPOOL_DIR: otlpSpool, AGENTOPS_SHUTDOWN_TIMEOUT_MS: '5000', ...SPILL_EVERYTHING };
    const res = await runNode(fixture('exit-modes.js'), { args: ['normal'], env });
    assert.equal(res.code, 0, res.stderr.slice(-2000));
    await receiver.waitForSpans(7, 15_000);
    await sleep(300);
    assertOnceEach(receiver.spans, 7, 'receiver');
    assert.match(res.stderr, /wire spool file could not be read; moved aside/);
    assert.ok(fs.existsSync(path.join(otlpSpool, `${bad}.rejected`)), fs.readdirSync(otlpSpool).join(', '));
  });
});
