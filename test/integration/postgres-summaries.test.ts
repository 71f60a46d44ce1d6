/**
 * Session summaries against a real PostgreSQL: after retries, spool replays, concurrent writers
 * and an upgrade from version 2 with data, agentops_sessions equals exactly what the version-2
 * view computes from the spans stored (the reference), and no span is stored twice.
 */
import * as assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import * as path from 'node:path';
import type { ReadableSpan } from '@opentelemetry/sdk-trace-base';
import { migrate, PostgresSpanExporter } from '../../src/exporters/postgres';
import { tableNames } from '../../src/exporters/postgres/identifier';
import { legacySchemaSql } from '../helpers/legacy-schema';
import { createTestDatabase, sql, tempDir } from '../helpers/postgres';
import { FAST_RETRY, pgConfig } from './postgres-support';
import { DAY_MS, assertSummariesExact, count, exportAll, installReference, sessionSpans, withClient, loggerLevelDuring } from './storage-support';

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

/** Sessions of every shape: ended and open, with and without errors, over several days. */
function workload(sessions: number, now = Date.now()): ReadableSpan[] {
  const out: ReadableSpan[] = [];
  for (let i = 0; i < sessions; i++) out.push(...sessionSpans({ startMs: now - (i % 3) * DAY_MS - i * 1000, llms: i % 5, tools: i % 3, errors: i % 4 === 0 ? 1 : 0, ended: i % 7 !== 3 }));
  return out;
}

async function distinctSpans(url: string): Promise<{ n: number; d: number }> {
  return (await sql<{ n: number; d: number }>(url, 'SELECT count(*)::int AS n, count(DISTINCT (trace_id, span_id))::int AS d FROM agentops_spans'))[0];
}

