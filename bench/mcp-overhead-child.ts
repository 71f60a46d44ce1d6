/**
 * One side of the MCP overhead benchmark: runs in a child process, with or without the preload,
 * inside an AgentOps session (so a tools/call takes the full ToolEvent path), and prints its
 * timings as JSON. Three round trips: over stdio to the fixture server process (started under the
 * preload when this side is), and in-memory, client and server in this process, with the 1.x SDK
 * and with the v2 packages.
 */
import * as path from 'node:path';
import { performance } from 'node:perf_hooks';

const ROOT = path.resolve(__dirname, '..', '..');

type Client = import('@modelcontextprotocol/sdk/client/index.js').Client;

async function time(n: number, fn: () => Promise<unknown>): Promise<number> {
  for (let i = 0; i < Math.min(100, n); i++) await fn(); // warm-up
  const t0 = performance.now();
  for (let i = 0; i < n; i++) await fn();
  return ((performance.now() - t0) * 1000) / n; // µs per call
}

async function main(): Promise<void> {
  const calls = Number(process.env.BENCH_CALLS ?? 1000);
  const { Client } = require('@modelcontextprotocol/sdk/client/index.js') as typeof import('@modelcontextprotocol/sdk/client/index.js');
  const { StdioClientTransport } = require('@modelcontextprotocol/sdk/client/stdio.js') as typeof import('@modelcontextprotocol/sdk/client/stdio.js');
  const { InMemoryTransport } = require('@modelcontextprotocol/sdk/inMemory.js') as typeof import('@modelcontextprotocol/sdk/inMemory.js');
  const { McpServer } = require('@modelcontextprotocol/sdk/server/mcp.js') as typeof import('@modelcontextprotocol/sdk/server/mcp.js');
  const { z } = require('zod') as typeof import('zod');
  const call = (client: Client) => () => client.callTool({ name: 'add', arguments: { a: 2, b: 3 } });

  const stdio = new Client({ name: 'bench', version: '1.0.0' });
  const preload = process.env.BENCH_PRELOAD === '1' ? ['--require', path.join(ROOT, 'dist', 'register.js')] : [];
  await stdio.connect(
    new StdioClientTransport({
      command: process.execPath,
      args: [...preload, path.join(ROOT, 'test', 'fixtures', 'mcp', 'server.cjs')],
      env: { ...process.env, MCP_TRANSPORT: 'stdio' } as Record<string, string>,
      stderr: 'inherit',
    }),
  );

  const server = new McpServer({ name: 'bench-server', version: '1.0.0' });
  server.registerTool('add', { inputSchema: { a: z.number(), b: z.number() } }, async ({ a, b }) => ({ content: [{ type: 'text' as const, text: String(a + b) }] }));
  const [clientSide, serverSide] = InMemoryTransport.createLinkedPair();
  await server.connect(serverSide);
  const memory = new Client({ name: 'bench', version: '1.0.0' });
  await memory.connect(clientSide);

  // The same in-memory pair on the v2 packages.
  const v2 = require('@modelcontextprotocol/server') as typeof import('@modelcontextprotocol/server');
  const { Client: ClientV2 } = require('@modelcontextprotocol/client') as typeof import('@modelcontextprotocol/client');
  const serverV2 = new v2.McpServer({ name: 'bench-server', version: '1.0.0' });
  serverV2.registerTool('add', { inputSchema: z.object({ a: z.number(), b: z.number() }) }, async ({ a, b }) => ({ content: [{ type: 'text' as const, text: String(a + b) }] }));
  const [clientSideV2, serverSideV2] = v2.InMemoryTransport.createLinkedPair();
  await serverV2.connect(serverSideV2);
  const memoryV2 = new ClientV2({ name: 'bench', version: '1.0.0' });
  await memoryV2.connect(clientSideV2);

  const run = async (): Promise<Record<string, number>> => {
    const memoryV2Us = await time(calls, () => memoryV2.callTool({ name: 'add', arguments: { a: 2, b: 3 } }));
    const stdioUs = await time(calls, call(stdio));
    // CPU time of this process (every thread, the export worker's included): less sensitive than
    // wall time to other load on the machine.
    const cpu0 = process.cpuUsage();
    const memoryUs = await time(calls, call(memory));
    const cpu = process.cpuUsage(cpu0);
    return { stdioUs, memoryUs, memoryCpuUs: (cpu.user + cpu.system) / (calls + Math.min(100, calls)), memoryV2Us };
  };
  let result: Record<string, number>;
  if (process.env.SESSION === '1') {
    const agentops = require('../src') as typeof import('../src');
    const session = agentops.init().startSession();
    result = await session.run(run);
    await session.end('Success');
  } else {
    result = await run();
  }
  await stdio.close();
  await memory.close();
  await server.close();
  await memoryV2.close();
  await serverV2.close();
  console.log(JSON.stringify({ ...result, calls }));
}

void main();
