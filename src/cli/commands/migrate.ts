import { flag, type CommandSpec } from '../args';
import type { Command } from '../command';
import { loadConfig, requirePg, withDb } from '../context';
import { CliError, EXIT_FAILURE, EXIT_OK } from '../errors';
import { tableNames } from '../../exporters/postgres/identifier';
import { describeReport, maintainOn, printConfigWarnings } from './maintain';

const spec: CommandSpec = {
  name: 'migrate',
  summary:
    'Create or upgrade the PostgreSQL schema for the configured table (AGENTOPS_PG_TABLE): the partitioned span table, its session summaries, its dead-letter table and its views. Idempotent and safe to run concurrently.',
  description: `An older (version 1 or 2) table is upgraded in place, keeping every row: it is renamed
<table>_v2 at once (writers go on into the new table), then its rows are moved over in chunks and
their session summaries built; an interrupted run goes on where it stopped when run again.
Views are per table: agentops_spans has agentops_sessions, agentops_llm_calls and agentops_errors;
another table <name>_spans has <name>_sessions, …; a table not ending in _spans has <table>_sessions, ….`,
  options: {
    json: { type: 'boolean', description: 'Print the result as JSON.' },
    'print-sql': { type: 'boolean', description: 'Print the SQL for the configured table instead of running it (no database needed).' },
  },
  examples: ['agentops-otel migrate', 'AGENTOPS_PG_TABLE=acme_spans agentops-otel migrate --print-sql > acme.sql'],
};

export const command: Command = {
  spec,
  async run(ctx, args) {
    const cfg = loadConfig(ctx.env);
    const pg = requirePg(cfg);
    const mod = require('../../exporters/postgres') as typeof import('../../exporters/postgres');
    if (flag(args.values['print-sql'])) {
      await ctx.io.out(mod.renderSchemaSql(pg.table));
      return EXIT_OK;
    }
    printConfigWarnings(ctx, pg.warnings);
    const n = tableNames(pg.table);
    const json = flag(args.values.json);
    return withDb(pg, async (db) => {
      let result: Awaited<ReturnType<typeof mod.migrate>>;
      try {
        result = await mod.migrate(db.pool, pg.table, { interval: pg.partitionInterval });
      } catch (err) {
        if (err instanceof CliError) throw err;
        const { describeDbError } = require('../errors') as typeof import('../errors');
        throw describeDbError(err, db.target, pg.table);
      }
      // Moves an upgraded table's rows (and creates what maintenance creates); progress on stderr.
      let last = Date.now();
      const t0 = Date.now();
      const maintenance = await maintainOn(db, {
        interval: pg.partitionInterval,
        retentionDays: 0,
        progress: (line) => {
          if (json || Date.now() - last < 5000) return;
          last = Date.now();
          ctx.io.err(`${line} …\n`);
        },
      });
      const seconds = (Date.now() - t0) / 1000;
      if (json) {
        await ctx.io.out(JSON.stringify({ ...result, target: db.target, views: [n.sessionsView, n.llmCallsView, n.errorsView], maintenance }) + '\n');
      } else {
        if (result.from > mod.LATEST_VERSION) {
          await ctx.io.out(`schema for ${pg.table} at ${db.target} is at version ${result.from}, newer than this agentops-otel knows (${mod.LATEST_VERSION}); nothing changed\n`);
        } else if (result.applied.length === 0) {
          await ctx.io.out(`schema for ${pg.table} at ${db.target} is up to date (version ${result.to})${maintenance.backfill ? '' : '; nothing to do'}\n`);
        } else {
          await ctx.io.out(`schema for ${pg.table} at ${db.target}: version ${result.from} → ${result.to} (applied ${result.applied.join(', ')})\n`);
        }
        if (result.legacyTable) await ctx.io.out(`the version ${result.from} table is now ${result.legacyTable}; its rows move into the partitioned ${pg.table}\n`);
        if (maintenance.backfill) await ctx.io.out(`${describeReport({ ...maintenance, created: [], movedFromDefault: 0 })[0]} (${seconds.toFixed(1)} s)\n`);
        await ctx.io.out(
          `tables: ${pg.table} (partitioned by start time, one partition per ${pg.partitionInterval}), ${n.summary}, ${n.deadLetter}; views: ${n.sessionsView}, ${n.llmCallsView}, ${n.errorsView}\n`,
        );
      }
      const legacyLeft = (await db.query<{ t: string | null }>('SELECT to_regclass($1)::text AS t', [`"${n.legacy}"`]))[0].t !== null;
      if (maintenance.skipped !== undefined && legacyLeft) {
        throw new CliError(`the schema is current, but ${maintenance.skipped}`, EXIT_FAILURE, 'run agentops-otel migrate again when it is done, to finish moving rows');
      }
      if (maintenance.problems.length > 0) throw new CliError(maintenance.problems.join('; '), EXIT_FAILURE, 'run agentops-otel migrate again: it goes on where it stopped');
      return EXIT_OK;
    });
  },
};
