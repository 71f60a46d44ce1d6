/**
 * `npm run bench`: runs every benchmark, prints one table and writes it to BENCHMARKS.md.
 * Each module exports `run(): Promise<BenchRow[]>`; a module that fails is reported, not fatal.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { toMarkdown, type BenchRow } from './table';

const MODULES = ['./record-overhead', './export-engine', './postgres-throughput', './postgres-storage', './llm-overhead', './ai-sdk-overhead', './mcp-overhead', './sustained-load', './startup'];

async function main(): Promise<void> {
  const only = process.argv.slice(2);
  const rows: BenchRow[] = [];
  const failures: string[] = [];
  for (const mod of MODULES) {
    if (only.length > 0 && !only.some((o) => mod.includes(o))) continue;
    let loaded: { run?: () => Promise<BenchRow[]> };
    try {
      loaded = require(mod);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'MODULE_NOT_FOUND' && String((err as Error).message).includes(mod.slice(2))) continue;
      throw err;
    }
    if (typeof loaded.run !== 'function') continue;
    process.stderr.write(`bench: ${mod.slice(2)} ...\n`);
    try {
      rows.push(...(await loaded.run()));
    } catch (err) {
      failures.push(`${mod.slice(2)}: ${(err as Error).stack ?? err}`);
    }
  }
  const header = [
    '# Benchmarks',
    '',
    `Measured by \`npm run bench\` on ${new Date().toISOString().slice(0, 10)}: ${os.cpus().length} × ${os.cpus()[0]?.model.trim()}, ${Math.round(os.totalmem() / 2 ** 30)} GiB, Node ${process.version}, ${os.platform()}.`,
    'Figures are medians of repeated rounds. They vary from run to run: by a few percent for the',
    'in-process ones, by more for those over loopback sockets (the LLM rows: the added latency is',
    'smaller than the noise) and for PostgreSQL (checkpoints).',
    '',
  ].join('\n');
  const body = toMarkdown(rows) + (failures.length > 0 ? `\n## Failed\n\n${failures.map((f) => '```\n' + f + '\n```').join('\n')}\n` : '');
  console.log(body);
  if (only.length === 0) fs.writeFileSync(path.join(__dirname, '..', '..', 'BENCHMARKS.md'), header + '\n' + body);
  if (failures.length > 0) process.exitCode = 1;
}

void main();
