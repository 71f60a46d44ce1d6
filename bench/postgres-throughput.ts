/**
 * PostgreSQL exporter benchmark: sustained throughput from ReadableSpan to committed rows,
 * next to the ceiling measured in the same run by psql's \copy of the very same rows into the
 * same table (same indexes, same generated columns), plus the other write methods for the
 * record, plus memory while the database is down.
 *
 * Run alone: node dist/bench/postgres-throughput.js [spans]
 * Uses AGENTOPS_BENCH_PG_URL if set (outage part then skipped), else an embedded PostgreSQL
 * with default durability settings.
 */
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { BasicTracerProvider, ReadableSpan, SpanProcessor } from '@opentelemetry/sdk-trace-base';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { Client } from 'pg';
import { context, trace } from '@opentelemetry/api';
import { ConfigSource } from '../src/config/source';
import { stats } from '../src/shared/stats';
import { logger } from '../src/shared/logger';
import { PostgresSpanExporter, readPostgresConfig, migrate, WriteMethod } from '../src/exporters/postgres';
import { COLUMNS, RowEncoder, encodeCopyLine } from '../src/exporters/postgres/rows';
import { configureTestServer, createTestDatabase, shutdownTestServer, startServer, stopServer, testServer } from '../test/helpers/postgres';
import type { BenchRow } from './table';

const GROUP = 'PostgreSQL exporter';

export interface PostgresBenchOptions {
  /** Spans per throughput run (default 100,000). */
  spans?: number;
  /** Progress output; default silent. */
  progress?: (line: string) => void;
}

function makeSpans(n: number): ReadableSpan[] {
  const out: ReadableSpan[] = [];
  const collector: SpanProcessor = {
    onStart: () => undefined,
    onEnd: (s) => void out.push(s),
    forceFlush: () => Promise.resolve(),
    shutdown: () => Promise.resolve(),
  };
  const provider = new BasicTracerProvider({ resource: resourceFromAttributes({ 'service.name': 'bench-agent', 'service.version': '1.0.0', 'host.name': 'bench' }), spanProcessors: [collector] });
  const tracer = provider.getTracer('agentops-otel-bench', '0.1.0');
  while (out.length < n) {
    const root = tracer.startSpan('session', { attributes: { 'agentops.event.type': 'session', 'agentops.session.tags': ['bench', 'throughput'] } });
    const ctx = trace.setSpan(context.active(), root);
    for (let i = 0; i < 9 && out.length < n - 1; i++) {
      const s = tracer.startSpan(
        'chat gpt-4o-mini',
        {
          attributes: {
            'gen_ai.operation.name': 'chat',
            'gen_ai.provider.name': 'openai',
            'gen_ai.request.model': 'gpt-4o-mini',
            'gen_ai.response.model': 'gpt-4o-mini-2024-07-18',
            'gen_ai.response.id': `chatcmpl-${out.length.toString(36)}abcdefghij`,
            'gen_ai.usage.input_tokens': 120 + i,
            'gen_ai.usage.output_tokens': 48 + i,
            'gen_ai.request.temperature': 0.7,
            'agentops.event.type': 'llm',
            'server.address': 'api.openai.com',
          },
        },
        ctx,
      );
      s.end();
    }
    root.end();
  }
  return out.slice(0, n);
}

function configFor(url: string, extra: Record<string, string>): ReturnType<typeof readPostgresConfig> {
  return readPostgresConfig(
    new ConfigSource(
      {
        AGENTOPS_PG_URL: url,
        AGENTOPS_PG_SPOOL_DIR: fs.mkdtempSync(path.join(os.tmpdir(), 'agentops-bench-spool-')),
        ...extra,
      },
      {},
    ),
  );
}

async function count(url: string, table = 'agentops_spans'): Promise<number> {
  const c = new Client({ connectionString: url });
  c.on('error', () => undefined);
  await c.connect();
  try {
    return Number((await c.query(`SELECT count(*) AS n FROM ${table}`)).rows[0].n);
  } finally {
    await c.end();
  }
}

async function freshDb(): Promise<string> {
  const url = await createTestDatabase('agentops_bench');
  const c = new Client({ connectionString: url });
  await c.connect();
  try {
    await migrate(c, 'agentops_spans');
  } finally {
    await c.end();
  }
  return url;
}

