/**
 * MCP instrumentation overhead: the added latency of one tools/call round trip, client and server
 * both under the preload against both without it. Over stdio (the server a child process) and
 * in-memory (both in one process, no I/O: the CPU cost alone). Each side runs in its own child
 * process, inside an AgentOps session (the ToolEvent path), exporters off so export cost is not
 * counted here. Runnable alone: `node dist/bench/mcp-overhead.js`.
 */
import { spawn } from 'node:child_process';
import * as path from 'node:path';
import type { BenchRow } from './table';
import { toMarkdown } from './table';

const GROUP = 'MCP instrumentation';
const ROOT = path.resolve(__dirname, '..', '..');

interface Side {
  stdioUs: number;
  memoryUs: number;
  memoryCpuUs: number;
  memoryV2Us: number;
  calls: number;
}

function runSide(preload: boolean): Promise<Side> {
  const args = [...(preload ? ['--require', path.join(ROOT, 'dist', 'register.js')] : []), path.join(__dirname, 'mcp-overhead-child.js')];
  const env: NodeJS.ProcessEnv = { ...process.env, AGENTOPS_EXPORTERS: 'none', AGENTOPS_LOG_LEVEL: 'warn', SESSION: '1', BENCH_PRELOAD: preload ? '1' : '0' };
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, args, { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (out += d));
    child.on('error', reject);
    child.on('close', (code) => {
      try {
        if (code !== 0) throw new Error(`bench child exited ${code}`);
        resolve(JSON.parse(out.trim().split('\n').pop() ?? '') as Side);
      } catch (err) {
        reject(err);
      }
    });
  });
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
}

export async function run(): Promise<BenchRow[]> {
  const rounds = Number(process.env.BENCH_ROUNDS ?? 3);
  const base: Side[] = [];
  const traced: Side[] = [];
  // Interleaved rounds, medians: the machine's drift hits both sides alike.
  for (let i = 0; i < rounds; i++) {
    base.push(await runSide(false));
    traced.push(await runSide(true));
  }
  const rows: BenchRow[] = [];
  for (const [key, label, note] of [
    ['stdioUs', 'over stdio', 'the fixture server as a child process, @modelcontextprotocol/sdk 1.32'],
    ['memoryUs', 'in-memory', 'client and server in one process: the CPU cost alone'],
    ['memoryV2Us', 'in-memory, v2 packages', 'the same with @modelcontextprotocol/client and /server 2.4'],
  ] as const) {
    const b = median(base.map((s) => s[key]));
    const t = median(traced.map((s) => s[key]));
    rows.push(
      { group: GROUP, name: `tools/call round trip ${label}, uninstrumented`, value: b, unit: 'µs/call', note },
      { group: GROUP, name: `tools/call round trip ${label}, instrumented`, value: t, unit: 'µs/call', note: 'client and server under the preload, in an AgentOps session (ToolEvent + SERVER span)' },
      { group: GROUP, name: `added latency per round trip ${label}`, value: t - b, unit: 'µs' },
      { group: GROUP, name: `instrumented / uninstrumented (${label})`, value: t / b, unit: 'ratio' },
    );
  }
  const b = median(base.map((s) => s.memoryCpuUs));
  const t = median(traced.map((s) => s.memoryCpuUs));
  const note = 'process CPU time (all threads, the export worker included) per in-memory round trip';
  rows.push(
    { group: GROUP, name: 'CPU per round trip in-memory, uninstrumented', value: b, unit: 'µs/call', note },
    { group: GROUP, name: 'CPU per round trip in-memory, instrumented', value: t, unit: 'µs/call', note },
    { group: GROUP, name: 'added CPU per round trip in-memory', value: t - b, unit: 'µs', note: 'two spans (CLIENT as a ToolEvent, SERVER), trace context in _meta, their hand-off' },
  );
  return rows;
}

if (require.main === module) {
  run().then(
    (rows) => console.log(toMarkdown(rows)),
    (err) => {
      console.error(err);
      process.exitCode = 1;
    },
  );
}
