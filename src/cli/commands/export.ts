import { parseIntOption, parseSessionId, parseTime, str, type CommandSpec } from '../args';
import type { Command } from '../command';
import { loadConfig, requirePg, withDb } from '../context';
import { CliError, EXIT_OK, UsageError } from '../errors';
import { SPAN_COLUMNS, spanJson, traceRows, type SpanDbRow } from '../queries';

const spec: CommandSpec = {
  name: 'export',
  summary: 'Write spans as JSON Lines on stdout: one compact object per span with hex ids, exact nanosecond times (as strings) and ISO times, attributes as an object.',
  args: '<session-id> | --since <time>',
  maxPositionals: 1,
  description: `Either one session (its spans in start order) or every span that started in a time range
(--since, optionally --until; oldest first, read in pages so any size streams).
Fields: trace_id, span_id, parent_span_id (hex or null), session_id (UUID or null), name, kind,
service_name, start_time_unix_nano, end_time_unix_nano, duration_ns (decimal strings: exact),
start_time, end_time (ISO 8601 with nanoseconds), status {code, message}, attributes, events
[{name, time_unix_nano, time, attributes}], links, resource, scope {name, version}.`,
  options: {
    since: { type: 'string', value: '<time>', description: 'Every span that started at or after this time (30m, 2h, 7d, ISO, epoch ms).' },
    until: { type: 'string', value: '<time>', description: 'With --since: only spans that started before this time.' },
    service: { type: 'string', value: '<name>', description: 'With --since: only this service.name.' },
    'page-size': { type: 'string', value: '<n>', description: 'With --since: spans read per query (default 2000).' },
  },
  examples: ['agentops-otel export 0b3c5f1e-6d2a-4c8b-9e7f-1a2b3c4d5e6f > session.jsonl', 'agentops-otel export --since 24h --service checkout | gzip > day.jsonl.gz'],
};

export const command: Command = {
  spec,
  async run(ctx, args) {
    const v = args.values;
    const id = args.positionals[0];
    const sinceRaw = str(v.since);
    if (id !== undefined && sinceRaw !== undefined) throw new UsageError('export: give a session id or --since, not both');
    if (id === undefined && sinceRaw === undefined) throw new UsageError('export: missing <session-id> or --since <time>', 'see agentops-otel export --help');
    if (id !== undefined && (str(v.until) !== undefined || str(v.service) !== undefined)) throw new UsageError('export: --until and --service go with --since');
    const now = Date.now();
    const sessionId = id !== undefined ? parseSessionId(id) : undefined;
    const since = sinceRaw !== undefined ? parseTime(sinceRaw, '--since', now) : undefined;
    const PAGE = parseIntOption(str(v['page-size']), '--page-size', 2000, 1, 100_000);
    const untilRaw = str(v.until);
    const until = untilRaw !== undefined ? parseTime(untilRaw, '--until', now) : undefined;
    const pg = requirePg(loadConfig(ctx.env));
    const table = `"${pg.table}"`;
    await withDb(pg, async (db) => {
      const emit = async (rows: SpanDbRow[]): Promise<void> => {
        if (rows.length === 0) return;
        await ctx.io.out(rows.map((r) => JSON.stringify(spanJson(r))).join('\n') + '\n');
      };
      if (sessionId !== undefined) {
        const rows = await traceRows(db, sessionId);
        if (rows.length === 0) throw new CliError(`no spans for session ${sessionId} in table ${pg.table} at ${db.target}`, undefined, 'list sessions with "agentops-otel sessions"');
        await emit(rows);
        return;
      }
      // Keyset pages over (start_ts, trace_id, span_id): the start_ts index finds the range, the
      // primary key makes the order total, so no span is skipped or repeated between pages.
      const sinceTs = new Date(since!).toISOString();
      const untilTs = until !== undefined ? new Date(until).toISOString() : null;
      let after: { ts: string; trace: string; span: string } | undefined;
      for (;;) {
        const values: unknown[] = [sinceTs, untilTs, str(v.service) ?? null, PAGE];
        let keyset = '';
        if (after) {
          values.push(after.ts, after.trace, after.span);
          keyset = 'AND (start_ts, trace_id, span_id) > ($5::timestamptz, $6::uuid, $7)';
        }
        const rows = await db.query<SpanDbRow & { k_ts: string }>(
          `SELECT ${SPAN_COLUMNS}, to_char(start_ts AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') AS k_ts FROM ${table}
           WHERE start_ts >= $1::timestamptz AND ($2::timestamptz IS NULL OR start_ts < $2::timestamptz) AND ($3::text IS NULL OR service_name = $3)
           ${keyset}
           ORDER BY start_ts, trace_id, span_id LIMIT $4`,
          values,
        );
        await emit(rows);
        if (rows.length < PAGE) break;
        const last = rows[rows.length - 1];
        after = { ts: last.k_ts, trace: last.trace_id, span: last.span_id };
      }
    });
    return EXIT_OK;
  },
};
