/**
 * PostgreSQL faults while an app records under the preload (both exporters on): the server
 * crashes (SIGKILL) and restarts, a lock makes every write hit statement_timeout, the role runs
 * out of connections, the password is wrong until an operator fixes it. After recovery every span
 * of the session is stored exactly once, by the running app itself, and nothing reaches the app.
 *
 * The app records ~300 events/s throughout; each fault window reports its event-loop delay
 * (printed, for the benchmark notes; only a 1 s stall, which would be a blocking call, fails).
 */
import * as assert from 'node:assert/strict';
import { Client } from 'pg';
import { startOtlpReceiver, type OtlpReceiver } from '../helpers/otlp-receiver';
import { createTestDatabase, eventually, killServer, requireServerControl, sql, startServer, tempDir } from '../helpers/postgres';
import { App, assertExactlyOnce, dropRole, assertLoopNotBlocked, assertNothingReachedApp, faultEnv, fixture, logLoop, sessionRows, shutdownSummary, spoolRows } from './faults-support';

const RATE = 300; // events per second

describe('faults: PostgreSQL fails while the app records', function () {
  this.timeout(90_000);
  let receiver: OtlpReceiver;
  let dbUrl: string;
  let apps: App[] = [];
  let roles: string[] = [];

  beforeEach(async () => {
    receiver = await startOtlpReceiver();
    dbUrl = await createTestDatabase('faults_pg');
  });
  afterEach(async () => {
    for (const a of apps) a.child?.kill('SIGKILL');
    apps = [];
    await startServer().catch(() => undefined);
    for (const r of roles) await dropRole(dbUrl, r);
    roles = [];
    await receiver.close();
  });

  function start(extra: Record<string, string> = {}, url = dbUrl): App {
    const app = new App(fixture('faults-app.js'), ['steady', String(RATE)], { env: faultEnv({ jaegerUrl: receiver.url, dbUrl: url, spoolDir: tempDir() }, extra) });
    apps.push(app);
    return app;
  }

  /** Waits until rows of the session are being stored (the schema exists, the app writes). */
  async function flowing(sessionId: string, url = dbUrl, above = 0): Promise<void> {
    assert.ok(await eventually(async () => (await sessionRows(url, sessionId)) > above, 30_000, 100), `rows of ${sessionId} are stored (more than ${above})`);
  }

  async function jaegerGotAll(sessionId: string, expected: number): Promise<void> {
    const hex = sessionId.replace(/-/g, '');
    await receiver.waitFor((spans) => spans.filter((s) => s.traceId === hex).length >= expected, 20_000);
    assert.equal(new Set(receiver.spans.filter((s) => s.traceId === hex).map((s) => s.spanId)).size, expected, 'Jaeger got every span too');
  }

  it('PostgreSQL killed with SIGKILL and restarted (crash recovery): every span stored once', async function () {
    requireServerControl(this);
    // A crash loses commits whose WAL is still in shared memory when synchronous_commit is off
    // (the test server's speed setting); a real server commits synchronously. Match that here.
    const dbName = new URL(dbUrl).pathname.slice(1);
    await sql(dbUrl, `ALTER DATABASE "${dbName}" SET synchronous_commit = on`);
    const app = start();
    const sessionId = await app.sessionId();
    await flowing(sessionId);
    await app.mark('pg-sigkill');
    const atKill = await sessionRows(dbUrl, sessionId);
    const mark = app.stderrMark();
    await killServer();
    // The app keeps recording while the server is gone, until its exporter has met the outage.
    await app.waitStderr(/postgres write failed/, mark);
    await startServer();
    await flowing(sessionId, dbUrl, atKill); // the running app reconnects by itself
    const loop = await app.report('pg-sigkill');
    const { res, recorded } = await app.finish();
    assert.equal(res.code, 0, res.stderr.slice(-3000));
    assertNothingReachedApp(res);
    await assertExactlyOnce(dbUrl, sessionId, recorded + 2);
    const pg = shutdownSummary(res).exporters.postgres;
    assert.ok(pg.failedAttempts > 0, 'the crash was noticed (failed attempts counted)');
    assert.deepEqual(pg.dropped, {}, 'nothing dropped');
    await jaegerGotAll(sessionId, recorded + 2);
    logLoop('pg SIGKILL + restart', loop);
    assertLoopNotBlocked(loop);
  });

  it('slow database: a lock makes writes hit statement_timeout; after it is released every span is stored once', async () => {
    const spoolDir = tempDir();
    const app = start({ AGENTOPS_PG_STATEMENT_TIMEOUT_MS: '300', AGENTOPS_PG_SPOOL_DIR: spoolDir });
    const sessionId = await app.sessionId();
    await flowing(sessionId);
    const locker = new Client({ connectionString: dbUrl });
    locker.on('error', () => undefined);
    await locker.connect();
    try {
      await app.mark('pg-locked');
      await locker.query('BEGIN');
      const before = spoolRows(spoolDir).length;
      await locker.query('LOCK TABLE agentops_spans IN ACCESS EXCLUSIVE MODE');
      // Writes queue behind the lock until statement_timeout cancels them; a batch that fails
      // every retry is spooled. The warning is not waited for: the same code may already have
      // been logged at start-up (the first write can wait on the schema), and it is rate-limited.
      const spooled = await eventually(async () => spoolRows(spoolDir).length > before, 20_000, 100);
      assert.ok(spooled, `writes behind the lock timed out and were spooled: ${app.stderrTail()}`);
      await locker.query('COMMIT');
    } finally {
      await locker.end().catch(() => undefined);
    }
    const atRelease = await sessionRows(dbUrl, sessionId);
    await flowing(sessionId, dbUrl, atRelease);
    const loop = await app.report('pg-locked');
    const { res, recorded } = await app.finish();
    assert.equal(res.code, 0, res.stderr.slice(-3000));
    assertNothingReachedApp(res);
    await assertExactlyOnce(dbUrl, sessionId, recorded + 2);
    assert.ok(
      res.logs.some((l) => JSON.stringify(l).includes('57014')),
      `statement timeouts (57014) happened and were logged: ${res.stderr.slice(-2000)}`,
    );
    const pg = shutdownSummary(res).exporters.postgres;
    assert.ok(pg.failedAttempts > 0);
    assert.deepEqual(pg.dropped, {}, 'nothing dropped');
    await jaegerGotAll(sessionId, recorded + 2);
    logLoop('pg locked table / statement_timeout', loop);
    assertLoopNotBlocked(loop);
  });

  it('too many connections: none allowed, then fewer than the pool wants; every span stored once', async () => {
    // A role that is not a superuser (superusers ignore connection limits) owning the database,
    // so that it may create the schema.
    const role = `faults_conn_${Math.random().toString(36).slice(2, 8)}`;
    const dbName = new URL(dbUrl).pathname.slice(1);
    await sql(dbUrl, `CREATE ROLE ${role} LOGIN PASSWORD 'conn-pw'`);
    roles.push(role);
    await sql(dbUrl, `ALTER DATABASE "${dbName}" OWNER TO ${role}`);
    const appUrl = new URL(dbUrl);
    appUrl.username = role;
    appUrl.password = 'conn-pw';
    const app = start({ AGENTOPS_PG_POOL_SIZE: '4' }, appUrl.toString());
    const sessionId = await app.sessionId();
    await flowing(sessionId);
    await app.mark('pg-connections');
    const mark = app.stderrMark();
    // No connection at all for the role: its open ones are ended, every new one is refused (53300).
    await sql(dbUrl, `ALTER ROLE ${role} CONNECTION LIMIT 0`);
    await sql(dbUrl, 'SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE usename = $1', [role]);
    await app.waitStderr(/53300/, mark);
    // One connection for a pool of four: the rest keep being refused until the end of the run.
    await sql(dbUrl, `ALTER ROLE ${role} CONNECTION LIMIT 1`);
    const atPartial = await sessionRows(dbUrl, sessionId);
    await flowing(sessionId, dbUrl, atPartial);
    // A second's worth of events more, stored through the one connection.
    await flowing(sessionId, dbUrl, (await sessionRows(dbUrl, sessionId)) + RATE);
    const loop = await app.report('pg-connections');
    const { res, recorded } = await app.finish();
    assert.equal(res.code, 0, res.stderr.slice(-3000));
    assertNothingReachedApp(res);
    await assertExactlyOnce(dbUrl, sessionId, recorded + 2);
    assert.ok(
      res.logs.some((l) => JSON.stringify(l).includes('53300')),
      `"too many connections" (53300) happened and was logged: ${res.stderr.slice(-2000)}`,
    );
    assert.deepEqual(shutdownSummary(res).exporters.postgres.dropped, {}, 'nothing dropped');
    await jaegerGotAll(sessionId, recorded + 2);
    logLoop('pg too many connections', loop);
    assertLoopNotBlocked(loop);
  });

  it('wrong password, fixed by ALTER ROLE while the app runs: spooled meanwhile, then everything stored once; the password is never logged', async () => {
    // Fixed on the server while the app runs (not by restarting the app): the harder path, where
    // the same process must recover from an authentication failure and replay its own spool.
    const role = `faults_auth_${Math.random().toString(36).slice(2, 8)}`;
    const password = `Faults-Pw-${Date.now()}-x!y`;
    await sql(dbUrl, `CREATE ROLE ${role} LOGIN SUPERUSER PASSWORD 'not-what-the-app-has'`);
    roles.push(role);
    const appUrl = new URL(dbUrl);
    appUrl.username = role;
    appUrl.password = encodeURIComponent(password);
    const spoolDir = tempDir();
    const app = start({ AGENTOPS_PG_SPOOL_DIR: spoolDir }, appUrl.toString());
    const sessionId = await app.sessionId();
    await app.mark('pg-auth');
    // Batches fail authentication, exhaust their retries and go to the spool.
    assert.ok(await eventually(async () => spoolRows(spoolDir).length > 0, 20_000, 100), 'rows reached the spool');
    assert.equal(await sessionRows(dbUrl, sessionId), 0, 'nothing can be stored with the wrong password');
    await sql(dbUrl, `ALTER ROLE ${role} PASSWORD '${password}'`);
    await flowing(sessionId);
    const loop = await app.report('pg-auth');
    const { res, recorded } = await app.finish();
    assert.equal(res.code, 0, res.stderr.slice(-3000));
    assertNothingReachedApp(res);
    await assertExactlyOnce(dbUrl, sessionId, recorded + 2);
    const pg = shutdownSummary(res).exporters.postgres;
    assert.ok(pg.spooled > 0, `rows went through the spool (${pg.spooled})`);
    assert.deepEqual(pg.dropped, {}, 'nothing dropped');
    const authLog = res.logs.find((l) => JSON.stringify(l).includes('28P01'));
    assert.ok(authLog, `the authentication failure is logged: ${res.stderr.slice(-2000)}`);
    assert.match(JSON.stringify(authLog), /password authentication failed/);
    assert.equal(authLog.level, 'error', 'a configuration failure is logged as an error');
    assert.ok(!res.stderr.includes(password) && !res.stderr.includes(encodeURIComponent(password)), 'the password is not in the logs');
    await jaegerGotAll(sessionId, recorded + 2);
    logLoop('pg wrong password', loop);
    assertLoopNotBlocked(loop);
  });
});
