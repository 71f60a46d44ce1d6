/**
 * Sustained load: 1,000 concurrent sessions x 100 events, both exporters on (OTLP to a loopback
 * sink, PostgreSQL to an embedded server), at the highest rate the machine allows; then the same
 * paced over ~90 s with PostgreSQL down for 60 s in the middle. Reports spans/s created and
 * stored, event-loop delay p99 with and without the preload, and RSS over time.
 */
import { execFileSync, spawn } from 'node:child_process';
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import * as os from 'node:os';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { configureTestServer, createTestDatabase, shutdownTestServer, sql, startServer, stopServer } from '../test/helpers/postgres';
import type { BenchRow } from './table';

const GROUP = 'Sustained load (1,000 sessions x 100 events, both exporters)';
const APP = path.join(__dirname, 'sustained-load-app.js');
const PRELOAD = path.join(__dirname, '..', 'register.js');
const CLI = path.join(__dirname, '..', 'src', 'cli', 'main.js');

interface AppResult {
  events: number;
  spans: number;
  ms: number;
  eventsPerSec: number;
  loopDelayP99Ms: number;
  loopDelayMaxMs: number;
  rssMaxBytes: number;
  rss: Array<[number, number]>;
}

/** An OTLP endpoint that accepts and discards, counting requests: Jaeger's cost is not ours to measure. */
async function sink(): Promise<{ url: string; requests: () => number; close(): Promise<void> }> {
  let n = 0;
  const server = http.createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      n++;
      res.writeHead(200, { 'content-type': 'application/x-protobuf' }).end();
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as AddressInfo;
  return { url: `http://127.0.0.1:${port}/v1/traces`, requests: () => n, close: () => new Promise((r) => server.close(() => r())) };
}

function runApp(env: Record<string, string>, preload: boolean, onStarted?: () => void): Promise<AppResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [...(preload ? ['--require', PRELOAD] : []), APP], { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => {
      out += d;
      if (onStarted && out.includes('started')) {
        onStarted();
        onStarted = undefined;
      }
    });
    child.stderr.setEncoding('utf8').on('data', (d: string) => (err += d.slice(-20000)));
    child.on('close', (code) => {
      const line = out.split('\n').find((l) => l.startsWith('{'));
      if (code !== 0 || line === undefined) return reject(new Error(`app exited ${code}: ${err.slice(-2000)}`));
      resolve(JSON.parse(line) as AppResult);
    });
  });
}

async function countRows(url: string): Promise<number> {
  return Number((await sql(url, 'SELECT count(*)::int AS n FROM agentops_spans'))[0].n);
}

async function waitForRows(url: string, expected: number, timeoutMs: number): Promise<{ rows: number; at: number }> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const rows = await countRows(url).catch(() => 0);
    if (rows >= expected || Date.now() > until) return { rows, at: Date.now() };
    await new Promise((r) => setTimeout(r, 200));
  }
}

/** Rows waiting in a spool directory (each file: a header line, then one row per line). */
function spoolRows(dir: string): number {
  let n = 0;
  for (const f of fs.readdirSync(dir)) {
    if (!f.includes('.spool')) continue;
    const lines = fs
      .readFileSync(path.join(dir, f), 'utf8')
      .split('\n')
      .filter((l) => l !== '');
    n += Math.max(0, lines.length - 1);
  }
  return n;
}

const mib = (b: number) => b / 2 ** 20;

