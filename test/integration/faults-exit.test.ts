/**
 * The app ends while PostgreSQL is down: by SIGTERM, SIGINT, process.exit(), an uncaught
 * exception or an unhandled rejection. What was recorded after the outage began goes to the spool
 * at exit, the process ends as it would without the preload (code or signal, output), and the
 * next process (test/fixtures/noop.js, which only loads the preload) stores it: exactly once.
 *
 * After SIGKILL of the app nothing can run at exit: what it had spooled before the kill is
 * replayed by the next start. Spans still in its memory at SIGKILL are lost (no code runs to save
 * them), so that test asserts only on the rows that were in spool files before the kill.
 */
import * as assert from 'node:assert/strict';
import { appStderr, runNode, waitForOutput, type ChildResult } from '../helpers/child';
import { startOtlpReceiver, type OtlpReceiver } from '../helpers/otlp-receiver';
import { canControlServer, createTestDatabase, eventually, requireServerControl, sql, startServer, stopServer, tempDir } from '../helpers/postgres';
import { App, faultEnv, fixture, sessionCounts, sessionRows, shutdownSummary, spoolRows } from './faults-support';

const N = 100; // events before the outage, and as many during it
const APP = fixture('faults-exit.js');

interface Mode {
  mode: string;
  signal?: NodeJS.Signals;
  reason: string;
}

const MODES: Mode[] = [
  { mode: 'sigterm', signal: 'SIGTERM', reason: 'received SIGTERM' },
  { mode: 'sigint', signal: 'SIGINT', reason: 'received SIGINT' },
  { mode: 'exit', reason: 'process exit' },
  { mode: 'throw', reason: 'process exit' },
  { mode: 'reject', reason: 'process exit' },
];

interface Outcome {
  bare: ChildResult;
  traced: ChildResult;
  dbUrl: string;
  sessionId: string;
  spooledBeforeReplay: string[];
  replay: ChildResult;
  spooledAfterReplay: string[];
}