function shuffle<T>(a: T[], seed: number): T[] {
  let x = seed;
  const rnd = (): number => (x = (x * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
  for (let i = a.length - 1; i > 0; i--) {
    const j = Math.floor(rnd() * (i + 1));
    [a[i], a[j]] = [a[j], a[i]];
  }
  return a;
}

describe('postgres storage: session summaries, exactly once', function () {
  this.timeout(180_000);
  loggerLevelDuring('warn');

  it('a retried batch (the same spans written again) counts once', async () => {
    const url = await createTestDatabase('agentops_sum');
    const spans = workload(40);
    await (await exportAll(pgConfig(url), spans)).shutdown();
    await installReference(url);
    await assertSummariesExact(url, 'first write');
    // Again, whole and in other batches: COPY hits the key, the batch goes through the idempotent path.
    await (await exportAll(pgConfig(url), spans, { batch: 7 })).shutdown();
    assert.deepEqual(await distinctSpans(url), { n: spans.length, d: spans.length });
    assert.equal(await assertSummariesExact(url, 'after the retry'), 40);
  });

  it('a spool file replayed over spans already stored counts once', async () => {
    const url = await createTestDatabase('agentops_sum');
    const spoolDir = tempDir();
    const spans = workload(30);
    // A process that cannot reach the database spools at its exit…
    const dead = pgConfig('postgres://postgres:x@127.0.0.1:1/none', { ...FAST_RETRY, AGENTOPS_PG_SPOOL_DIR: spoolDir, AGENTOPS_PG_SHUTDOWN_TIMEOUT_MS: '100', AGENTOPS_PG_AUTO_MIGRATE: 'false' });
    const e1 = new PostgresSpanExporter(dead, { autoReplay: false, maintain: false });
    e1.export(spans, () => undefined);
    await e1.shutdown();
    // …while half of the same spans reached the database another way.
    await (await exportAll(pgConfig(url), spans.slice(0, spans.length / 2))).shutdown();
    await installReference(url);
    const live = new PostgresSpanExporter(pgConfig(url, { AGENTOPS_PG_SPOOL_DIR: spoolDir }), { autoReplay: false, maintain: false });
    const r = await live.replaySpoolNow();
    await live.shutdown();
    assert.equal(r.rows, spans.length, JSON.stringify(r));
    assert.equal(r.remainingFiles, 0);
    assert.deepEqual(await distinctSpans(url), { n: spans.length, d: spans.length });
    assert.equal(await assertSummariesExact(url, 'after the replay'), 30);
    // The same file once more (a replay cut short before its delete, say): still once.
    await (await exportAll(pgConfig(url), spans)).shutdown();
    await assertSummariesExact(url, 'after a second replay');
  });

  it('concurrent writers of the same sessions (each span sent by two of them) count each span once', async () => {
    const url = await createTestDatabase('agentops_sum');
    await withClient(url, (c) => migrate(c, 'agentops_spans'));
    const spans = workload(60);
    const writers = 4;
    const parts: ReadableSpan[][] = Array.from({ length: writers }, () => []);
    spans.forEach((s, i) => {
      parts[i % writers].push(s);
      parts[(i + 1 + (i % (writers - 1))) % writers].push(s);
    });
    const cfg = { AGENTOPS_PG_BATCH_SIZE: '16', AGENTOPS_PG_POOL_SIZE: '4' };
    const exporters = await Promise.all(parts.map((p, i) => exportAll(pgConfig(url, cfg), shuffle(p, i + 1), { batch: 5 })));
    await Promise.all(exporters.map((e) => e.shutdown()));
    await installReference(url);
    assert.deepEqual(await distinctSpans(url), { n: spans.length, d: spans.length });
    assert.equal(await assertSummariesExact(url, 'after concurrent writers'), 60);
  });

  it('migrate upgrades a version-2 table with data in place: every row kept, writes during the upgrade kept, summaries built; twice is harmless', async () => {
    const url = await createTestDatabase('agentops_sum');
    const n = tableNames('agentops_spans');
    await sql(url, legacySchemaSql(n, 2));
    const old = workload(50, Date.now() - 40 * DAY_MS);
    const ongoing = workload(10);
    // Written by an earlier release: a plain table, the views computing from the spans.
    const v2 = { AGENTOPS_PG_AUTO_MIGRATE: 'false' };
    await (await exportAll(pgConfig(url, v2), [...old, ...ongoing.slice(0, 20)])).shutdown();
    const beforeOld = await sql(url, 'SELECT * FROM agentops_sessions ORDER BY session_id');
    const rows = await count(url, 'agentops_spans');

    // The upgrade's first step (what an exporter of this release does at start-up): writers go on.
    const first = await withClient(url, (c) => migrate(c, 'agentops_spans'));
    assert.deepEqual([first.from, first.applied, first.legacyTable], [2, [3, 4], 'agentops_spans_v2']);
    assert.equal(await count(url, 'agentops_spans_v2'), rows, 'the old rows wait, all of them');
    await (await exportAll(pgConfig(url), [...ongoing, ...old.slice(0, 30)])).shutdown(); // new spans, and old ones sent again
    const res = await cli(['migrate'], { AGENTOPS_PG_URL: url });
    assert.equal(res.code, 0, res.stderr);
    assert.match(res.stdout, /up to date \(version 4\)/);
    assert.match(res.stdout, new RegExp(`rows of the upgraded table moved: ${rows - 50}; partitions for them: .*; the old table is dropped`));
    assert.equal(await count(url, 'agentops_spans'), old.length + ongoing.length);
    assert.equal((await sql(url, "SELECT to_regclass('agentops_spans_v2') AS t"))[0].t, null);
    await installReference(url);
    assert.equal(await assertSummariesExact(url, 'after the upgrade'), 60);
    const afterOld = await sql(url, `SELECT * FROM agentops_sessions WHERE start_time < ${BigInt(Date.now() - 20 * DAY_MS) * 1_000_000n} ORDER BY session_id`);
    assert.deepEqual(
      afterOld,
      beforeOld.filter((s) => BigInt(String(s.start_time)) < BigInt(Date.now() - 20 * DAY_MS) * 1_000_000n),
      'the old sessions read exactly as before',
    );

    const again = await cli(['migrate', '--json'], { AGENTOPS_PG_URL: url });
    assert.equal(again.code, 0, again.stderr);
    const j = JSON.parse(again.stdout) as { applied: number[]; maintenance: { changed: boolean } };
    assert.deepEqual([j.applied, j.maintenance.changed], [[], false]);
    assert.equal(await count(url, 'agentops_spans'), old.length + ongoing.length);
    await assertSummariesExact(url, 'after migrating twice');
  });
});
