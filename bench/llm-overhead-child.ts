/**
 * One side of the LLM overhead benchmark: runs in a child process, with or without the preload,
 * against an in-process loopback LLM server, and prints its timings as JSON.
 */
import { performance } from 'node:perf_hooks';
import { startLlmServer } from '../test/helpers/llm-server';

async function main(): Promise<void> {
  const calls = Number(process.env.BENCH_CALLS ?? 400);
  const streams = Number(process.env.BENCH_STREAMS ?? 60);
  const chunks = Number(process.env.BENCH_CHUNKS ?? 200);
  const server = await startLlmServer();

  const OpenAI = require('openai') as typeof import('openai').default;
  const client = new OpenAI({ apiKey: 'k', baseURL: server.openaiBaseURL, maxRetries: 0 });
  const body = { model: 'gpt-4o-mini', messages: [{ role: 'user' as const, content: 'hi' }] };
  const plain = async (): Promise<void> => {
    await client.chat.completions.create(body);
  };
  const streamed = async (): Promise<void> => {
    const s = await client.chat.completions.create({ ...body, stream: true, stream_options: { include_usage: true } }, { headers: { 'x-test-chunks': String(chunks) } });
    for await (const _c of s) {
      // read every chunk
    }
  };
  const time = async (n: number, fn: () => Promise<void>): Promise<number> => {
    for (let i = 0; i < Math.min(50, n); i++) await fn(); // warm-up
    const t0 = performance.now();
    for (let i = 0; i < n; i++) await fn();
    return ((performance.now() - t0) * 1000) / n; // µs per call
  };
  const run = async (): Promise<Record<string, number>> => ({ callUs: await time(calls, plain), streamUs: await time(streams, streamed) });
  let result: Record<string, number>;
  if (process.env.SESSION === '1') {
    const agentops = require('../src') as typeof import('../src');
    const session = agentops.init().startSession();
    result = await session.run(run);
    await session.end('Success');
  } else {
    result = await run();
  }
  await server.close();
  console.log(JSON.stringify({ ...result, chunks }));
}

void main();
