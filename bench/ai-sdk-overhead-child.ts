/**
 * One side of the AI SDK overhead benchmark: runs in a child process, with or without the preload,
 * inside an AgentOps session, against an in-process loopback LLM server, and prints its timings as
 * JSON. AI_DIR is a directory whose node_modules resolve `ai` and `@ai-sdk/openai`.
 */
import { createRequire } from 'node:module';
import * as path from 'node:path';
import { performance } from 'node:perf_hooks';
import { startLlmServer } from '../test/helpers/llm-server';

type AnyFn = (...args: any[]) => any; // eslint-disable-line @typescript-eslint/no-explicit-any

async function main(): Promise<void> {
  const calls = Number(process.env.BENCH_CALLS ?? 300);
  const streams = Number(process.env.BENCH_STREAMS ?? 60);
  const chunks = Number(process.env.BENCH_CHUNKS ?? 200);
  const server = await startLlmServer();
  const req = createRequire(path.join(process.env.AI_DIR ?? process.cwd(), 'app.js'));
  const ai = req('ai') as Record<string, AnyFn>;
  const { createOpenAI } = req('@ai-sdk/openai') as { createOpenAI: AnyFn };
  const openai = createOpenAI({ apiKey: 'k', baseURL: server.openaiBaseURL });
  const long = createOpenAI({ apiKey: 'k', baseURL: server.openaiBaseURL, headers: { 'x-test-chunks': String(chunks) } });
  const model = openai.chat('gpt-4o-mini');
  const longModel = long.chat('gpt-4o-mini');
  const plain = async (): Promise<void> => {
    await ai.generateText({ model, prompt: 'hi', maxRetries: 0 });
  };
  const streamed = async (): Promise<void> => {
    const r = ai.streamText({ model: longModel, prompt: 'hi', maxRetries: 0 });
    for await (const _t of r.textStream) {
      // read every chunk
    }
  };
  // A model in this process (the provider contract, answered at once): what the instrumentation
  // costs per call without the loopback's I/O and its noise.
  const major = Number(process.env.AI_MAJOR ?? 6);
  const local = {
    specificationVersion: major >= 7 ? 'v4' : 'v3',
    provider: 'bench.chat',
    modelId: 'gpt-4o-mini',
    supportedUrls: {},
    doGenerate: async () => ({
      content: [{ type: 'text', text: 'Hello' }],
      finishReason: { unified: 'stop', raw: 'stop' },
      usage: { inputTokens: { total: 12, noCache: 12, cacheRead: 0, cacheWrite: 0 }, outputTokens: { total: 7, text: 7, reasoning: 0 } },
      warnings: [],
      response: { id: 'r1', modelId: 'gpt-4o-mini', timestamp: new Date(0) },
    }),
    doStream: async () => {
      throw new Error('not used');
    },
  };
  const inProcess = async (): Promise<void> => {
    await ai.generateText({ model: local, prompt: 'hi', maxRetries: 0 });
  };
  const cpu = async (n: number, fn: () => Promise<void>): Promise<number> => {
    for (let i = 0; i < Math.min(200, n); i++) await fn(); // warm-up
    const c0 = process.cpuUsage();
    for (let i = 0; i < n; i++) await fn();
    const c = process.cpuUsage(c0);
    return (c.user + c.system) / n; // CPU µs per call
  };
  const time = async (n: number, fn: () => Promise<void>): Promise<number> => {
    for (let i = 0; i < Math.min(50, n); i++) await fn(); // warm-up
    const t0 = performance.now();
    for (let i = 0; i < n; i++) await fn();
    return ((performance.now() - t0) * 1000) / n; // µs per call
  };
  const agentops = require('../src') as typeof import('../src');
  const session = agentops.init().startSession();
  const agent = session.createAgent({ name: 'bench' });
  const result = await session.run(() =>
    agent.run(async () => ({ localCpuUs: await cpu(Number(process.env.BENCH_LOCAL_CALLS ?? 3000), inProcess), callUs: await time(calls, plain), streamUs: await time(streams, streamed) })),
  );
  await session.end('Success');
  await server.close();
  console.log(JSON.stringify({ ...result, chunks }));
}

void main();
