/**
 * Vercel AI SDK instrumentation overhead: the added latency of one `generateText` call (one model
 * request, no tools) and of each chunk of a `streamText` call, against a loopback server, inside
 * an AgentOps session and agent (the full path: call span, LLM event span). Each side runs in its
 * own child process, exporters off. Uses `ai` 7.x on Node >= 22, else 6.x (loaded as `ai`). The
 * first rows use a model in the child itself (CPU time per call, no I/O): the instrumentation's own
 * cost per call, which the loopback rows bury in the noise of a busy machine.
 * Runnable alone: `node dist/bench/ai-sdk-overhead.js`.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { makeAppDir } from '../test/helpers/framework-apps';
import { median, runJsonChild } from './measure';
import type { BenchRow } from './table';
import { toMarkdown } from './table';

const GROUP = 'Vercel AI SDK instrumentation';
const ROOT = path.resolve(__dirname, '..', '..');

interface Side {
  localCpuUs: number;
  callUs: number;
  streamUs: number;
  chunks: number;
}

function runSide(preload: boolean, aiDir: string, major: string): Promise<Side> {
  const args = [...(preload ? ['--require', path.join(ROOT, 'dist', 'register.js')] : []), path.join(__dirname, 'ai-sdk-overhead-child.js')];
  const env: NodeJS.ProcessEnv = { ...process.env, AGENTOPS_EXPORTERS: 'none', AGENTOPS_LOG_LEVEL: 'warn', AI_DIR: aiDir, AI_MAJOR: major };
  return runJsonChild<Side>(args, env, ROOT);
}

export async function run(): Promise<BenchRow[]> {
  const current = Number(process.versions.node.split('.')[0]) >= 22;
  const aiDir = current
    ? ROOT
    : makeAppDir(
        [],
        [
          { name: 'ai', alias: 'ai-v6' },
          { name: '@ai-sdk/openai', alias: '@ai-sdk/openai-v3' },
        ],
      );
  const version = (JSON.parse(fs.readFileSync(path.join(aiDir, 'node_modules', 'ai', 'package.json'), 'utf8')) as { version: string }).version;
  const rounds = Number(process.env.BENCH_ROUNDS ?? 3);
  const base: Side[] = [];
  const traced: Side[] = [];
  try {
    // Interleaved rounds, medians: the machine's drift hits both sides alike.
    for (let i = 0; i < rounds; i++) {
      base.push(await runSide(false, aiDir, version.split('.')[0]));
      traced.push(await runSide(true, aiDir, version.split('.')[0]));
    }
  } finally {
    if (!current) fs.rmSync(aiDir, { recursive: true, force: true });
  }
  const pick = (sides: Side[]): Omit<Side, 'chunks'> => ({
    localCpuUs: median(sides.map((s) => s.localCpuUs)),
    callUs: median(sides.map((s) => s.callUs)),
    streamUs: median(sides.map((s) => s.streamUs)),
  });
  const b = pick(base);
  const t = pick(traced);
  const chunks = base[0].chunks;
  const perChunkBase = b.streamUs / chunks;
  const perChunkAdded = (t.streamUs - b.streamUs) / chunks;
  return [
    { group: GROUP, name: 'generateText, in-process model, uninstrumented', value: b.localCpuUs, unit: 'CPU µs/call', note: `ai ${version}; a provider-contract model answering at once: no I/O` },
    { group: GROUP, name: 'generateText, in-process model, instrumented', value: t.localCpuUs, unit: 'CPU µs/call', note: 'in an AgentOps session and agent: call span + LLMEvent span' },
    { group: GROUP, name: 'added CPU time per generateText call', value: t.localCpuUs - b.localCpuUs, unit: 'CPU µs', note: "the per-call overhead, free of the loopback's noise" },
    { group: GROUP, name: 'generateText (one model request), uninstrumented', value: b.callUs, unit: 'µs/call', note: `loopback server, ai ${version}, chat completions` },
    { group: GROUP, name: 'generateText (one model request), instrumented', value: t.callUs, unit: 'µs/call', note: 'in an AgentOps session and agent: call span + LLMEvent span' },
    { group: GROUP, name: 'added latency per generateText call', value: t.callUs - b.callUs, unit: 'µs' },
    { group: GROUP, name: 'instrumented / uninstrumented (generateText)', value: t.callUs / b.callUs, unit: 'ratio' },
    { group: GROUP, name: `streamText (${chunks} chunks), uninstrumented`, value: b.streamUs, unit: 'µs/call' },
    { group: GROUP, name: `streamText (${chunks} chunks), instrumented`, value: t.streamUs, unit: 'µs/call' },
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