const tick = () => new Promise<void>((r) => setImmediate(r));

/** Feeds the exporter like a BatchSpanProcessor would (512-span batches) and waits for commit. */
async function exporterRun(url: string, spans: ReadableSpan[], method: WriteMethod, poolSize: number, batchSize: number): Promise<{ perSec: number; stored: number }> {
  const cfg = configFor(url, {
    AGENTOPS_PG_POOL_SIZE: String(poolSize),
    AGENTOPS_PG_BATCH_SIZE: String(batchSize),
    AGENTOPS_PG_BUFFER_MAX_SPANS: '10000000',
    AGENTOPS_PG_BUFFER_MAX_BYTES: String(4 * 1024 ** 3),
    AGENTOPS_PG_FLUSH_TIMEOUT_MS: '600000',
    AGENTOPS_PG_FLUSH_INTERVAL_MS: '50',
  });
  const exp = new PostgresSpanExporter(cfg, { method, autoReplay: false });
  const t0 = performance.now();
  for (let i = 0; i < spans.length; i += 512) {
    exp.export(spans.slice(i, i + 512), () => undefined);
    await tick();
  }
  await exp.forceFlush();
  const secs = (performance.now() - t0) / 1000;
  await exp.shutdown();
  fs.rmSync(cfg.spoolDir, { recursive: true, force: true });
  return { perSec: spans.length / secs, stored: await count(url) };
}

function psqlCeiling(url: string, spans: ReadableSpan[]): number {
  const enc = new RowEncoder();
  const file = path.join(os.tmpdir(), `agentops-bench-${process.pid}.copy`);
  fs.writeFileSync(file, spans.map((s) => encodeCopyLine(enc.toRow(s))).join(''));
  try {
    const t0 = performance.now();
    execFileSync('psql', [url, '-v', 'ON_ERROR_STOP=1', '-q', '-c', `\\copy agentops_spans (${COLUMNS.join(', ')}) FROM '${file}'`], { stdio: ['ignore', 'ignore', 'pipe'] });
    return spans.length / ((performance.now() - t0) / 1000);
  } finally {
    fs.rmSync(file, { force: true });
  }
}

async function outageMemory(spans: ReadableSpan[], progress: (l: string) => void): Promise<BenchRow[]> {
  const url = await freshDb();
  const cfg = configFor(url, { AGENTOPS_PG_RETRY_BASE_MS: '50', AGENTOPS_PG_RETRY_MAX_DELAY_MS: '500', AGENTOPS_PG_CONNECT_TIMEOUT_MS: '1000' });
  const exp = new PostgresSpanExporter(cfg, { autoReplay: true });
  const before = stats.snapshot().exporters.postgres;
  await stopServer();
  const gc = (global as { gc?: () => void }).gc;
  gc?.();
  const heap0 = process.memoryUsage().heapUsed;
  let peakHeld = 0;
  let peakHeap = 0;
  try {
    for (let i = 0; i < spans.length; i += 512) {
      exp.export(spans.slice(i, i + 512), () => undefined);
      await tick();
      const b = exp.bufferStatus();
      peakHeld = Math.max(peakHeld, b.bytes + b.spoolingBytes);
      if (i % (512 * 20) === 0) peakHeap = Math.max(peakHeap, process.memoryUsage().heapUsed);
    }
    await new Promise((r) => setTimeout(r, 500));
    peakHeap = Math.max(peakHeap, process.memoryUsage().heapUsed);
  } finally {
    await startServer();
  }
  progress('outage: database back, replaying');
  await exp.forceFlush();
  // Replay of the spool runs in the background once the database answers again.
  const until = Date.now() + 120_000;
  while ((await count(url)) < spans.length && Date.now() < until) await new Promise((r) => setTimeout(r, 250));
  const stored = await count(url);
  await exp.shutdown();
  fs.rmSync(cfg.spoolDir, { recursive: true, force: true });
  const after = stats.snapshot().exporters.postgres;
  const dropped = Object.values(after.dropped).reduce((a, b) => a + b, 0) - Object.values(before?.dropped ?? {}).reduce((a, b) => a + b, 0);
  return [
    {
      group: GROUP,
      name: 'outage: peak rows held in memory by the exporter',
      value: peakHeld / 1024 / 1024,
      unit: 'MiB',
      note: `limit AGENTOPS_PG_BUFFER_MAX_BYTES=${cfg.bufferMaxBytes / 1024 / 1024} MiB / ${cfg.bufferMaxSpans} spans; ${spans.length} spans exported while PostgreSQL was stopped`,
    },
    {
      group: GROUP,
      name: 'outage: heap growth during the outage',
      value: (peakHeap - heap0) / 1024 / 1024,
      unit: 'MiB',
      note: 'process heapUsed, peak minus start (includes garbage not yet collected)',
    },
    { group: GROUP, name: 'outage: spans spooled to disk', value: after.spooled - (before?.spooled ?? 0), unit: 'spans', note: `dropped: ${dropped}` },
    { group: GROUP, name: 'outage: spans in the table after restart + replay', value: stored, unit: 'rows', note: stored === spans.length ? 'all, exactly once' : `expected ${spans.length}` },
  ];
}

