import { flag, type CommandSpec } from '../args';
import type { Command } from '../command';
import { loadConfig, requirePg } from '../context';
import { CliError, describeDbError, EXIT_FAILURE, EXIT_OK } from '../errors';
import type { PostgresExporterConfig } from '../../exporters/postgres';
import type { ConfigError } from '../../config/errors';
import { readPriceTable } from '../../config/price-table';
import type { PriceTable } from '../../shared/prices';

/** The longest the overflow files may take: the rows they become are then in the exporter's hands (stored, or spooled as rows). */
const OVERFLOW_BUDGET_MS = 10 * 60_000;

/**
 * The export worker's overflow files, through an exporter of their own: stored, or (when the
 * database fails meanwhile) spooled as rows, which the replay that follows then retries.
 */
async function handBackOverflow(pg: PostgresExporterConfig, prices: Readonly<PriceTable>): Promise<{ files: number; spans: number }> {
  const { PostgresSpanExporter } = require('../../exporters/postgres') as typeof import('../../exporters/postgres');
  const { PostgresDestination } = require('../../exporters/postgres/destination') as typeof import('../../exporters/postgres/destination');
  const { Overflow } = require('../../engine/overflow') as typeof import('../../engine/overflow');
  const exporter = new PostgresSpanExporter(pg, { autoReplay: false });
  const overflow = new Overflow([{ destination: new PostgresDestination(exporter), dir: pg.spoolDir, maxBytes: pg.spoolMaxBytes }], () => ({}), prices);
  try {
    // Unreachable: the files stay as they are, and the replay below reports why.
    if (!(await exporter.probe())) return { files: 0, spans: 0 };
    await overflow.replay(Date.now() + OVERFLOW_BUDGET_MS);
    await exporter.forceFlush();
  } finally {
    overflow.close();
    await exporter.shutdown();
  }
  return overflow.handedBack;
}

const spec: CommandSpec = {
  name: 'replay',
  summary: 'Send the on-disk spool (AGENTOPS_PG_SPOOL_DIR: spans PostgreSQL could not take when they were exported) to PostgreSQL now, and report the counts.',
  description: `Safe while apps run: each spool file is claimed atomically, rows are written idempotently, and a
file is removed only once all its rows are stored (or, if PostgreSQL refuses their data, dead-lettered
in <table>_dead_letter). The export worker's overflow files (*.wire: spans it set aside while it
was behind the app) go first. Exits 1 when files remain because the database failed.`,
  options: {
    json: { type: 'boolean', description: 'Print the counts as JSON.' },
  },
  examples: ['agentops-otel replay', 'AGENTOPS_PG_SPOOL_DIR=/var/spool/agentops agentops-otel replay --json'],
};

export const command: Command = {
  spec,
  async run(ctx, args) {
    const config = loadConfig(ctx.env);
    const pg = requirePg(config);
    const mod = require('../../exporters/postgres') as typeof import('../../exporters/postgres');
    const target = mod.describeTarget(pg.connection);
    const before = await mod.spoolStatus(pg);
    const json = flag(args.values.json);
    if (before.files === 0 && before.claimed === 0) {
      if (json) await ctx.io.out(JSON.stringify({ spoolDir: before.dir, files: 0, rows: 0, stored: 0, deadLettered: 0, dropped: 0, remainingFiles: 0 }) + '\n');
      else await ctx.io.out(`spool ${before.dir} is empty; nothing to replay\n`);
      return EXIT_OK;
    }
    // LLM event spans in overflow files are priced as they are read back, as the worker would have.
    const priceErrors: ConfigError[] = [];
    const prices = readPriceTable(config.source, priceErrors);
    for (const e of priceErrors) ctx.io.err(`agentops-otel: warning: ${e.message}\n`);
    const overflow = await handBackOverflow(pg, prices);
    const result = await mod.replaySpool(pg);
    if (json) {
      await ctx.io.out(JSON.stringify({ spoolDir: before.dir, target, overflowFiles: overflow.files, overflowSpans: overflow.spans, ...result }) + '\n');
    } else {
      if (overflow.files > 0) await ctx.io.out(`handed ${overflow.spans} span(s) from ${overflow.files} overflow file(s) in ${before.dir} to the exporter\n`);
      await ctx.io.out(
        `replayed ${result.files} spool file(s) from ${before.dir} to ${target}: ${result.rows} rows, ${result.stored} stored (new), ${result.deadLettered} dead-lettered, ${result.dropped} dropped; ${result.remainingFiles} file(s) remain\n`,
      );
      if (result.rows > result.stored + result.deadLettered + result.dropped) {
        await ctx.io.out(`(${result.rows - result.stored - result.deadLettered - result.dropped} rows were already stored: replay is idempotent)\n`);
      }
    }
    if (result.error !== undefined) {
      const e = describeDbError(Object.assign(new Error(result.error.message), { code: result.error.code }), target, pg.table);
      throw new CliError(`replay stopped: ${e.message}`, EXIT_FAILURE, e.hint);
    }
    if (result.remainingFiles > 0) {
      ctx.io.err(`agentops-otel: ${result.remainingFiles} spool file(s) remain (claimed by a running process, or written meanwhile); run replay again\n`);
      return EXIT_FAILURE;
    }
    return EXIT_OK;
  },
};