export async function run(): Promise<BenchRow[]> {
  configureTestServer({ durable: true });
  const rows: BenchRow[] = [];
  const otlp = await sink();
  const spools: string[] = [];
  const newSpool = (): string => {
    const d = fs.mkdtempSync(path.join(os.tmpdir(), 'agentops-bench-spool-'));
    spools.push(d);
    return d;
  };
  try {
    const base = { SESSIONS: '1000', EVENTS: '100', AGENTOPS_LOG_LEVEL: 'error', OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: otlp.url, OTEL_BSP_MAX_QUEUE_SIZE: '200000' };

    // Full speed. The app creates spans faster than one PostgreSQL takes them: what exceeds the
    // exporter's memory buffer goes to the spool, and the next start (here: `agentops-otel replay`)
    // stores it. Both parts are reported.
    const bare = await runApp({ ...base, PACE_MS: '0' }, false);
    const db = await createTestDatabase('agentops_bench_load');
    const spool = newSpool();
    const started = Date.now();
    const traced = await runApp({ ...base, PACE_MS: '0', AGENTOPS_PG_URL: db, AGENTOPS_PG_SPOOL_DIR: spool }, true);
    const exited = Date.now();
    const atExit = await countRows(db);
    const spooled = spoolRows(spool);
    execFileSync(process.execPath, [CLI, 'replay'], { env: { ...process.env, AGENTOPS_PG_URL: db, AGENTOPS_PG_SPOOL_DIR: spool, AGENTOPS_LOG_LEVEL: 'error' }, stdio: 'ignore' });
    // The app's replay helper may hold a spool file the command could not claim: wait for it.
    const { rows: total, at: replayed } = await waitForRows(db, traced.spans, 60_000);
    const appSecs = (exited - started) / 1000;
    rows.push(
      { group: GROUP, name: 'events/s recorded, without the preload', value: bare.eventsPerSec, unit: 'events/s' },
      {
        group: GROUP,
        name: 'events/s recorded, with the preload (spans created)',
        value: traced.eventsPerSec,
        unit: 'spans/s',
        note: `${traced.spans.toLocaleString('en-US')} spans in ${(traced.ms / 1000).toFixed(1)} s`,
      },
      {
        group: GROUP,
        name: 'rows stored by the app itself (until its exit)',
        value: atExit / appSecs,
        unit: 'rows/s',
        note: `${atExit.toLocaleString('en-US')} rows in ${appSecs.toFixed(1)} s from start to exit; ${spooled.toLocaleString('en-US')} rows left in the spool at exit (overflow past AGENTOPS_PG_BUFFER_MAX_SPANS=20000 is spooled and replayed by the exporter itself while the database answers)`,
      },
      {
        group: GROUP,
        name: "rows after `agentops-otel replay` (and the app's replay helper)",
        value: total,
        unit: 'rows',
        note: `${total === traced.spans ? 'all' : 'NOT all'} of ${traced.spans.toLocaleString('en-US')}, exactly once; complete ${((replayed - exited) / 1000).toFixed(1)} s after the exit`,
      },
      { group: GROUP, name: 'event-loop delay p99, without the preload', value: bare.loopDelayP99Ms, unit: 'ms', note: `max ${bare.loopDelayMaxMs.toFixed(1)} ms` },
      { group: GROUP, name: 'event-loop delay p99, with the preload', value: traced.loopDelayP99Ms, unit: 'ms', note: `max ${traced.loopDelayMaxMs.toFixed(1)} ms` },
      { group: GROUP, name: 'RSS max, with the preload', value: mib(traced.rssMaxBytes), unit: 'MiB', note: `without: ${mib(bare.rssMaxBytes).toFixed(0)} MiB` },
      { group: GROUP, name: 'OTLP export requests to the sink', value: otlp.requests(), unit: 'requests' },
    );

    // Paced over ~90 s, PostgreSQL down from 15 s to 75 s.
    const db2 = await createTestDatabase('agentops_bench_outage');
    const bufferMax = 64 * 2 ** 20;
    let downAt = 0;
    let upAt = 0;
    const timers: NodeJS.Timeout[] = [];
    const outage = await runApp(
      { ...base, PACE_MS: '900', AGENTOPS_PG_URL: db2, AGENTOPS_PG_SPOOL_DIR: newSpool(), AGENTOPS_PG_BUFFER_MAX_BYTES: String(bufferMax), AGENTOPS_PG_RETRY_MAX_DELAY_MS: '2000' },
      true,
      () => {
        const t0 = Date.now();
        timers.push(setTimeout(() => void stopServer().then(() => (downAt = Date.now() - t0)), 15_000));
        timers.push(setTimeout(() => void startServer().then(() => (upAt = Date.now() - t0)), 75_000));
      },
    );
    await startServer();
    const after = await waitForRows(db2, outage.spans, 180_000);
    const during = outage.rss.filter(([t]) => t >= downAt && t <= upAt).map(([, b]) => b);
    rows.push(
      {
        group: 'PostgreSQL down for 60 s during sustained load',
        name: 'spans recorded (paced, ~1,100 events/s)',
        value: outage.spans,
        unit: 'spans',
        note: `over ${(outage.ms / 1000).toFixed(0)} s; database down from ${(downAt / 1000).toFixed(0)} s to ${(upAt / 1000).toFixed(0)} s`,
      },
      {
        group: 'PostgreSQL down for 60 s during sustained load',
        name: 'rows stored after recovery',
        value: after.rows,
        unit: 'rows',
        note: after.rows === outage.spans ? 'all of them, exactly once (primary key)' : 'NOT all',
      },
      {
        group: 'PostgreSQL down for 60 s during sustained load',
        name: 'RSS max while the database was down',
        value: mib(Math.max(0, ...during)),
        unit: 'MiB',
        note: `documented bound: base RSS + 2 x AGENTOPS_PG_BUFFER_MAX_BYTES (${mib(bufferMax)} MiB); base without preload ${mib(bare.rssMaxBytes).toFixed(0)} MiB at full speed`,
      },
      {
        group: 'PostgreSQL down for 60 s during sustained load',
        name: 'event-loop delay p99 during the paced run',
        value: outage.loopDelayP99Ms,
        unit: 'ms',
        note: `max ${outage.loopDelayMaxMs.toFixed(1)} ms`,
      },
    );
    for (const t of timers) clearTimeout(t);
  } finally {
    await otlp.close();
    for (const d of spools) fs.rmSync(d, { recursive: true, force: true });
    await shutdownTestServer();
  }
  return rows;
}

if (require.main === module) {
  void run().then((r) => console.table(r));
}
