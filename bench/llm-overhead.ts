/**
 * LLM SDK instrumentation overhead: the added latency of an instrumented OpenAI call (non-streaming)
 * and of each chunk of a streamed call, against a loopback server, as ratios to the uninstrumented
 * call. Each side runs in its own child process (with and without the preload, inside an AgentOps
 * session so the full LLMEvent path is measured; exporters off, so export cost is not counted here).
 * Runnable alone: `node dist/bench/llm-overhead.js`.
 */
import * as path from 'node:path';
import { runJsonChild } from './measure';
import type { BenchRow } from './table';
import { toMarkdown } from './table';

const GROUP = 'LLM SDK instrumentation';
const ROOT = path.resolve(__dirname, '..', '..');

interface Side {
  callUs: number;
  streamUs: number;
  chunks: number;
}

function runSide(preload: boolean): Promise<Side> {
  const args = [...(preload ? ['--require', path.join(ROOT, 'dist', 'register.js')] : []), path.join(__dirname, 'llm-overhead-child.js')];
  const env: NodeJS.ProcessEnv = { ...process.env, AGENTOPS_EXPORTERS: 'none', AGENTOPS_LOG_LEVEL: 'warn', SESSION: '1' };
  return runJsonChild<Side>(args, env, ROOT);
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
  const b = { callUs: median(base.map((s) => s.callUs)), streamUs: median(base.map((s) => s.streamUs)) };
  const t = { callUs: median(traced.map((s) => s.callUs)), streamUs: median(traced.map((s) => s.streamUs)) };
  const chunks = base[0].chunks;
  const addedCall = t.callUs - b.callUs;
  const addedStream = t.streamUs - b.streamUs;
  const perChunkBase = b.streamUs / chunks;
  const perChunkAdded = addedStream / chunks;
  return [
    { group: GROUP, name: 'non-streaming chat call, uninstrumented', value: b.callUs, unit: 'µs/call', note: 'loopback server, openai 6.x' },
    { group: GROUP, name: 'non-streaming chat call, instrumented', value: t.callUs, unit: 'µs/call', note: 'inside an AgentOps session (LLMEvent span)' },
    { group: GROUP, name: 'added latency per non-streaming call', value: addedCall, unit: 'µs' },
    { group: GROUP, name: 'instrumented / uninstrumented (non-streaming)', value: t.callUs / b.callUs, unit: 'ratio' },
    { group: GROUP, name: `streamed chat call (${chunks} chunks), uninstrumented`, value: b.streamUs, unit: 'µs/call' },
    { group: GROUP, name: `streamed chat call (${chunks} chunks), instrumented`, value: t.streamUs, unit: 'µs/call' },
    { group: GROUP, name: 'added latency per streamed chunk', value: perChunkAdded, unit: 'µs/chunk', note: `includes the per-call cost spread over ${chunks} chunks` },
    { group: GROUP, name: 'instrumented / uninstrumented (per streamed chunk)', value: (perChunkBase + perChunkAdded) / perChunkBase, unit: 'ratio' },
  ];
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
