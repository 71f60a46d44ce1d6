import { flag, list, parseIntOption, parseTime, str, type CommandSpec } from '../args';
import type { Command } from '../command';
import { loadConfig, requirePg, withDb } from '../context';
import { EXIT_OK } from '../errors';
import { formatCost, formatCount, formatDuration, renderTable, shortTime } from '../format';
import { listSessions, sessionJson, type SessionRow } from '../queries';

const spec: CommandSpec = {
  name: 'sessions',
  summary: 'List the most recent sessions (newest first) from the sessions view: id, service, start (UTC), duration, end state, number of LLM / tool / action / error events, tokens and cost.',
  description: `A session still open (its session span is not written yet) shows as "open"; its duration and
counts are those of the spans written so far. Times: a duration ago (30m, 2h, 7d), an ISO date or
date-time (2024-05-01T12:00:00Z), epoch milliseconds, or now.`,
  options: {
    since: { type: 'string', value: '<time>', description: 'Only sessions that started at or after this time.' },
    until: { type: 'string', value: '<time>', description: 'Only sessions that started at or before this time.' },
    service: { type: 'string', value: '<name>', description: 'Only this service.name.' },
    state: { type: 'string', value: '<state>', description: 'Only this end state: Success, Fail, Indeterminate, or open.' },
    tag: { type: 'string', value: '<tag>', multiple: true, description: 'Only sessions with this tag.' },
    limit: { type: 'string', value: '<n>', description: 'At most n sessions (default 20, at most 10000).' },
    json: { type: 'boolean', description: 'One JSON array of session objects.' },
  },
  examples: ['agentops-otel sessions --since 2h --state Fail', 'agentops-otel sessions --service checkout --tag prod --json'],
};

export function sessionsTable(rows: SessionRow[]): string {
  return renderTable(
    [
      { header: 'SESSION' },
      { header: 'SERVICE', max: 24 },
      { header: 'START (UTC)' },
      { header: 'DURATION', align: 'right' },
      { header: 'STATE' },
      { header: 'LLM', align: 'right' },
      { header: 'TOOL', align: 'right' },
      { header: 'ACTION', align: 'right' },
      { header: 'ERR', align: 'right' },
      { header: 'TOKENS', align: 'right' },
      { header: 'COST', align: 'right' },
    ],
    rows.map((r) => [
      r.sessionId,
      r.serviceName ?? '',
      shortTime(r.startNs),
      formatDuration(r.durationNs),
      r.open ? 'open' : (r.endState ?? ''),
      formatCount(r.llmCalls),
      formatCount(r.toolCalls),
      formatCount(r.actions),
      formatCount(r.errors),
      r.inputTokens === null && r.outputTokens === null ? '' : formatCount(r.totalTokens),
      formatCost(r.costUsd),
    ]),
  );
}

export const command: Command = {
  spec,
  async run(ctx, args) {
    const v = args.values;
    const now = Date.now();
    const sinceRaw = str(v.since);
    const untilRaw = str(v.until);
    const filters = {
      sinceMs: sinceRaw !== undefined ? parseTime(sinceRaw, '--since', now) : undefined,
      untilMs: untilRaw !== undefined ? parseTime(untilRaw, '--until', now) : undefined,
      service: str(v.service),
      state: str(v.state),
      tags: list(v.tag),
      limit: parseIntOption(str(v.limit), '--limit', 20, 1, 10_000),
    };
    if (filters.state !== undefined && !/^(success|fail|indeterminate|open)$/i.test(filters.state)) {
      const { UsageError } = require('../errors') as typeof import('../errors');
      throw new UsageError(`--state: ${JSON.stringify(filters.state)} is not an end state`, 'expected Success, Fail, Indeterminate or open');
    }
    const pg = requirePg(loadConfig(ctx.env));
    const rows = await withDb(pg, (db) => listSessions(db, filters));
    if (flag(v.json)) {
      await ctx.io.out(JSON.stringify(rows.map(sessionJson)) + '\n');
      return EXIT_OK;
    }
    if (rows.length === 0) {
      await ctx.io.out('no sessions match\n');
      return EXIT_OK;
    }
    await ctx.io.out(sessionsTable(rows));
    if (rows.length === filters.limit) await ctx.io.out(`(the ${rows.length} most recent; --limit shows more)\n`);
    return EXIT_OK;
  },
};
