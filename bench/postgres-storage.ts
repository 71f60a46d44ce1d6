/**
 * Storage benchmark: the read path at 100,000 and 1,000,000 spans before (version 2: the sessions
 * view aggregates every span) and after the upgrade (partitions, session summaries), the upgrade's
 * own time, and the exporter's ingest rate with partitions and summaries against today's
 * unpartitioned table and against psql's \copy into the same partitioned table.
 *
 * The big tables are built as version 2 tables by COPY of rows made by the exporter's row
 * encoder (writing a million spans through the exporter would only add minutes of the ingest
 * measured apart below), then upgraded with `migrate`, which moves every row through the summary
 * trigger as the exporter's writes go.
 *
 * Run alone: node dist/bench/postgres-storage.js [largest size [smallest size [ingest spans]]]
 * (defaults 1000000 100000 100000)
 */
import { execFileSync, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { ReadableSpan } from '@opentelemetry/sdk-trace-base';
import { Client } from 'pg';
import { ConfigSource } from '../src/config/source';
import { logger } from '../src/shared/logger';
import { PostgresSpanExporter, migrate, readPostgresConfig, runMaintenance } from '../src/exporters/postgres';
import { createPartition, listPartitions, missingPeriods } from '../src/exporters/postgres/maintenance/partitions';
import { periodsAround } from '../src/exporters/postgres/maintenance/periods';
import { tableNames } from '../src/exporters/postgres/identifier';
import { COLUMNS, RowEncoder, encodeCopyLine } from '../src/exporters/postgres/rows';
import { legacySchemaSql } from '../test/helpers/legacy-schema';
import { configureTestServer, createTestDatabase, shutdownTestServer, testServer } from '../test/helpers/postgres';
import { median } from './measure';
import { SPANS_PER_SESSION, bulkLoad, makeSessions } from './storage-data';
import type { BenchRow } from './table';

const READ = 'PostgreSQL storage: read path (sessions listing, trace)';
const UPGRADE = 'PostgreSQL storage: upgrade of a version-2 table (agentops-otel migrate)';
const INGEST = 'PostgreSQL storage: ingest with partitions and session summaries';
const CLI = path.join(__dirname, '..', 'src', 'cli', 'main.js');
const HOUR = 3_600_000;
const DAY = 24 * HOUR;

async function connect(url: string): Promise<Client> {
  const c = new Client({ connectionString: url });
  c.on('error', () => undefined);
  await c.connect();
  await c.query('SET statement_timeout = 0');
  return c;
}

/** The sessions command's query, as src/cli/queries.ts builds it. */
function sessionsQuery(sinceMs?: number): string {
  const since = sinceMs === undefined ? '' : `WHERE start_time >= ${BigInt(Math.floor(sinceMs)) * 1_000_000n}`;
  return `SELECT session_id::text AS session_id, service_name, start_time::text AS start_time, end_time::text AS end_time,
       duration_ns::text AS duration_ns, is_open, end_state, end_state_reason, tags, llm_calls, tool_calls, actions, errors,
       error_spans, spans, input_tokens, output_tokens, total_tokens, cost_usd, models
FROM agentops_sessions s ${since} ORDER BY s.start_time DESC, s.session_id LIMIT 20`;
}

/** Median server time (planning + execution) of `runs` EXPLAIN ANALYZE runs, in ms. */
async function serverMs(c: Client, query: string, runs: number): Promise<number> {
  const samples: number[] = [];
  for (let i = 0; i < runs; i++) {
    const r = await c.query<{ 'QUERY PLAN': Array<{ 'Planning Time': number; 'Execution Time': number }> }>(`EXPLAIN (ANALYZE, FORMAT JSON) ${query}`);
    const p = r.rows[0]['QUERY PLAN'][0];
    samples.push(p['Planning Time'] + p['Execution Time']);
  }
  return median(samples);
}

function cliOnce(url: string, args: string[]): number {
  const t0 = process.hrtime.bigint();
  const r = spawnSync(process.execPath, [CLI, ...args], { env: { ...process.env, AGENTOPS_PG_URL: url, AGENTOPS_LOG_LEVEL: 'error' }, stdio: ['ignore', 'ignore', 'pipe'] });
  if (r.status !== 0) throw new Error(`agentops-otel ${args.join(' ')} exited ${r.status}: ${String(r.stderr)}`);
  return Number(process.hrtime.bigint() - t0) / 1e9;
}

/**
 * Median wall times (s) of a command on the table measured and, alternately, on the one-session
 * table: the machine is shared, so the comparison is made of pairs taken side by side.
 */
function cliPaired(url: string, args: string[], other: { url: string; args: string[] } | undefined, runs: number): { here: number; other: number } {
  const here: number[] = [];
  const there: number[] = [];
  for (let i = 0; i < runs; i++) {
    here.push(cliOnce(url, args));
    if (other) there.push(cliOnce(other.url, other.args));
  }
  return { here: median(here), other: other ? median(there) : NaN };
}

async function someSession(c: Client): Promise<string> {
  const r = await c.query<{ id: string }>('SELECT session_id::text AS id FROM agentops_sessions ORDER BY start_time DESC LIMIT 11');
  return r.rows[r.rows.length - 1].id;
}

interface ReadFigures {
  all: number;
  since: number;
  cliSessions: number;
  cliTrace: number;
  /** The same commands on the one-session table, measured alternately with these. */
  oneSessions: number;
  oneTrace: number;
}

interface OneSession {
  url: string;
  id: string;
}

async function readFigures(url: string, c: Client, queryRuns: number, cliRuns: number, nowMs: number, one?: OneSession): Promise<ReadFigures> {
  const id = await someSession(c);
  const sessions = cliPaired(url, ['sessions', '--limit', '20'], one && { url: one.url, args: ['sessions', '--limit', '20'] }, cliRuns);
  const tr = cliPaired(url, ['trace', id, '--no-attributes'], one && { url: one.url, args: ['trace', one.id, '--no-attributes'] }, cliRuns);
  return {
    all: await serverMs(c, sessionsQuery(), queryRuns),
    since: await serverMs(c, sessionsQuery(nowMs - HOUR), queryRuns),
    cliSessions: sessions.here,
    cliTrace: tr.here,
    oneSessions: sessions.other,
    oneTrace: tr.other,
  };
}

/** Builds a version-2 table of `spans` spans, measures it, upgrades it, measures again. */
async function sizeRun(
  spans: number,
  one: OneSession,
  progress: (l: string) => void,
  opts: { year: boolean },
): Promise<{ before: ReadFigures; after: ReadFigures; upgradeS: number; rows: number; year?: { here: number; other: number; partitions: number } }> {
  const url = await createTestDatabase('agentops_bench_store');
  const c = await connect(url);
  try {
    const n = tableNames('agentops_spans');
    await c.query(legacySchemaSql(n, 2));
    const now = Date.now();
    const t0 = Date.now();
    await bulkLoad(c, 'agentops_spans', spans, now - 7 * DAY, now, (done) => {
      if (done % 100_000 < 500 * SPANS_PER_SESSION) progress(`${spans}: ${done} spans loaded`);
    });
    await c.query('ANALYZE agentops_spans');
    progress(`${spans}: loaded in ${((Date.now() - t0) / 1000).toFixed(0)} s; measuring version 2`);
    const big = spans >= 1_000_000;
    const before = await readFigures(url, c, big ? 2 : 3, big ? 1 : 3, now);
    progress(`${spans}: version 2: sessions query ${before.all.toFixed(0)} ms; upgrading`);
    const u0 = process.hrtime.bigint();
    await migrate(c, 'agentops_spans');
    const m = await runMaintenance(c, 'agentops_spans', { interval: 'day', retentionDays: 0 });
    const upgradeS = Number(process.hrtime.bigint() - u0) / 1e9;
    if (m.backfill?.remaining !== 0 || m.problems.length > 0) throw new Error(`upgrade incomplete: ${JSON.stringify(m)}`);
    const rows = Number((await c.query<{ n: string }>('SELECT count(*) AS n FROM agentops_spans')).rows[0].n);
    progress(`${spans}: upgraded in ${upgradeS.toFixed(1)} s (${rows} rows); measuring`);
    const after = await readFigures(url, c, 15, 7, now, one);
    if (!opts.year) return { before, after, upgradeS, rows };
    // A year of daily partitions (retention 365 days): a trace's query must not read them all.
    const parts = await listPartitions(c, n);
    for (const p of missingPeriods(parts.ranges, periodsAround('day', now, 365, 0))) {
      await c.query('BEGIN');
      await createPartition(c, n, p, parts.hasDefault);
      await c.query('COMMIT');
    }
    const id = await someSession(c);
    const year = cliPaired(url, ['trace', id, '--no-attributes'], { url: one.url, args: ['trace', one.id, '--no-attributes'] }, 7);
    const partitions = (await listPartitions(c, n)).ranges.length;
    return { before, after, upgradeS, rows, year: { ...year, partitions } };
  } finally {
    await c.end();
  }
}

async function oneSessionTable(): Promise<OneSession & { queryMs: number }> {
  const url = await createTestDatabase('agentops_bench_store');
  const c = await connect(url);
  try {
    await migrate(c, 'agentops_spans');
    await bulkLoad(c, 'agentops_spans', SPANS_PER_SESSION, Date.now() - HOUR, Date.now());
    return { url, id: await someSession(c), queryMs: await serverMs(c, sessionsQuery(), 15) };
  } finally {
    await c.end();
  }
}

function exporterConfig(url: string, extra: Record<string, string> = {}): ReturnType<typeof readPostgresConfig> {
  return readPostgresConfig(
    new ConfigSource(
      {
        AGENTOPS_PG_URL: url,
        AGENTOPS_PG_SPOOL_DIR: fs.mkdtempSync(path.join(os.tmpdir(), 'agentops-bench-spool-')),
        AGENTOPS_PG_BUFFER_MAX_SPANS: '10000000',
        AGENTOPS_PG_BUFFER_MAX_BYTES: String(4 * 1024 ** 3),
        AGENTOPS_PG_FLUSH_TIMEOUT_MS: '600000',
        AGENTOPS_PG_FLUSH_INTERVAL_MS: '50',
        ...extra,
      },
      {},
    ),
  );
}

/** The exporter's default path (COPY, pool 4, batch 1000), fed in 512-span batches; spans/s. */
async function exporterRate(url: string, spans: ReadableSpan[], extra: Record<string, string>): Promise<number> {
  const cfg = exporterConfig(url, extra);
  const exp = new PostgresSpanExporter(cfg, { autoReplay: false, maintain: false });
  const t0 = performance.now();
  for (let i = 0; i < spans.length; i += 512) {
    exp.export(spans.slice(i, i + 512), () => undefined);
    await new Promise<void>((r) => setImmediate(r));
  }
  await exp.forceFlush();
  const secs = (performance.now() - t0) / 1000;
  await exp.shutdown();
  fs.rmSync(cfg.spoolDir, { recursive: true, force: true });
  return spans.length / secs;
}

async function freshTable(version: 2 | 3): Promise<string> {
  const url = await createTestDatabase('agentops_bench_ingest');
  const c = await connect(url);
  try {
    if (version === 2) await c.query(legacySchemaSql(tableNames('agentops_spans'), 2));
    else await migrate(c, 'agentops_spans');
  } finally {
    await c.end();
  }
  return url;
}

async function count(url: string): Promise<number> {
  const c = await connect(url);
  try {
    return Number((await c.query<{ n: string }>('SELECT count(*) AS n FROM agentops_spans')).rows[0].n);
  } finally {
    await c.end();
  }
}

async function ingest(n: number, progress: (l: string) => void): Promise<BenchRow[]> {
  const now = Date.now();
  const spans = makeSessions(Math.ceil(n / SPANS_PER_SESSION), now - HOUR, now);
  const file = path.join(os.tmpdir(), `agentops-bench-store-${process.pid}.copy`);
  const enc = new RowEncoder();
  fs.writeFileSync(file, spans.map((s) => encodeCopyLine(enc.toRow(s))).join(''));
  const v2: number[] = [];
  const v3: number[] = [];
  const psql: number[] = [];
  try {
    // Alternated, twice each: the machine is shared, and PostgreSQL's checkpoints come when they come.
    for (let round = 0; round < 2; round++) {
      const a = await freshTable(2);
      v2.push(await exporterRate(a, spans, { AGENTOPS_PG_AUTO_MIGRATE: 'false' }));
      const b = await freshTable(3);
      v3.push(await exporterRate(b, spans, {}));
      if ((await count(b)) !== spans.length) throw new Error('the partitioned table does not hold every span');
      const p = await freshTable(3);
      const t0 = performance.now();
      execFileSync('psql', [p, '-v', 'ON_ERROR_STOP=1', '-q', '-c', `\\copy agentops_spans (${COLUMNS.join(', ')}) FROM '${file}'`], { stdio: ['ignore', 'ignore', 'pipe'] });
      psql.push(spans.length / ((performance.now() - t0) / 1000));
      progress(`ingest round ${round + 1}: version 2 ${v2[round].toFixed(0)}, partitioned ${v3[round].toFixed(0)} spans/s, psql ${psql[round].toFixed(0)} rows/s`);
    }
  } finally {
    fs.rmSync(file, { force: true });
  }
  const [r2, r3, rp] = [median(v2), median(v3), median(psql)];
  const vsToday = (100 * r3) / r2;
  const vsPsql = (100 * r3) / rp;
  return [
    {
      group: INGEST,
      name: "exporter into a version-2 table (unpartitioned, no summaries): today's path",
      value: r2,
      unit: 'spans/s',
      note: `COPY, pool 4, batch 1000; ${spans.length} spans of 30-span sessions; median of 2 runs (${v2.map((v) => v.toFixed(0)).join(', ')})`,
    },
    { group: INGEST, name: 'exporter into the partitioned table, summaries kept by the trigger', value: r3, unit: 'spans/s', note: `median of 2 runs (${v3.map((v) => v.toFixed(0)).join(', ')})` },
    {
      group: INGEST,
      name: 'psql \\copy of the same rows into the same partitioned table',
      value: rp,
      unit: 'rows/s',
      note: `one connection; median of 2 runs (${psql.map((v) => v.toFixed(0)).join(', ')})`,
    },
    { group: INGEST, name: "partitioned + summaries / today's path", value: vsToday, unit: '%', note: `target ≥ 80%: ${vsToday >= 80 ? 'met' : 'NOT met'}` },
    { group: INGEST, name: 'partitioned + summaries / psql \\copy into the same table', value: vsPsql, unit: '%', note: `target ≥ 80%: ${vsPsql >= 80 ? 'met' : 'NOT met'}` },
  ];
}

/** A command's time against the same command on the one-session table (target: at most 0.15 s more). */
function vsOneSession(here: number, other: number): string {
  const d = here - other;
  return `one-session table ${other.toFixed(2)} s (alternated); ${d >= 0 ? '+' : ''}${d.toFixed(2)} s (target ≤ +0.15 s: ${d <= 0.15 ? 'met' : 'NOT met'})`;
}

export async function runStorageBench(opts: { largest?: number; smallest?: number; ingestSpans?: number; progress?: (line: string) => void } = {}): Promise<BenchRow[]> {
  const progress = opts.progress ?? (() => undefined);
  const sizes = [opts.smallest ?? 100_000, opts.largest ?? 1_000_000];
  configureTestServer({ durable: true });
  const level = logger.level;
  logger.level = 'error';
  const rows: BenchRow[] = [];
  try {
    const server = await testServer();
    progress(`server on port ${server.port}`);
    const one = await oneSessionTable();
    const results = [];
    for (const size of sizes) results.push({ size, ...(await sizeRun(size, one, progress, { year: size === sizes[sizes.length - 1] })) });
    const [small, large] = results;
    const label = (n: number): string => n.toLocaleString('en-US');
    for (const r of results) {
      rows.push(
        {
          group: READ,
          name: `${label(r.size)} spans, version 2: sessions query (ORDER BY start_time DESC LIMIT 20)`,
          value: r.before.all,
          unit: 'ms',
          note: 'server time (planning + execution); the view aggregates every span',
        },
        { group: READ, name: `${label(r.size)} spans, version 2: the same with --since 1h`, value: r.before.since, unit: 'ms', note: 'server time' },
        { group: READ, name: `${label(r.size)} spans, version 2: agentops-otel sessions --limit 20`, value: r.before.cliSessions, unit: 's', note: 'wall time of the command' },
        {
          group: READ,
          name: `${label(r.size)} spans: sessions query`,
          value: r.after.all,
          unit: 'ms',
          note: `server time; target < 50 ms: ${r.after.all < 50 ? 'met' : 'NOT met'}${r === large ? `; ${(r.after.all / small.after.all).toFixed(2)}x the ${label(small.size)}-span time (target ≤ 2x: ${r.after.all <= 2 * small.after.all ? 'met' : 'NOT met'})` : ''}`,
        },
        {
          group: READ,
          name: `${label(r.size)} spans: sessions query with --since 1h`,
          value: r.after.since,
          unit: 'ms',
          note: `server time; target < 50 ms: ${r.after.since < 50 ? 'met' : 'NOT met'}${r === large ? `; ${(r.after.since / small.after.since).toFixed(2)}x the ${label(small.size)}-span time (target ≤ 2x: ${r.after.since <= 2 * small.after.since ? 'met' : 'NOT met'})` : ''}`,
        },
        {
          group: READ,
          name: `${label(r.size)} spans: agentops-otel sessions --limit 20`,
          value: r.after.cliSessions,
          unit: 's',
          note: vsOneSession(r.after.cliSessions, r.after.oneSessions),
        },
        {
          group: READ,
          name: `${label(r.size)} spans: agentops-otel trace <id>`,
          value: r.after.cliTrace,
          unit: 's',
          note: vsOneSession(r.after.cliTrace, r.after.oneTrace),
        },
      );
    }
    if (large.year) {
      const y = large.year;
      rows.push({
        group: READ,
        name: `${label(large.size)} spans, ${y.partitions} daily partitions (a year back, a week ahead): agentops-otel trace <id>`,
        value: y.here,
        unit: 's',
        note: vsOneSession(y.here, y.other),
      });
    }
    rows.push({ group: READ, name: 'one-session table: sessions query', value: one.queryMs, unit: 'ms', note: 'server time' });
    for (const r of results) {
      rows.push({
        group: UPGRADE,
        name: `${label(r.size)} spans: rename, then move every row through the summary trigger`,
        value: r.upgradeS,
        unit: 's',
        note: `${((r.upgradeS * 1_000_000) / r.rows).toFixed(0)} s per million rows; ${r.rows} rows after, as before`,
      });
    }
    if ((opts.ingestSpans ?? 100_000) > 0) rows.push(...(await ingest(opts.ingestSpans ?? 100_000, progress)));
  } finally {
    logger.level = level;
    await shutdownTestServer();
  }
  return rows;
}

if (require.main === module) {
  const [largest, smallest, ingestSpans] = process.argv.slice(2).map(Number);
  runStorageBench({ largest, smallest, ingestSpans, progress: (l) => console.error(l) })
    .then((rows) => {
      const { toMarkdown } = require('./table') as typeof import('./table');
      console.log(toMarkdown(rows));
      process.exit(0);
    })
    .catch((err) => {
      console.error(err);
      process.exit(1);
    });
}

/** For bench/run.ts. */
export function run(): Promise<BenchRow[]> {
  return runStorageBench({ progress: (line) => process.stderr.write(`  ${line}\n`) });
}