export async function runPostgresThroughputBench(opts: PostgresBenchOptions = {}): Promise<BenchRow[]> {
  const n = opts.spans ?? 100_000;
  const progress = opts.progress ?? (() => undefined);
  const external = process.env.AGENTOPS_BENCH_PG_URL;
  if (external) process.env.AGENTOPS_TEST_PG_URL = external;
  else configureTestServer({ durable: true });
  const prevLevel = logger.level;
  logger.level = 'error';
  const rows: BenchRow[] = [];
  try {
    const server = await testServer();
    progress(`server on port ${server.port}; generating ${n} spans`);
    const spans = makeSpans(n);
    const ceilingUrl = await freshDb();
    const ceiling = psqlCeiling(ceilingUrl, spans);
    progress(`psql \\copy ceiling: ${Math.round(ceiling)} rows/s`);
    rows.push({
      group: GROUP,
      name: 'ceiling: psql \\copy of the same rows',
      value: ceiling,
      unit: 'rows/s',
      note: `${n} rows, same table and indexes, one connection, PostgreSQL on 127.0.0.1:${server.port}`,
    });
    const runs: Array<{ method: WriteMethod; pool: number; batch: number; label: string }> = [
      { method: 'copy', pool: 4, batch: 1000, label: 'exporter (default: COPY, idempotent fallback), pool 4, batch 1000' },
      { method: 'copy', pool: 2, batch: 2000, label: 'exporter COPY, pool 2, batch 2000' },
      { method: 'staging', pool: 4, batch: 1000, label: 'exporter COPY→temp table→INSERT ON CONFLICT, pool 4, batch 1000' },
      { method: 'unnest', pool: 4, batch: 1000, label: 'exporter INSERT…SELECT unnest ON CONFLICT, pool 4, batch 1000' },
    ];
    for (const r of runs) {
      const url = await freshDb();
      const res = await exporterRun(url, spans, r.method, r.pool, r.batch);
      const pct = (100 * res.perSec) / ceiling;
      progress(`${r.label}: ${Math.round(res.perSec)} spans/s (${pct.toFixed(0)}% of ceiling), ${res.stored} rows`);
      const target = r === runs[0] ? ` target ≥ 80%: ${pct >= 80 ? 'met' : 'NOT met'};` : '';
      rows.push({
        group: GROUP,
        name: r.label,
        value: res.perSec,
        unit: 'spans/s',
        note: `${pct.toFixed(0)}% of the psql ceiling;${target} ${res.stored === n ? 'all rows stored' : `ONLY ${res.stored}/${n} rows stored`}`,
      });
    }
    if (!external) rows.push(...(await outageMemory(spans.slice(0, Math.min(n, 100_000)), progress)));
  } finally {
    logger.level = prevLevel;
    if (!external) await shutdownTestServer();
  }
  return rows;
}

if (require.main === module) {
  const n = Number(process.argv[2] ?? 100_000);
  runPostgresThroughputBench({ spans: n, progress: (l) => console.error(l) })
    .then((rows) => {
      for (const r of rows) console.log(`${r.name}\t${r.value.toFixed(r.value >= 100 ? 0 : 2)} ${r.unit}\t${r.note ?? ''}`);
      process.exit(0);
    })
    .catch((err) => {
      console.error(err);
      process.exit(1);
    });
}

/** For bench/run.ts. */
export function run(): Promise<BenchRow[]> {
  return runPostgresThroughputBench({ progress: (line) => process.stderr.write(`  ${line}\n`) });
}
