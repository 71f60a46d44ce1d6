/**
 * The export engine's figures, each beside its baseline from the same run: bursts delivered
 * complete to both destinations, event-loop delay and memory with and without the preload, the
 * exit bound when the OTLP receiver hangs, resets or refuses, recovery after a receiver outage,
 * and delivery after process.exit(), an uncaught exception and an unhandled rejection.
 */
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { configureTestServer, createTestDatabase, shutdownTestServer, sql } from '../test/helpers/postgres';
import { OtlpSink, type SinkMode } from './otlp-sink';
import type { BenchRow } from './table';

const APP = path.join(__dirname, 'sustained-load-app.js');
const PRELOAD = path.join(__dirname, '..', 'register.js');

interface AppRun {
  code: number | null;
  out: { spans: number; loopDelayP99Ms: number; loopDelayMaxMs: number; rssMaxBytes: number; heapMaxBytes: number; eventsPerSec: number } | undefined;
  /** ms from the app's last line (its work done) to the process's end. */
  exitMs: number;
  endedAt: number;
  stderr: string;
}

function runApp(env: Record<string, string>, preload: boolean, onStart?: () => void): Promise<AppRun> {
  return new Promise((resolve) => {
    const clean: NodeJS.ProcessEnv = {};
    for (const [k, v] of Object.entries(process.env)) if (!k.startsWith('AGENTOPS_') && !k.startsWith('OTEL_')) clean[k] = v;
    const child = spawn(process.execPath, [...(preload ? ['--require', PRELOAD] : []), APP], { env: { ...clean, AGENTOPS_LOG_LEVEL: 'error', ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    let lastWork = 0;
    child.stdout.setEncoding('utf8').on('data', (d: string) => {
      out += d;
      if (onStart && out.includes('started')) {
        onStart();
        onStart = undefined;
      }
      if (lastWork === 0 && out.includes('{"events"')) lastWork = Date.now();
    });
    child.stderr.setEncoding('utf8').on('data', (d: string) => (err = (err + d).slice(-20000)));
    child.on('close', (code) => {
      const endedAt = Date.now();
      const line = out.split('\n').find((l) => l.startsWith('{'));
      resolve({ code, out: line ? JSON.parse(line) : undefined, exitMs: lastWork > 0 ? endedAt - lastWork : NaN, endedAt, stderr: err });
    });
  });
}

async function tableCounts(url: string): Promise<{ n: number; d: number }> {
  const [r] = await sql<{ n: number; d: number }>(url, 'SELECT count(*)::int AS n, count(DISTINCT span_id)::int AS d FROM agentops_spans').catch(() => [{ n: 0, d: 0 }]);
  return r;
}

/** Polls until both destinations hold `spans` distinct spans; ms waited, or NaN on timeout. */
async function untilComplete(db: string | undefined, sink: OtlpSink, spans: number, timeoutMs: number): Promise<number> {
  const t0 = Date.now();
  for (;;) {
    const pg = db === undefined ? spans : (await tableCounts(db)).d;
    if (pg >= spans && sink.distinct() >= spans) return Date.now() - t0;
    if (Date.now() - t0 > timeoutMs) return NaN;
    await new Promise((r) => setTimeout(r, 100));
  }
}

const mib = (b: number): number => b / 2 ** 20;
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

export async function run(): Promise<BenchRow[]> {
  configureTestServer({ durable: true });
  const rows: BenchRow[] = [];
  // A fresh receiver per scenario: a replay helper of an earlier one may still deliver to its own.
  let sink = await OtlpSink.start();
  const freshSink = async (): Promise<void> => {
    await sink.close();
    sink = await OtlpSink.start();
  };
  const dirs: string[] = [];
  const dir = (): string => {
    const d = fs.mkdtempSync(path.join(os.tmpdir(), 'agentops-bench-engine-'));
    dirs.push(d);
    return d;
  };
  const env = async (extra: Record<string, string> = {}): Promise<Record<string, string>> => ({
    OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: sink.url,
    AGENTOPS_PG_URL: await createTestDatabase('agentops_bench_engine'),
    AGENTOPS_PG_SPOOL_DIR: dir(),
    AGENTOPS_OTLP_SPOOL_DIR: dir(),
    ...extra,
  });
  try {
    // Bursts at full speed, both destinations healthy: complete when the process has ended?
    let G = 'Export engine: bursts at full speed, both exporters healthy';
    for (const sessions of [300, 1000]) {
      const bare = await runApp({ SESSIONS: String(sessions), EVENTS: '100', PACE_MS: '0' }, false);
      // The floor of any OpenTelemetry-based tracer: the same spans made by the app, exported nowhere.
      const floor = await runApp({ SESSIONS: String(sessions), EVENTS: '100', PACE_MS: '0', RAW_OTEL: '1' }, false);
      await freshSink();
      const e = await env();
      const traced = await runApp({ ...e, SESSIONS: String(sessions), EVENTS: '100', PACE_MS: '0' }, true);
      const spans = traced.out?.spans ?? NaN;
      const pg = await tableCounts(e.AGENTOPS_PG_URL);
      const atExit = { pg: pg.d, otlp: sink.distinct(), dupPg: pg.n - pg.d, dupOtlp: sink.duplicates };
      const completeMs = await untilComplete(e.AGENTOPS_PG_URL, sink, spans, 90_000);
      const after = await tableCounts(e.AGENTOPS_PG_URL);
      const label = `${sessions.toLocaleString('en-US')} x 100`;
      rows.push(
        {
          group: G,
          name: `${label}: spans in PostgreSQL when the process has ended`,
          value: (100 * atExit.pg) / spans,
          unit: '%',
          note: `${atExit.pg.toLocaleString('en-US')} of ${spans.toLocaleString('en-US')}, ${atExit.dupPg} duplicates; no replay command`,
        },
        {
          group: G,
          name: `${label}: spans at the OTLP receiver when the process has ended`,
          value: (100 * atExit.otlp) / spans,
          unit: '%',
          note: `${atExit.otlp.toLocaleString('en-US')} of ${spans.toLocaleString('en-US')}, ${atExit.dupOtlp} duplicates`,
        },
        {
          group: G,
          name: `${label}: both destinations complete (the replay helper delivers what the exit spooled)`,
          value: completeMs / 1000,
          unit: 's after the exit',
          note: `${after.d} rows, ${sink.distinct()} at the receiver; duplicates: ${after.n - after.d} rows, ${sink.duplicates} at the receiver`,
        },
        {
          group: G,
          name: `${label}: event-loop delay p99, with / without the preload`,
          value: (traced.out?.loopDelayP99Ms ?? NaN) / (bare.out?.loopDelayP99Ms ?? NaN),
          unit: 'x',
          note: `${traced.out?.loopDelayP99Ms.toFixed(1)} ms vs ${bare.out?.loopDelayP99Ms.toFixed(1)} ms; target ≤ 2x`,
        },
        {
          group: G,
          name: `${label}: event-loop delay p99, the same spans made with the OpenTelemetry SDK and exported nowhere / without the preload`,
          value: (floor.out?.loopDelayP99Ms ?? NaN) / (bare.out?.loopDelayP99Ms ?? NaN),
          unit: 'x',
          note: `${floor.out?.loopDelayP99Ms.toFixed(1)} ms: the floor of any tracer that makes OpenTelemetry SDK spans on the app's thread`,
        },
        {
          group: G,
          name: `${label}: event-loop delay p99, with the preload / that OpenTelemetry floor`,
          value: (traced.out?.loopDelayP99Ms ?? NaN) / (floor.out?.loopDelayP99Ms ?? NaN),
          unit: 'x',
          note: 'what export to both destinations adds to span creation',
        },
        {
          group: G,
          name: `${label}: peak RSS, with / without the preload`,
          value: (traced.out?.rssMaxBytes ?? NaN) / (bare.out?.rssMaxBytes ?? NaN),
          unit: 'x',
          note: `${mib(traced.out?.rssMaxBytes ?? NaN).toFixed(0)} MiB vs ${mib(bare.out?.rssMaxBytes ?? NaN).toFixed(0)} MiB (the app's thread's heap: ${mib(traced.out?.heapMaxBytes ?? NaN).toFixed(0)} vs ${mib(bare.out?.heapMaxBytes ?? NaN).toFixed(0)} MiB; the rest is the export worker and native memory); the OpenTelemetry floor: ${mib(floor.out?.rssMaxBytes ?? NaN).toFixed(0)} MiB; target ≤ 2x`,
        },
        {
          group: G,
          name: `${label}: events/s recorded, with / without the preload`,
          value: (traced.out?.eventsPerSec ?? NaN) / (bare.out?.eventsPerSec ?? NaN),
          unit: 'x',
          note: `${Math.round(traced.out?.eventsPerSec ?? 0).toLocaleString('en-US')} vs ${Math.round(bare.out?.eventsPerSec ?? 0).toLocaleString('en-US')} events/s; the OpenTelemetry floor: ${Math.round(floor.out?.eventsPerSec ?? 0).toLocaleString('en-US')} events/s`,
        },
      );
    }

    // Paced at ~2,000 events/s (200 sessions, one event each per 100 ms).
    G = 'Export engine: paced at ~2,000 events/s, both exporters healthy';
    const paced = { SESSIONS: '200', EVENTS: '100', PACE_MS: '100' };
    const pacedBare = await runApp(paced, false);
    const pacedTraced = await runApp({ ...(await env()), ...paced }, true);
    const added = (pacedTraced.out?.loopDelayP99Ms ?? NaN) - (pacedBare.out?.loopDelayP99Ms ?? NaN);
    rows.push(
      { group: G, name: 'event-loop delay p99, without the preload', value: pacedBare.out?.loopDelayP99Ms ?? NaN, unit: 'ms', note: `${Math.round(pacedBare.out?.eventsPerSec ?? 0)} events/s` },
      {
        group: G,
        name: 'event-loop delay p99, with the preload',
        value: pacedTraced.out?.loopDelayP99Ms ?? NaN,
        unit: 'ms',
        note: `+${added.toFixed(1)} ms; target ≤ +5 ms: ${added <= 5 ? 'met' : 'NOT met'}`,
      },
    );

    // The OTLP receiver hangs, resets or refuses: the natural exit stays bounded, PostgreSQL complete.
    G = 'Export engine: OTLP receiver failing at exit (AGENTOPS_SHUTDOWN_TIMEOUT_MS=5000)';
    for (const mode of ['hang', 'reset', 'refuse'] as SinkMode[]) {
      await freshSink();
      await sink.setMode(mode);
      const e = await env();
      const r = await runApp({ ...e, SESSIONS: '50', EVENTS: '20', PACE_MS: '0' }, true);
      await sink.setMode('ok');
      const pg = await tableCounts(e.AGENTOPS_PG_URL);
      rows.push({
        group: G,
        name: `receiver ${mode === 'refuse' ? 'refusing connections' : mode === 'hang' ? 'accepting and never answering' : 'resetting connections'}: exit after the app's last work`,
        value: r.exitMs,
        unit: 'ms',
        note: `target ≤ 6000 ms; PostgreSQL ${pg.d === r.out?.spans ? 'complete' : `INCOMPLETE (${pg.d} of ${r.out?.spans})`} at exit`,
      });
      await sleep(200);
    }

    // The receiver down for 15 s in a paced run (~1,000 events/s), then back.
    G = 'Export engine: OTLP receiver down for 15 s during a paced run (~1,000 events/s)';
    await freshSink();
    const e = await env();
    let upAt = 0;
    const timers: NodeJS.Timeout[] = [];
    const outage = await runApp({ ...e, SESSIONS: '100', EVENTS: '300', PACE_MS: '100' }, true, () => {
      timers.push(setTimeout(() => void sink.setMode('refuse'), 5000));
      timers.push(setTimeout(() => void sink.setMode('ok').then(() => (upAt = Date.now())), 20_000));
    });
    const spans = outage.out?.spans ?? NaN;
    const completeMs = await untilComplete(e.AGENTOPS_PG_URL, sink, spans, 60_000);
    const completeAfterReturn = outage.endedAt + completeMs - upAt;
    rows.push(
      { group: G, name: 'spans at the receiver', value: sink.distinct(), unit: 'spans', note: `of ${spans.toLocaleString('en-US')}; ${sink.duplicates} duplicates` },
      { group: G, name: "time from the receiver's return until it holds every span", value: completeAfterReturn / 1000, unit: 's', note: 'target ≤ 30 s' },
      { group: G, name: 'event-loop delay p99 of that run', value: outage.out?.loopDelayP99Ms ?? NaN, unit: 'ms' },
    );
    for (const t of timers) clearTimeout(t);

    // The receiver down for a whole run: the next run (or the first run's replay helper) delivers.
    G = 'Export engine: OTLP receiver down for a whole run';
    await freshSink();
    const shared = await env();
    await sink.setMode('refuse');
    const first = await runApp({ ...shared, SESSIONS: '20', EVENTS: '20', PACE_MS: '0' }, true);
    await sink.setMode('ok');
    const second = await runApp({ ...shared, SESSIONS: '20', EVENTS: '20', PACE_MS: '0' }, true);
    const both = (first.out?.spans ?? 0) + (second.out?.spans ?? 0);
    const wholeMs = await untilComplete(undefined, sink, both, 30_000);
    rows.push({
      group: G,
      name: 'spans of both runs at the receiver',
      value: sink.distinct(),
      unit: 'spans',
      note: `of ${both}; ${sink.duplicates} duplicates; complete ${(wholeMs / 1000).toFixed(1)} s after the second run ended`,
    });

    // process.exit(3), an uncaught exception, an unhandled rejection.
    G = 'Export engine: the process ends abruptly (15 sessions x 105 events, both exporters healthy)';
    for (const end of ['exit', 'throw', 'reject']) {
      await freshSink();
      const e2 = await env();
      const bare = await runApp({ SESSIONS: '15', EVENTS: '105', PACE_MS: '0', END: end }, false);
      const r = await runApp({ ...e2, SESSIONS: '15', EVENTS: '105', PACE_MS: '0', END: end }, true);
      const total = r.out?.spans ?? NaN;
      const ms = await untilComplete(e2.AGENTOPS_PG_URL, sink, total, 20_000);
      const pg = await tableCounts(e2.AGENTOPS_PG_URL);
      rows.push({
        group: G,
        name: `${end === 'exit' ? 'process.exit(3)' : end === 'throw' ? 'uncaught exception' : 'unhandled rejection'}: both destinations complete after the exit`,
        value: (r.endedAt + ms - r.endedAt) / 1000,
        unit: 's',
        note: `exit status ${r.code} (without the preload ${bare.code}); ${pg.d} of ${total} rows, ${sink.distinct()} at the receiver; duplicates: ${pg.n - pg.d} rows, ${sink.duplicates} at the receiver; target ≤ 15 s`,
      });
    }
  } finally {
    await sink.close();
    for (const d of dirs) fs.rmSync(d, { recursive: true, force: true });
    await shutdownTestServer();
  }
  return rows;
}

if (require.main === module) {
  void run().then((r) => console.table(r));
}
