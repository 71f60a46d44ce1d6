/**
 * Start-up cost of the preload: `node -e 0` without it, with it (exporters off, and with the
 * default exporters and nothing listening), beside @opentelemetry/auto-instrumentations-node's
 * register measured in the same run. That package is not a dependency of ours: it is installed
 * into a temporary directory for the measurement.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { median } from './measure';
import type { BenchRow } from './table';

const GROUP = 'Start-up cost (node -e 0)';
const PRELOAD = path.join(__dirname, '..', 'register.js');
const RUNS = 15;

function wallMs(args: string[], env: Record<string, string> = {}, runs = RUNS): number {
  const samples: number[] = [];
  for (let i = 0; i < runs + 2; i++) {
    const t0 = process.hrtime.bigint();
    const r = spawnSync(process.execPath, args, { env: { ...process.env, ...env }, stdio: 'ignore' });
    if (r.status !== 0) throw new Error(`node ${args.join(' ')} exited ${r.status}`);
    if (i >= 2) samples.push(Number(process.hrtime.bigint() - t0) / 1e6);
  }
  return median(samples);
}

export async function run(): Promise<BenchRow[]> {
  const quiet = { AGENTOPS_LOG_LEVEL: 'silent', OTEL_LOG_LEVEL: 'none' };
  const bare = wallMs(['-e', '0']);
  const none = wallMs(['--require', PRELOAD, '-e', '0'], { ...quiet, AGENTOPS_EXPORTERS: 'none' });
  const defaults = wallMs(['--require', PRELOAD, '-e', '0'], { ...quiet, AGENTOPS_PG_SPOOL_DIR: fs.mkdtempSync(path.join(os.tmpdir(), 'agentops-bench-')) });
  const rows: BenchRow[] = [
    { group: GROUP, name: 'node -e 0', value: bare, unit: 'ms' },
    { group: GROUP, name: 'with agentops-otel/register, exporters off', value: none, unit: 'ms', note: `+${(none - bare).toFixed(0)} ms` },
    { group: GROUP, name: 'with agentops-otel/register, default exporters (nothing listening)', value: defaults, unit: 'ms', note: `+${(defaults - bare).toFixed(0)} ms` },
  ];
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'agentops-bench-auto-'));
  try {
    execFileSync('npm', ['install', '--no-save', '--no-audit', '--no-fund', '--loglevel=error', '--prefix', dir, '@opentelemetry/auto-instrumentations-node@~0.81.0'], { stdio: 'ignore' });
    const autoRegister = path.join(dir, 'node_modules', '@opentelemetry', 'auto-instrumentations-node', 'build', 'src', 'register.js');
    // As shipped its exporters point at localhost too; with nothing listening its exit waits for
    // their retries. With exporters off it compares with our "exporters off" row.
    const auto = wallMs(['--require', autoRegister, '-e', '0'], quiet, 3); // ~9 s a run
    const autoOff = wallMs(['--require', autoRegister, '-e', '0'], { ...quiet, OTEL_TRACES_EXPORTER: 'none', OTEL_METRICS_EXPORTER: 'none', OTEL_LOGS_EXPORTER: 'none' });
    rows.push(
      {
        group: GROUP,
        name: 'with @opentelemetry/auto-instrumentations-node/register 0.81, exporters off',
        value: autoOff,
        unit: 'ms',
        note: `+${(autoOff - bare).toFixed(0)} ms (OTEL_TRACES/METRICS/LOGS_EXPORTER=none)`,
      },
      {
        group: GROUP,
        name: 'with @opentelemetry/auto-instrumentations-node/register 0.81, defaults (nothing listening)',
        value: auto,
        unit: 'ms',
        note: `+${(auto - bare).toFixed(0)} ms: its exit waits for retries to the absent endpoint`,
      },
    );
  } catch (err) {
    rows.push({ group: GROUP, name: 'with @opentelemetry/auto-instrumentations-node/register', value: NaN, unit: 'ms', note: `could not install it: ${(err as Error).message.split('\n')[0]}` });
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
  return rows;
}

if (require.main === module) {
  void run().then((r) => console.table(r));
}