describe('faults: the app ends while PostgreSQL is down', function () {
  this.timeout(120_000);
  let receiver: OtlpReceiver;
  const outcomes = new Map<string, Outcome>();

  before(async function () {
    requireServerControl(this);
    receiver = await startOtlpReceiver();
    const bareRuns = Promise.all(
      MODES.map((m) =>
        runNode(APP, {
          preload: 'none',
          args: [m.mode, String(N)],
          input: 'continue\n',
          onSpawn: m.signal === undefined ? undefined : (c) => void waitForOutput(c, 'ready').then(() => c.kill(m.signal)),
        }),
      ),
    );
    // Every app runs against its own database and spool, all during one outage.
    const runs = await Promise.all(
      MODES.map(async (m) => {
        const dbUrl = await createTestDatabase('faults_exit');
        const spoolDir = tempDir();
        const app = new App(APP, [m.mode, String(N)], { timeoutMs: 30_000, env: faultEnv({ jaegerUrl: receiver.url, dbUrl, spoolDir }, { AGENTOPS_SHUTDOWN_TIMEOUT_MS: '1500' }) });
        const sessionId = await app.sessionId();
        await app.waitText('phase1');
        // The first half is stored before the outage: the spool then holds exactly the second half.
        assert.ok(await eventually(async () => (await sessionRows(dbUrl, sessionId)) === N, 20_000), `${m.mode}: the first ${N} events stored before the outage`);
        return { m, app, dbUrl, spoolDir, sessionId };
      }),
    );
    await stopServer();
    try {
      for (const r of runs) {
        r.app.send('continue');
        if (r.m.signal !== undefined) {
          const sig = r.m.signal;
          void r.app.waitText('ready').then(() => r.app.child.kill(sig));
        }
      }
      const traced = await Promise.all(runs.map((r) => r.app.result));
      const spooled = runs.map((r) => spoolRows(r.spoolDir));
      await startServer();
      const replays = await Promise.all(runs.map((r) => runNode(fixture('noop.js'), { timeoutMs: 30_000, env: faultEnv({ jaegerUrl: receiver.url, dbUrl: r.dbUrl, spoolDir: r.spoolDir }) })));
      const bare = await bareRuns;
      runs.forEach((r, i) =>
        outcomes.set(r.m.mode, {
          bare: bare[i],
          traced: traced[i],
          dbUrl: r.dbUrl,
          sessionId: r.sessionId,
          spooledBeforeReplay: spooled[i],
          replay: replays[i],
          spooledAfterReplay: spoolRows(r.spoolDir),
        }),
      );
    } finally {
      await startServer().catch(() => undefined);
    }
  });

  after(async () => {
    await receiver?.close();
  });

  for (const m of MODES) {
    it(`ends by ${m.mode} with PostgreSQL down: same exit as without the preload; spooled, then replayed by the next process, each span once`, async function () {
      if (!canControlServer()) return this.skip();
      const o = outcomes.get(m.mode);
      assert.ok(o, 'the scenario ran');
      const { bare, traced } = o;
      assert.equal(traced.code, bare.code, `exit code: ${traced.stderr.slice(-2000)}`);
      assert.equal(traced.signal, bare.signal, 'the signal it died of');
      if (m.signal !== undefined) assert.equal(bare.signal, m.signal);
      assert.equal(traced.stdout.replace(/"sessionId":"[^"]+"/, ''), bare.stdout.replace(/"sessionId":"[^"]+"/, ''), 'same stdout');
      assert.equal(appStderr(traced.stderr), appStderr(bare.stderr), 'same stderr from the app (our JSON lines aside)');

      // At exit: the second half, the agent and the session, all in the spool, none dropped.
      const pg = shutdownSummary(traced).exporters.postgres;
      assert.deepEqual(pg.dropped, {}, 'nothing dropped');
      assert.equal(pg.spooled, N + 2, 'every span not yet stored was spooled');
      assert.equal(o.spooledBeforeReplay.length, N + 2, 'the spool files hold those rows');

      // The next process replays them.
      assert.equal(o.replay.code, 0, o.replay.stderr);
      assert.ok(await eventually(async () => (await sessionRows(o.dbUrl, o.sessionId)) >= 2 * N + 2, 20_000), 'replayed');
      assert.deepEqual(await sessionCounts(o.dbUrl, o.sessionId), { n: 2 * N + 2, d: 2 * N + 2 }, 'every span of the session exactly once');
      assert.deepEqual(o.spooledAfterReplay, [], 'the spool is empty after the replay');
      const [session] = await sql<{ state: string; reason: string }>(
        o.dbUrl,
        "SELECT attributes->>'agentops.session.end_state' AS state, attributes->>'agentops.session.end_state_reason' AS reason FROM agentops_spans WHERE trace_id = $1 AND operation_name = 'session'",
        [o.sessionId],
      );
      assert.deepEqual(session, { state: 'Indeterminate', reason: m.reason });
    });
  }

  it('SIGKILL of the app: what it had spooled before the kill is replayed by the next start, once', async function () {
    requireServerControl(this);
    const total = 1000;
    const dbUrl = await createTestDatabase('faults_kill9');
    const spoolDir = tempDir();
    // A small memory buffer, so that during the outage the oldest rows go to the spool while the app runs.
    const app = new App(APP, ['kill9', String(total)], { timeoutMs: 30_000, env: faultEnv({ jaegerUrl: receiver.url, dbUrl, spoolDir }, { AGENTOPS_PG_BUFFER_MAX_SPANS: '100' }) });
    const sessionId = await app.sessionId();
    assert.ok(await eventually(async () => (await sessionRows(dbUrl, sessionId)) === total, 20_000), 'the first half stored before the outage');
    await stopServer();
    let snapshot: string[];
    try {
      app.send('continue');
      await app.waitText('ready');
      // At most ~100 rows stay in memory: wait until the rest is in spool files.
      assert.ok(await eventually(async () => spoolRows(spoolDir).length >= total - 200, 20_000), `rows spooled during the outage (${spoolRows(spoolDir).length})`);
      snapshot = spoolRows(spoolDir);
      app.child.kill('SIGKILL');
      const res = await app.result;
      assert.equal(res.signal, 'SIGKILL');
    } finally {
      await startServer();
    }
    const ids = [...new Set(snapshot.map((l) => l.split('\t')[1]))];
    assert.equal(ids.length, snapshot.length, 'no row twice in the spool');
    const replay = await runNode(fixture('noop.js'), { timeoutMs: 30_000, env: faultEnv({ jaegerUrl: receiver.url, dbUrl, spoolDir }) });
    assert.equal(replay.code, 0, replay.stderr);
    const stored = async () => (await sql<{ n: number }>(dbUrl, 'SELECT count(*)::int AS n FROM agentops_spans WHERE trace_id = $1 AND span_id = ANY($2)', [sessionId, ids]))[0].n;
    await eventually(async () => (await stored()) >= ids.length, 20_000);
    assert.equal(await stored(), ids.length, 'every span spooled before the kill is stored');
    const c = await sessionCounts(dbUrl, sessionId);
    assert.equal(c.n, c.d, 'no span stored twice');
    assert.ok(c.n >= total + ids.length, `the first half and the spooled rows: ${c.n}`);
    assert.deepEqual(spoolRows(spoolDir), [], 'the spool (including the file a dead process had claimed) is empty after the replay');
  });
});
