import * as assert from 'node:assert/strict';
import { execFile, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as sinon from 'sinon';
import { logger } from '../../src/shared/logger';
import { stats } from '../../src/shared/stats';
import { PostgresSpanExporter, ReplayResult, spoolStatus } from '../../src/exporters/postgres';
import { Spool } from '../../src/exporters/spool';
import { PG_SPOOL_HEADER } from '../../src/exporters/postgres/rows';
import { RowEncoder, encodeCopyLine } from '../../src/exporters/postgres/rows';
import { createTestDatabase, eventually, requireServerControl, sql, startServer, stopServer, testServer } from '../helpers/postgres';
import { FAST_RETRY, bsp, makeTree, pgConfig, sleep, tick, tracing } from './postgres-support';

const ROOT = path.resolve(__dirname, '..', '..', '..');

async function countRows(url: string): Promise<{ n: number; d: number }> {
  const r = await sql<{ n: number; d: number }>(url, 'SELECT count(*)::int AS n, count(DISTINCT (trace_id, span_id))::int AS d FROM agentops_spans');
  return r[0];
}

function counters() {
  return stats.snapshot().exporters.postgres ?? { accepted: 0, exported: 0, spooled: 0, failedAttempts: 0, dropped: {} as Record<string, number> };
}

function idle() {
  return tracing({ onStart: () => undefined, onEnd: () => undefined, forceFlush: async () => undefined, shutdown: async () => undefined });
}

describe('postgres exporter: outages and the spool', function () {
  this.timeout(90_000);
  before(async () => {
    await testServer();
  });
  afterEach(async () => {
    // A failed test must not leave the shared server down for the next one.
    await startServer().catch(() => undefined);
  });

  it('keeps every span through a database outage under load, each stored exactly once', async function () {
    requireServerControl(this);
    const url = await createTestDatabase();
    const exporter = new PostgresSpanExporter(pgConfig(url, { ...FAST_RETRY, AGENTOPS_PG_BATCH_SIZE: '200' }));
    const t = tracing(bsp(exporter));
    const before = counters();
    const produce = async (trees: number) => {
      for (let i = 0; i < trees; i++) {
        makeTree(t.tracer, 4); // 9 spans
        if (i % 10 === 0) await tick();
      }
    };
    await produce(150);
    await t.provider.forceFlush();
    await stopServer();
    await produce(300); // ~2,700 spans while PostgreSQL is down
    assert.ok(await eventually(async () => counters().failedAttempts > before.failedAttempts, 10_000, 20), 'the outage was noticed');
    await t.provider.forceFlush();
    await startServer();
    await produce(150);
    await t.provider.forceFlush();
    const total = t.ended.length;
    assert.ok(total >= 5000);
    const done = await eventually(
      async () => {
        await exporter.forceFlush();
        return (await countRows(url)).n >= total;
      },
      60_000,
      200,
    );
    const c = await countRows(url);
    const after = counters();
    assert.ok(done, `only ${c.n} of ${total} rows`);
    assert.deepEqual(c, { n: total, d: total });
    const ids = new Set((await sql<{ span_id: string }>(url, 'SELECT span_id FROM agentops_spans')).map((r) => r.span_id));
    assert.ok(t.ended.every((s) => ids.has(s.spanContext().spanId)));
    assert.ok(after.failedAttempts > before.failedAttempts, 'the outage was noticed');
    assert.deepEqual(after.dropped, before.dropped, 'nothing dropped');
    await t.provider.shutdown();
  });

  it('bounds memory during an outage by spooling the oldest rows, then replays them', async function () {
    requireServerControl(this);
    const url = await createTestDatabase();
    const exporter = new PostgresSpanExporter(pgConfig(url, { ...FAST_RETRY, AGENTOPS_PG_BUFFER_MAX_SPANS: '1000', AGENTOPS_PG_BATCH_SIZE: '100', AGENTOPS_PG_RETRY_COUNT: '50' }));
    const c = idle();
    for (let i = 0; i < 600; i++) makeTree(c.tracer, 3); // 4,200 spans
    exporter.export(c.ended.slice(0, 10), () => undefined);
    await exporter.forceFlush(); // schema created while the server is up
    const before = counters();
    await stopServer();
    let maxHeld = 0;
    const codes: number[] = [];
    for (let i = 10; i < c.ended.length; i += 100) {
      exporter.export(c.ended.slice(i, i + 100), (r) => codes.push(r.code));
      maxHeld = Math.max(maxHeld, exporter.bufferStatus().spans);
      await sleep(2); // paced like an app: the exporter's own work runs between batches
    }
    assert.ok(maxHeld <= 1000 + 100, `held ${maxHeld} spans in memory`);
    assert.ok(
      codes.every((x) => x === 0),
      'every batch was accepted',
    );
    // The spool writer finishes its files after the last export returned: wait for all of them.
    const excess = c.ended.length - 10 - 1100;
    await eventually(async () => counters().spooled - before.spooled >= excess, 10_000);
    assert.ok(counters().spooled - before.spooled >= excess, `the excess went to the spool (${counters().spooled - before.spooled} of ${excess})`);
    const st = await exporter.spoolStatus();
    assert.ok(st.files > 0 || st.claimed > 0);
    await startServer();
    assert.ok(await eventually(async () => (await countRows(url)).n === c.ended.length, 60_000, 200), 'all rows after replay');
    assert.deepEqual(await countRows(url), { n: c.ended.length, d: c.ended.length });
    await exporter.shutdown();
    assert.equal((await spoolStatus(exporter.config)).files, 0);
  });

  it('a burst faster than the database and the spool writer is spooled synchronously, not dropped', async () => {
    const url = await createTestDatabase();
    const exporter = new PostgresSpanExporter(pgConfig(url, { AGENTOPS_PG_BUFFER_MAX_SPANS: '200', AGENTOPS_PG_BATCH_SIZE: '100' }));
    const c = idle();
    for (let i = 0; i < 700; i++) makeTree(c.tracer, 3); // 4,900 spans
    const before = counters();
    const warn = sinon.spy(logger, 'limited');
    try {
      // One synchronous loop, as an app saturating the event loop: the async spool writer gets no turn.
      for (let i = 0; i < c.ended.length; i += 100) exporter.export(c.ended.slice(i, i + 100), () => undefined);
    } finally {
      warn.restore();
    }
    assert.ok(
      warn.getCalls().some((call) => call.args[1] === 'pg.spool_sync'),
      'the synchronous spooling is reported',
    );
    assert.ok(counters().spooled - before.spooled > 0);
    assert.deepEqual(counters().dropped, before.dropped, 'nothing dropped');
    await exporter.forceFlush();
    assert.ok(await eventually(async () => (await countRows(url)).n === c.ended.length, 60_000, 200), 'all rows stored, the spooled ones replayed');
    assert.deepEqual(await countRows(url), { n: c.ended.length, d: c.ended.length });
    await exporter.shutdown();
  });

  it('shut down during an outage: spools everything; a new process replays it', async function () {
    requireServerControl(this);
    const url = await createTestDatabase();
    const cfg = pgConfig(url, { ...FAST_RETRY, AGENTOPS_PG_SHUTDOWN_TIMEOUT_MS: '300' });
    const exporter = new PostgresSpanExporter(cfg);
    const t = tracing(bsp(exporter));
    makeTree(t.tracer, 1);
    await t.provider.forceFlush();
    await exporter.forceFlush();
    const before = counters();
    await stopServer();
    for (let i = 0; i < 200; i++) makeTree(t.tracer, 4);
    await t.provider.shutdown(); // flushes the BSP into the exporter, then shuts it down
    const after = counters();
    const total = t.ended.length;
    assert.equal(after.spooled - before.spooled, total - 3, 'every span not yet stored is in the spool');
    assert.deepEqual(after.dropped, before.dropped);
    const st = await spoolStatus(cfg);
    assert.ok(st.files >= 1 && st.claimed === 0, JSON.stringify(st));
    for (const f of fs.readdirSync(cfg.spoolDir)) assert.equal(fs.statSync(path.join(cfg.spoolDir, f)).mode & 0o777, 0o600, f);
    assert.equal(fs.statSync(cfg.spoolDir).mode & 0o777, 0o700);
    await startServer();

    const script = `
      const { ConfigSource } = require(${JSON.stringify(path.join(ROOT, 'dist/src/config/source.js'))});
      const pg = require(${JSON.stringify(path.join(ROOT, 'dist/src/exporters/postgres/index.js'))});
      pg.replaySpool(pg.readPostgresConfig(new ConfigSource(process.env, {}))).then((r) => process.stdout.write(JSON.stringify(r)));`;
    const out = await new Promise<string>((resolve, reject) =>
      execFile(
        process.execPath,
        ['-e', script],
        { env: { ...process.env, AGENTOPS_PG_URL: url, AGENTOPS_PG_SPOOL_DIR: cfg.spoolDir, AGENTOPS_LOG_LEVEL: 'error' }, timeout: 60_000 },
        (err, stdout, stderr) => (err ? reject(new Error(`${err.message}\n${stderr}`)) : resolve(stdout)),
      ),
    );
    const r = JSON.parse(out) as ReplayResult;
    assert.equal(r.rows, total - 3);
    assert.equal(r.remainingFiles, 0);
    assert.deepEqual(await countRows(url), { n: total, d: total });
    assert.equal((await spoolStatus(cfg)).files, 0);
  });

  it('two replayers never replay the same file; a file claimed by a dead process is reclaimed', async () => {
    const url = await createTestDatabase();
    const cfg = pgConfig(url, { AGENTOPS_PG_BATCH_SIZE: '50' });
    const c = idle();
    for (let i = 0; i < 100; i++) makeTree(c.tracer, 2); // 500 spans
    const enc = new RowEncoder();
    const lines = c.ended.map((s) => encodeCopyLine(enc.toRow(s)));
    const spool = new Spool(cfg.spoolDir, cfg.spoolMaxBytes, PG_SPOOL_HEADER);
    for (let i = 0; i < 400; i += 50) assert.ok((await spool.write(lines.slice(i, i + 50))).ok);
    // The last 100 rows: a file a crashed replayer had claimed (its pid no longer exists).
    const w = await spool.write(lines.slice(400));
    assert.ok(w.ok);
    spool.close();
    const deadPid = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))']).stdout.toString();
    fs.renameSync(path.join(cfg.spoolDir, w.file), path.join(cfg.spoolDir, `${w.file}.claimed.${deadPid}.deadbeef`));

    const a = new PostgresSpanExporter(cfg, { autoReplay: false });
    const b = new PostgresSpanExporter(cfg, { autoReplay: false });
    const [ra, rb] = await Promise.all([a.replaySpoolNow(), b.replaySpoolNow()]);
    assert.equal(ra.rows + rb.rows, 500, `each row replayed once: ${ra.rows} + ${rb.rows}`);
    assert.equal(ra.files + rb.files, 9);
    assert.deepEqual(await countRows(url), { n: 500, d: 500 });
    assert.deepEqual(fs.readdirSync(cfg.spoolDir), []);
    await Promise.all([a.shutdown(), b.shutdown()]);
  });

  it('counts spans as dropped, with a reason, when the spool is full or unwritable — and never throws', async function () {
    requireServerControl(this);
    const url = await createTestDatabase();
    const blocker = path.join(pgConfig(url).spoolDir, 'not-a-dir');
    fs.writeFileSync(blocker, 'x');
    const unwritable = new PostgresSpanExporter(
      pgConfig(url, { ...FAST_RETRY, AGENTOPS_PG_SPOOL_DIR: path.join(blocker, 'spool'), AGENTOPS_PG_BUFFER_MAX_SPANS: '10', AGENTOPS_PG_SHUTDOWN_TIMEOUT_MS: '100' }),
    );
    const tiny = new PostgresSpanExporter(pgConfig(url, { ...FAST_RETRY, AGENTOPS_PG_SPOOL_MAX_BYTES: '2000', AGENTOPS_PG_BUFFER_MAX_SPANS: '10', AGENTOPS_PG_SHUTDOWN_TIMEOUT_MS: '100' }));
    const c = idle();
    for (let i = 0; i < 20; i++) makeTree(c.tracer, 2);
    const before = counters();
    await stopServer();
    unwritable.export(c.ended.slice(0, 50), () => undefined);
    tiny.export(c.ended.slice(50), () => undefined);
    await Promise.all([unwritable.shutdown(), tiny.shutdown()]);
    const after = counters();
    const delta = (k: string) => (after.dropped[k] ?? 0) - (before.dropped[k] ?? 0);
    assert.equal(delta('spool_write_failed'), 50);
    assert.ok(delta('spool_full') > 0);
    assert.equal(delta('spool_full') + (after.spooled - before.spooled), 50);
    // After shutdown, export refuses politely.
    const codes: number[] = [];
    tiny.export(c.ended.slice(0, 1), (r) => codes.push(r.code));
    assert.deepEqual(codes, [1]);
  });

  it('never logs the password, even through failures', async function () {
    requireServerControl(this);
    const url = new URL(await createTestDatabase());
    const password = `Pw-${Date.now()}-x!y`;
    await sql(url.toString(), `CREATE ROLE agentops_writer LOGIN SUPERUSER PASSWORD '${password}'`);
    url.username = 'agentops_writer';
    url.password = encodeURIComponent(password);
    const lines: string[] = [];
    const write = sinon.stub(process.stderr, 'write').callsFake((chunk: string | Uint8Array) => {
      lines.push(String(chunk));
      return true;
    });
    const level = logger.level;
    logger.level = 'debug';
    try {
      const exporter = new PostgresSpanExporter(pgConfig(url.toString(), { ...FAST_RETRY, AGENTOPS_PG_SHUTDOWN_TIMEOUT_MS: '200' }));
      const wrong = new PostgresSpanExporter(
        pgConfig(url.toString().replace(encodeURIComponent(password), 'wrong-password'), {
          ...FAST_RETRY,
          AGENTOPS_PG_SHUTDOWN_TIMEOUT_MS: '200',
          AGENTOPS_PG_FLUSH_TIMEOUT_MS: '300',
          AGENTOPS_PG_PASSWORD: `${password}-2`,
        }),
      );
      const c = idle();
      makeTree(c.tracer, 3);
      exporter.export(c.ended, () => undefined);
      wrong.export(c.ended, () => undefined);
      await exporter.forceFlush();
      await wrong.forceFlush(); // times out: authentication keeps failing
      await stopServer();
      exporter.export(c.ended, () => undefined);
      // Failures with the password in the connection settings are what must not leak: wait for one.
      assert.ok(await eventually(async () => exporter.bufferStatus().databaseFailing, 10_000, 20), 'a write failed while the server was down');
      logger.info(`canary ${password} and ${password}-2`);
      await Promise.all([exporter.shutdown(), wrong.shutdown()]);
    } finally {
      logger.level = level;
      write.restore();
    }
    const text = lines.join('');
    assert.ok(text.includes('postgres exporter started') && text.includes('28P01') && text.includes('canary'), 'the logs were captured');
    assert.ok(!text.includes(password), 'password in logs');
    assert.ok(!text.includes(encodeURIComponent(password)), 'encoded password in logs');
  });
});

