/**
 * The partitioned span table against a real PostgreSQL: partitions created ahead and pruned by
 * queries, spans of any time accepted, retention dropping exactly the old partitions with the
 * summaries kept exact, maintenance idempotent and one-at-a-time (the keys for Citus: postgres-citus-shape).
 */
import * as assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import * as path from 'node:path';
import * as sinon from 'sinon';
import { migrate, PostgresSpanExporter, runMaintenance } from '../../src/exporters/postgres';
import { MaintenanceScheduler } from '../../src/exporters/postgres/maintenance/scheduler';
import { logger } from '../../src/shared/logger';
import { tableNames } from '../../src/exporters/postgres/identifier';
import { partitionName, periodAt, periodsAround } from '../../src/exporters/postgres/maintenance/periods';
import { legacySchemaSql } from '../helpers/legacy-schema';
import { createTestDatabase, eventually, sql, tempDir } from '../helpers/postgres';
import { pgConfig } from './postgres-support';
import { DAY_MS, assertSummariesExact, count, exportAll, installReference, partitionNames, sessionSpans, withClient, loggerLevelDuring } from './storage-support';

const CLI = path.resolve(__dirname, '..', '..', 'src', 'cli', 'main.js');

function cli(args: string[], env: Record<string, string>): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const p = spawn(process.execPath, [CLI, ...args], { env: { ...process.env, AGENTOPS_PG_SPOOL_DIR: tempDir(), ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    p.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    p.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    p.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

async function plan(url: string, query: string): Promise<string> {
  const rows = await sql<{ 'QUERY PLAN': string }>(url, `EXPLAIN (COSTS OFF) ${query}`);
  return rows.map((r) => r['QUERY PLAN']).join('\n');
}

describe('postgres storage: partitions, retention, maintenance', function () {
  this.timeout(120_000);
  loggerLevelDuring('warn');

  it('migrate creates the partitions of yesterday, today and the week ahead; queries on start_time and start_ts skip the others', async () => {
    const url = await createTestDatabase('agentops_part');
    const now = Date.now();
    await withClient(url, (c) => migrate(c, 'agentops_spans', { nowMs: now }));
    const want = periodsAround('day', now).map((p) => partitionName('agentops_spans', p));
    assert.equal(want.length, 9);
    assert.deepEqual(await partitionNames(url), [...want, 'agentops_spans_default'].sort());
    const today = periodAt('day', now);
    const name = partitionName('agentops_spans', today);
    const iso = new Date(today.startMs + 3_600_000).toISOString();
    const byTime = await plan(url, `SELECT * FROM agentops_spans WHERE start_time >= ${today.lo} AND start_time < ${today.hi}`);
    assert.match(byTime, new RegExp(name));
    assert.doesNotMatch(byTime, /_d\d{8}[^\n]*\n[\s\S]*_d\d{8}/, `one day partition only:\n${byTime}`);
    for (const view of ['agentops_llm_calls', 'agentops_errors']) {
      const p = await plan(url, `SELECT * FROM ${view} WHERE start_ts >= '${iso}' AND start_ts < '${new Date(today.startMs + 7_200_000).toISOString()}'`);
      const days = p.match(/agentops_spans_d\d{8}/g) ?? [];
      assert.deepEqual([...new Set(days)], [name], `${view} reads today's partition (and the default) only:\n${p}`);
    }
    // The session listing reads the summary through its start-time index, whatever the table's size.
    const sessions = await plan(url, 'SELECT * FROM agentops_sessions ORDER BY start_time DESC LIMIT 20');
    assert.match(sessions, /Index Scan[^\n]*agentops_spans_sum_start_idx/);
    assert.doesNotMatch(sessions, /agentops_spans_d\d{8}|agentops_spans_default/);
  });

  it('accepts spans of any time (years old, far ahead): none dead-lettered; maintenance gives them a partition when their period comes', async () => {
    const url = await createTestDatabase('agentops_part');
    const now = Date.now();
    const spans = [
      ...sessionSpans({ startMs: Date.UTC(1999, 11, 31, 23, 59, 59, 999), llms: 1 }),
      ...sessionSpans({ startMs: Date.UTC(1970, 0, 1), llms: 1 }),
      ...sessionSpans({ startMs: now + 40 * DAY_MS, llms: 2 }),
      ...sessionSpans({ startMs: now, llms: 3 }),
    ];
    const cfg = pgConfig(url);
    await (await exportAll(cfg, spans)).shutdown();
    await installReference(url);
    assert.equal(await count(url, 'agentops_spans'), spans.length, 'every span stored');
    assert.equal(await count(url, 'agentops_spans_dead_letter'), 0, 'none dead-lettered');
    assert.equal(await count(url, 'agentops_spans_default'), spans.length - 6, 'the old and the future ones wait in the default partition');
    await assertSummariesExact(url, 'before maintenance');
    const listed = await cli(['sessions', '--json'], { AGENTOPS_PG_URL: url });
    assert.equal(listed.code, 0, listed.stderr);
    const starts = (JSON.parse(listed.stdout) as Array<{ start_time_unix_nano: string }>).map((x) => BigInt(x.start_time_unix_nano));
    assert.deepEqual(
      starts,
      [...starts].sort((a, b) => (a > b ? -1 : a < b ? 1 : 0)),
      'newest first, by time (not as text: 1999 has fewer digits)',
    );
    assert.equal(starts.length, 4);

    // Forty days later, the future session's period is within the window: it moves to its own partition.
    const later = await withClient(url, (c) => runMaintenance(c, 'agentops_spans', { interval: 'day', retentionDays: 0, nowMs: now + 40 * DAY_MS }));
    assert.equal(later.movedFromDefault, 5);
    assert.ok(later.created.includes(partitionName('agentops_spans', periodAt('day', now + 40 * DAY_MS))));
    assert.equal(await count(url, 'agentops_spans_default'), 8, 'only the years-old ones stay there');
    assert.equal(await count(url, 'agentops_spans'), spans.length);
    await assertSummariesExact(url, 'after the move');
  });

  it('retention drops exactly the partitions older than the cut-off, old default rows and dead letters; the summaries stay exact', async () => {
    const url = await createTestDatabase('agentops_part');
    const now = Date.now();
    const d0 = periodAt('day', now).startMs;
    const h = 3_600_000;
    await withClient(url, (c) => migrate(c, 'agentops_spans', { nowMs: now - 20 * DAY_MS }));
    const spans = [
      ...sessionSpans({ startMs: d0 - 12 * DAY_MS + h, llms: 2 }), // gone with its partition
      ...sessionSpans({ startMs: d0 - 11 * DAY_MS + h, llms: 1 }), // too
      ...sessionSpans({ startMs: Date.UTC(2001, 0, 1), llms: 1 }), // old, in the default partition: deleted
      ...sessionSpans({ startMs: d0 - DAY_MS + h, llms: 4, errors: 1 }), // kept
    ];
    // A session that straddles the cut: begun in a partition that is dropped, going on in a kept one.
    const straddling = sessionSpans({ startMs: d0 - 5 * DAY_MS, llms: 3 });
    for (const s of straddling.slice(0, 2)) (s as unknown as { startTime: [number, number] }).startTime = [Math.floor((d0 - 11 * DAY_MS + 2 * h) / 1000), 0];
    await (await exportAll(pgConfig(url), [...spans, ...straddling])).shutdown();
    // The days between the partitions made 20 days ago and today's get theirs, their rows moved out of the default partition.
    const fill = await withClient(url, (c) => runMaintenance(c, 'agentops_spans', { interval: 'day', retentionDays: 0 }));
    assert.equal(fill.movedFromDefault, spans.length + straddling.length - 4, 'all but the 2001 session');
    await sql(url, `INSERT INTO agentops_spans_dead_letter (raw_row, failed_at) VALUES ('{}', now() - interval '30 days'), ('{}', now())`);
    await installReference(url);
    await assertSummariesExact(url, 'before retention');
    const before = await partitionNames(url);
    const cutoff = now - 10 * DAY_MS;
    const expectDropped = before.filter((p) => /_d\d{8}$/.test(p) && Date.UTC(+p.slice(-8, -4), +p.slice(-4, -2) - 1, +p.slice(-2)) + DAY_MS <= cutoff);
    assert.ok(expectDropped.includes(partitionName('agentops_spans', periodAt('day', d0 - 11 * DAY_MS))));
    assert.ok(!expectDropped.includes(partitionName('agentops_spans', periodAt('day', d0 - 10 * DAY_MS))));

    const r = await withClient(url, (c) => runMaintenance(c, 'agentops_spans', { interval: 'day', retentionDays: 10, nowMs: now }));
    assert.equal(r.retention, 'applied', r.problems.join('; '));
    assert.deepEqual([...r.retentionResult!.dropped].sort(), expectDropped.sort());
    assert.deepEqual(
      await partitionNames(url),
      before.filter((p) => !expectDropped.includes(p)),
    );
    assert.equal(r.retentionResult!.deletedDefaultRows, 4);
    assert.equal(r.retentionResult!.deadLettersDeleted, 1);
    assert.equal(r.retentionResult!.summariesRemoved, 3, 'the three sessions with no span left');
    assert.equal(r.retentionResult!.summariesRebuilt, 1, 'the straddling session is recomputed');
    assert.equal(await count(url, 'agentops_spans'), 8 + straddling.length - 2);
    assert.equal(await assertSummariesExact(url, 'after retention'), 2);

    const again = await withClient(url, (c) => runMaintenance(c, 'agentops_spans', { interval: 'day', retentionDays: 10, nowMs: now }));
    assert.equal(again.changed, false, 'a second pass has nothing to do');
    assert.deepEqual(again.retentionResult!.dropped, []);
  });

  it('retention refuses to run when the database clock is far from this one: nothing dropped', async () => {
    const url = await createTestDatabase('agentops_part');
    await withClient(url, (c) => migrate(c, 'agentops_spans'));
    const before = await partitionNames(url);
    // This process believes it is three days later than the database does.
    const r = await withClient(url, (c) => runMaintenance(c, 'agentops_spans', { interval: 'day', retentionDays: 1, nowMs: Date.now() + 3 * DAY_MS }));
    assert.equal(r.retention, 'refused');
    assert.match(r.problems.join('\n'), /clock/);
    assert.ok(Math.abs(r.clockSkewMs! + 3 * DAY_MS) < 60_000);
    for (const p of before) assert.ok((await partitionNames(url)).includes(p), `${p} kept`);
  });

  it('agentops-otel maintain: says what it did, is idempotent (exit 0, nothing to do), and two at once do the work once', async () => {
    const url = await createTestDatabase('agentops_part');
    const env = { AGENTOPS_PG_URL: url, AGENTOPS_PG_PARTITION_INTERVAL: 'week', AGENTOPS_PG_RETENTION_DAYS: '30' };
    const mig = await cli(['migrate'], env);
    assert.equal(mig.code, 0, mig.stderr);
    await sql(url, `DROP TABLE ${(await partitionNames(url)).filter((p) => /_w\d{8}$/.test(p)).pop()}`); // one period missing again
    const [a, b] = await Promise.all([cli(['maintain', '--json'], env), cli(['maintain', '--json'], env)]);
    assert.equal(a.code, 0, a.stderr);
    assert.equal(b.code, 0, b.stderr);
    const ra = JSON.parse(a.stdout) as { created: string[]; skipped?: string };
    const rb = JSON.parse(b.stdout) as { created: string[]; skipped?: string };
    assert.equal(ra.created.length + rb.created.length, 1, 'the missing partition is created once');
    for (const r of [ra, rb]) if (r.created.length === 0) assert.ok(r.skipped === undefined || /another process/.test(r.skipped));
    const third = await cli(['maintain'], env);
    assert.equal(third.code, 0, third.stderr);
    assert.match(third.stdout, /one partition per week; retention 30 days\): nothing to do/);
    const json = JSON.parse((await cli(['maintain', '--json'], env)).stdout) as { changed: boolean; retention: string };
    assert.deepEqual([json.changed, json.retention], [false, 'applied']);
  });

  it('bad AGENTOPS_PG_PARTITION_INTERVAL / AGENTOPS_PG_RETENTION_DAYS: one line naming the variable, and the default (nothing dropped)', async () => {
    const url = await createTestDatabase('agentops_part');
    await withClient(url, (c) => migrate(c, 'agentops_spans'));
    const res = await cli(['maintain'], { AGENTOPS_PG_URL: url, AGENTOPS_PG_PARTITION_INTERVAL: 'fortnight', AGENTOPS_PG_RETENTION_DAYS: '30d' });
    assert.equal(res.code, 0, res.stderr);
    assert.match(res.stdout, /one partition per day; retention off\): nothing to do/);
    const lines = res.stderr.split('\n').filter((l) => l.trim() !== '');
    assert.equal(lines.length, 2, res.stderr);
    assert.match(lines[0], /AGENTOPS_PG_PARTITION_INTERVAL: "fortnight" is not a known value; expected one of day, week, month; using the default day/);
    assert.match(lines[1], /AGENTOPS_PG_RETENTION_DAYS: "30d" is not a whole number; expected an integer from 0 to 36500; using the default 0/);
  });

  it('exporters maintain at start-up, one at a time: three starting at once create the missing partitions once, without a problem', async () => {
    const url = await createTestDatabase('agentops_part');
    const now = Date.now();
    await withClient(url, (c) => migrate(c, 'agentops_spans', { nowMs: now - 30 * DAY_MS }));
    const todays = partitionName('agentops_spans', periodAt('day', now));
    assert.ok(!(await partitionNames(url)).includes(todays));
    const warn = sinon.spy(logger, 'limited');
    const exporters = [1, 2, 3].map(() => new PostgresSpanExporter(pgConfig(url)));
    try {
      assert.ok(await eventually(async () => (await partitionNames(url)).length === 9 + 9 + 1, 20_000), `partitions: ${(await partitionNames(url)).join(', ')}`);
      assert.ok((await partitionNames(url)).includes(todays));
      assert.deepEqual(
        warn
          .getCalls()
          .filter((c) => String(c.args[1]).startsWith('pg.maintenance'))
          .map((c) => c.args[2]),
        [],
      );
    } finally {
      warn.restore();
      await Promise.all(exporters.map((e) => e.shutdown()));
    }
  });

  it("the exporter's periodic pass applies AGENTOPS_PG_RETENTION_DAYS and recreates what is missing", async () => {
    const url = await createTestDatabase('agentops_part');
    const now = Date.now();
    await withClient(url, (c) => migrate(c, 'agentops_spans', { nowMs: now - 40 * DAY_MS }));
    await withClient(url, (c) => migrate(c, 'agentops_spans'));
    await withClient(url, (c) => runMaintenance(c, 'agentops_spans', { interval: 'day', retentionDays: 0 }));
    const old = (await partitionNames(url)).filter((p) => p < partitionName('agentops_spans', periodAt('day', now - 30 * DAY_MS)) && p !== 'agentops_spans_default');
    assert.equal(old.length, 9);
    const scheduler = new MaintenanceScheduler(pgConfig(url, { AGENTOPS_PG_RETENTION_DAYS: '10' }), 300);
    scheduler.start();
    try {
      assert.ok(await eventually(async () => (await partitionNames(url)).every((p) => !old.includes(p)), 20_000), 'the old partitions are dropped');
      const todays = partitionName('agentops_spans', periodAt('day', now));
      await sql(url, `DROP TABLE ${todays}`);
      assert.ok(await eventually(async () => (await partitionNames(url)).includes(todays), 20_000), 'a later pass creates it again');
    } finally {
      await scheduler.stop();
    }
  });

  it('schema.sql refuses a version-2 table with one clear line and changes nothing (migrate upgrades it)', async () => {
    const url = await createTestDatabase('agentops_part');
    await sql(url, legacySchemaSql(tableNames('agentops_spans'), 2));
    const r = spawnSync('psql', [url, '-v', 'ON_ERROR_STOP=1', '-q', '-f', path.resolve(__dirname, '..', '..', '..', 'schema.sql')], { encoding: 'utf8' });
    assert.notEqual(r.status, 0);
    assert.match(r.stderr, /table agentops_spans is of schema version 1 or 2: upgrade it with "agentops-otel migrate", which keeps its rows/);
    assert.equal((await sql<{ k: string }>(url, "SELECT relkind::text AS k FROM pg_class WHERE relname = 'agentops_spans'"))[0].k, 'r');
    assert.equal((await sql(url, "SELECT to_regclass('agentops_spans_summary') AS t"))[0].t, null);
  });
});
