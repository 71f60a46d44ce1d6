import { flag, type CommandSpec } from '../args';
import type { Command } from '../command';
import { loadConfig, requirePg, withDb } from '../context';
import { CliError, EXIT_OK } from '../errors';
import { tableNames } from '../../exporters/postgres/identifier';

const spec: CommandSpec = {
  name: 'migrate',
  summary: 'Create or upgrade the PostgreSQL schema for the configured table (AGENTOPS_PG_TABLE): the span table, its dead-letter table and its views. Idempotent and safe to run concurrently.',
  description: `Views are per table: agentops_spans has agentops_sessions, agentops_llm_calls and agentops_errors;
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
    const n = tableNames(pg.table);
    return withDb(pg, async (db) => {
      let result: Awaited<ReturnType<typeof mod.migrate>>;
      try {
        result = await mod.migrate(db.pool, pg.table);
      } catch (err) {
        if (err instanceof CliError) throw err;
        const { describeDbError } = require('../errors') as typeof import('../errors');
        throw describeDbError(err, db.target, pg.table);
      }
      if (flag(args.values.json)) {
        await ctx.io.out(JSON.stringify({ ...result, target: db.target, views: [n.sessionsView, n.llmCallsView, n.errorsView] }) + '\n');
        return EXIT_OK;
      }
      if (result.from > mod.LATEST_VERSION) {
        await ctx.io.out(`schema for ${pg.table} at ${db.target} is at version ${result.from}, newer than this agentops-otel knows (${mod.LATEST_VERSION}); nothing changed\n`);
      } else if (result.applied.length === 0) {
        await ctx.io.out(`schema for ${pg.table} at ${db.target} is up to date (version ${result.to}); nothing to do\n`);
      } else {
        await ctx.io.out(`schema for ${pg.table} at ${db.target}: version ${result.from} → ${result.to} (applied ${result.applied.join(', ')})\n`);
      }
      await ctx.io.out(`tables: ${pg.table}, ${n.deadLetter}; views: ${n.sessionsView}, ${n.llmCallsView}, ${n.errorsView}\n`);
      return EXIT_OK;
    });
  },
};
