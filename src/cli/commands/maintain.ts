import { flag, type CommandSpec } from '../args';
import type { Command } from '../command';
import { loadConfig, requirePg, withDb, type Ctx, type Db } from '../context';
import { CliError, EXIT_FAILURE, EXIT_OK } from '../errors';
import type { MaintenanceOptions, MaintenanceReport } from '../../exporters/postgres';

const spec: CommandSpec = {
  name: 'maintain',
  summary:
    'Maintain the span table: create the partitions of the coming periods, move rows out of the default partition, finish an upgrade, and drop whole partitions older than AGENTOPS_PG_RETENTION_DAYS. Idempotent; exits 0 when there is nothing to do.',
  description: `The exporter runs the same pass at start-up and hourly; run this from cron if your apps are
short-lived. Two runs at once are safe: the second reports that another one is at work. Retention
refuses to run (exit 1, nothing dropped) when the database's clock and this machine's disagree by
more than 5 minutes.`,
  options: {
    json: { type: 'boolean', description: 'Print what was done as JSON.' },
  },
  examples: ['agentops-otel maintain', 'AGENTOPS_PG_RETENTION_DAYS=30 agentops-otel maintain --json'],
};

/** One pass on a connection of its own (the advisory lock belongs to the session), without time limits: an upgrade of a large table takes a while. */
export async function maintainOn(db: Db, opts: MaintenanceOptions): Promise<MaintenanceReport> {
  const mod = require('../../exporters/postgres') as typeof import('../../exporters/postgres');
  const { Client } = require('pg') as typeof import('pg');
  const client = new Client(mod.poolConfig(db.config, { statement_timeout: 0, query_timeout: 0 }));
  client.on('error', () => undefined);
  try {
    await client.connect();
    return await mod.runMaintenance(client, db.config.table, opts);
  } catch (err) {
    const { describeDbError } = require('../errors') as typeof import('../errors');
    throw describeDbError(err, db.target, db.config.table);
  } finally {
    await client.end().catch(() => undefined);
  }
}

/** The report as lines for humans. */
export function describeReport(r: MaintenanceReport): string[] {
  const out: string[] = [];
  const list = (names: string[]): string => (names.length <= 3 ? names.join(', ') : `${names.slice(0, 2).join(', ')} … ${names[names.length - 1]} (${names.length})`);
  if (r.backfill) {
    const b = r.backfill;
    out.push(
      `rows of the upgraded table moved: ${b.rows}${b.remaining > 0 ? `, ${b.remaining} still to move` : ''}${b.partitions.length > 0 ? `; partitions for them: ${list(b.partitions)}` : ''}${b.dropped ? '; the old table is dropped' : ''}`,
    );
    if (b.note) out.push(b.note);
  }
  if (r.created.length > 0) out.push(`partitions created: ${list(r.created)}`);
  if (r.movedFromDefault > 0) out.push(`rows moved from the default partition into their partitions: ${r.movedFromDefault}`);
  const ret = r.retentionResult;
  if (ret) {
    const parts = [ret.dropped.length > 0 ? `dropped ${list(ret.dropped)}` : 'no partition old enough to drop'];
    if (ret.deletedDefaultRows > 0) parts.push(`${ret.deletedDefaultRows} old rows deleted from the default partition`);
    if (ret.summariesRemoved + ret.summariesRebuilt > 0) parts.push(`session summaries: ${ret.summariesRemoved} removed, ${ret.summariesRebuilt} rebuilt`);
    if (ret.deadLettersDeleted > 0) parts.push(`${ret.deadLettersDeleted} dead letters deleted`);
    out.push(`retention (spans before ${ret.cutoff}): ${parts.join('; ')}`);
  }
  return out;
}

export function printConfigWarnings(ctx: Ctx, warnings: Array<{ message: string }>): void {
  for (const w of warnings) ctx.io.err(`agentops-otel: invalid configuration: ${w.message}\n`);
}

export const command: Command = {
  spec,
  async run(ctx, args) {
    const pg = requirePg(loadConfig(ctx.env));
    printConfigWarnings(ctx, pg.warnings);
    return withDb(pg, async (db) => {
      const r = await maintainOn(db, { interval: pg.partitionInterval, retentionDays: pg.retentionDays });
      if (flag(args.values.json)) {
        await ctx.io.out(JSON.stringify({ ...r, target: db.target }) + '\n');
      } else {
        const head = `maintenance of ${pg.table} at ${db.target} (one partition per ${pg.partitionInterval}; retention ${pg.retentionDays > 0 ? `${pg.retentionDays} days` : 'off'})`;
        if (r.skipped !== undefined) await ctx.io.out(`${head}: skipped, ${r.skipped}\n`);
        else {
          const lines = describeReport(r);
          await ctx.io.out(lines.length === 0 || !r.changed ? `${head}: nothing to do\n` : `${head}:\n${lines.map((l) => `  ${l}\n`).join('')}`);
        }
      }
      if (r.skipped !== undefined && !r.skipped.startsWith('another process')) throw new CliError(r.skipped, EXIT_FAILURE, 'run agentops-otel migrate first');
      if (r.problems.length > 0)
        throw new CliError(r.problems.join('; '), EXIT_FAILURE, r.retention === 'refused' ? 'check the clocks (NTP) of this machine and the database server' : 'run agentops-otel maintain again');
      return EXIT_OK;
    });
  },
};
