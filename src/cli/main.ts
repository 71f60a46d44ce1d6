#!/usr/bin/env node
/**
 * `agentops-otel`: operator tooling. Dispatches to one module per command (loaded on demand),
 * turns every failure into one line on stderr and an exit code (0 ok, 1 failure, 2 usage), and
 * masks secrets in everything it prints.
 */
import { parseCommandArgs, renderHelp } from './args';
import type { Command } from './command';
import { asciiIo, processIo, type Ctx, type Io } from './context';
import { CliError, EXIT_FAILURE, EXIT_OK, EXIT_USAGE, OutputClosed, UsageError } from './errors';
import { asciiJson } from './format';
import { logger } from '../shared/logger';
import { redactSecrets } from '../shared/redact';
import { PACKAGE_VERSION } from '../shared/version';

const COMMANDS: Record<string, { summary: string; load: () => Command }> = {
  demo: { summary: 'Run the example multi-agent app under the preload into an embedded PostgreSQL (and Jaeger if one answers); print its trace.', load: () => require('./commands/demo').command },
  doctor: { summary: 'Show the effective configuration (secrets masked) and check each exporter end to end.', load: () => require('./commands/doctor').command },
  migrate: { summary: 'Create or upgrade the PostgreSQL schema (tables and views), moving the rows of an older table; safe to run twice.', load: () => require('./commands/migrate').command },
  maintain: { summary: 'Create partitions ahead and apply retention (AGENTOPS_PG_RETENTION_DAYS); idempotent; --json.', load: () => require('./commands/maintain').command },
  sessions: { summary: 'List recent sessions: state, event counts, tokens, cost; filters; --json.', load: () => require('./commands/sessions').command },
  trace: { summary: 'Show one session as a tree with a timeline bar per span (a terminal waterfall); --json.', load: () => require('./commands/trace').command },
  export: { summary: 'Write spans as JSON Lines (hex ids, exact ns and ISO times, attributes as objects).', load: () => require('./commands/export').command },
  replay: { summary: 'Send the on-disk spool to PostgreSQL now and report counts.', load: () => require('./commands/replay').command },
};

export function mainHelp(): string {
  const w = Math.max(...Object.keys(COMMANDS).map((c) => c.length));
  return [
    'Usage: agentops-otel <command> [options]',
    '',
    'Operator tooling for agentops-otel: AgentOps sessions traced to Jaeger (OTLP/HTTP) and PostgreSQL.',
    '',
    'Commands:',
    ...Object.entries(COMMANDS).map(([name, c]) => `  ${name.padEnd(w)}  ${c.summary}`),
    '',
    'Options:',
    '  -h, --help     Show help (also: agentops-otel <command> --help, agentops-otel help <command>).',
    '  -v, --verbose  Print stack traces and debug logs on failure.',
    '      --version  Print the version.',
    '',
    'Configuration: the same environment variables (or AGENTOPS_CONFIG JSON file) as the preload,',
    'e.g. AGENTOPS_PG_URL, AGENTOPS_PG_TABLE, OTEL_EXPORTER_OTLP_ENDPOINT; `agentops-otel doctor` shows them all.',
    'Exit codes: 0 ok, 1 the operation or a check failed, 2 usage error. A reader that closes stdout early (| head) ends the command quietly, with 0.',
    '',
  ].join('\n');
}

function report(io: Io, err: unknown, verbose: boolean): number {
  if (err instanceof OutputClosed) return EXIT_OK;
  if (err instanceof CliError) {
    io.err(`agentops-otel: ${err.message}\n`);
    if (err.hint) io.err(`  → ${err.hint}\n`);
    if (verbose) {
      io.err(`${err.stack ?? ''}\n`);
      if (err.cause instanceof Error) io.err(`caused by: ${err.cause.stack ?? err.cause.message}\n`);
    }
    return err.exitCode;
  }
  const e = err instanceof Error ? err : new Error(String(err));
  io.err(`agentops-otel: unexpected error: ${e.message.split('\n')[0]}\n`);
  if (verbose) io.err(`${e.stack ?? ''}\n`);
  else io.err('  → run again with --verbose for details\n');
  return EXIT_FAILURE;
}

export async function main(argv: string[], processOutput: Io = processIo(), env: NodeJS.ProcessEnv = process.env): Promise<number> {
  const verbose = argv.includes('--verbose') || argv.includes('-v');
  logger.level = verbose ? 'debug' : 'error';
  // --ascii holds for every line printed, errors, hints and logs included, even when the command line is wrong.
  const ascii = argv.includes('--ascii');
  const io = ascii ? asciiIo(processOutput) : processOutput;
  if (ascii) logger.setWriter((line) => process.stderr.write(asciiJson(line)));
  const first = argv[0];
  try {
    if (first === undefined) {
      io.err(mainHelp());
      return EXIT_USAGE;
    }
    if (first === '--help' || first === '-h') {
      await io.out(mainHelp());
      return EXIT_OK;
    }
    if (first === '--version') {
      await io.out(`${PACKAGE_VERSION}\n`);
      return EXIT_OK;
    }
    if (first === 'help') {
      const topic = argv[1];
      if (topic === undefined) {
        await io.out(mainHelp());
        return EXIT_OK;
      }
      const entry = COMMANDS[topic];
      if (entry === undefined) throw new UsageError(`unknown command ${JSON.stringify(topic)}`, `commands: ${Object.keys(COMMANDS).join(', ')}`);
      await io.out(renderHelp(entry.load().spec));
      return EXIT_OK;
    }
    if (first.startsWith('-')) throw new UsageError(`expected a command before ${JSON.stringify(first)}`, `commands: ${Object.keys(COMMANDS).join(', ')} (agentops-otel --help)`);
    const entry = COMMANDS[first];
    if (entry === undefined) throw new UsageError(`unknown command ${JSON.stringify(first)}`, `commands: ${Object.keys(COMMANDS).join(', ')} (agentops-otel --help)`);
    const command = entry.load();
    const args = parseCommandArgs(command.spec, argv.slice(1));
    if (args.values.help === true) {
      await io.out(renderHelp(command.spec));
      return EXIT_OK;
    }
    const ctx: Ctx = { env, io, verbose };
    return await command.run(ctx, args);
  } catch (err) {
    return report(io, err, verbose);
  }
}

if (require.main === module) {
  main(process.argv.slice(2)).then(
    (code) => {
      process.exitCode = code;
      // Output is flushed by then; a stray handle (a pool being torn down) must not hold the exit.
      setTimeout(() => process.exit(code), 2000).unref();
    },
    (err: unknown) => {
      process.stderr.write(redactSecrets(`agentops-otel: ${String(err)}\n`));
      process.exit(EXIT_FAILURE);
    },
  );
}