describe('postgres exporter: never keeps the host process alive', function () {
  this.timeout(60_000);

  for (const state of ['up', 'down'] as const) {
    it(`a process that never calls shutdown exits on its own (database ${state})`, async function () {
      if (state === 'down') requireServerControl(this);
      const url = await createTestDatabase();
      if (state === 'down') await stopServer();
      try {
        const script = `
          const { ConfigSource } = require(${JSON.stringify(path.join(ROOT, 'dist/src/config/source.js'))});
          const pg = require(${JSON.stringify(path.join(ROOT, 'dist/src/exporters/postgres/index.js'))});
          const { BasicTracerProvider, BatchSpanProcessor } = require('@opentelemetry/sdk-trace-base');
          const exporter = new pg.PostgresSpanExporter(pg.readPostgresConfig(new ConfigSource(process.env, {})));
          const provider = new BasicTracerProvider({ spanProcessors: [new BatchSpanProcessor(exporter, { scheduledDelayMillis: 10 })] });
          for (let i = 0; i < 50; i++) provider.getTracer('t').startSpan('s' + i).end();
          setTimeout(() => process.stdout.write('app done'), 200);`;
        const started = Date.now();
        const res = await new Promise<{ code: number | null; out: string }>((resolve) => {
          const child = execFile(
            process.execPath,
            ['-e', script],
            {
              cwd: ROOT,
              env: {
                ...process.env,
                AGENTOPS_PG_URL: url,
                AGENTOPS_PG_SPOOL_DIR: path.join(tempDirFor(), 'spool'),
                AGENTOPS_LOG_LEVEL: 'silent',
                AGENTOPS_PG_CONNECT_TIMEOUT_MS: '1000',
                AGENTOPS_PG_FLUSH_INTERVAL_MS: '10',
              },
              timeout: 30_000,
            },
            (err, stdout) => resolve({ code: err ? ((err as { code?: number }).code ?? -1) : 0, out: stdout }),
          );
          child.on('error', () => undefined);
        });
        assert.equal(res.out, 'app done');
        assert.equal(res.code, 0, `exit code ${res.code} after ${Date.now() - started} ms (killed by the 30 s timeout means something kept it alive)`);
        if (state === 'up') assert.ok((await countRows(url)).n > 0, 'spans written before exit');
      } finally {
        await startServer().catch(() => undefined);
      }
    });
  }
});

function tempDirFor(): string {
  return pgConfig('postgres://x@127.0.0.1/x').spoolDir;
}
