import { flag, parseIntOption, parseSessionId, str, type CommandSpec } from '../args';
import type { Command } from '../command';
import { loadConfig, outputWidth, requirePg, withDb, type Db } from '../context';
import { CliError, EXIT_OK } from '../errors';
import { asciiJson, asciiOnly, formatCost, formatCount, formatDuration, isoNanos } from '../format';
import { listSessions, sessionJson, spanJson, toTraceSpan, traceRows, type SessionRow } from '../queries';
import { ASCII, buildTree, flattenTree, renderWaterfall, UNICODE, type Glyphs } from '../tree';

const spec: CommandSpec = {
  name: 'trace',
  summary: "Show one session as an indented tree with a timeline bar per span (a terminal waterfall like Jaeger's), with durations, status and key attributes.",
  args: '<session-id>',
  minPositionals: 1,
  maxPositionals: 1,
  description: `<session-id> is the session UUID (= the trace id), or its 32 hex digits as Jaeger shows them.
A span whose parent is not recorded (a session still open) hangs under a "⋯ <span id> (not recorded)" line.`,
  options: {
    json: { type: 'boolean', description: 'The session summary and its spans (tree order, with depth) as one JSON object.' },
    width: { type: 'string', value: '<cols>', description: "Line width (default: the terminal's, or 120)." },
    ascii: {
      type: 'boolean',
      description: 'Print ASCII characters only: the tree, bars, units and separators in ASCII, any other character of the recorded data as ?, and with --json every non-ASCII character escaped.',
    },
    'no-attributes': { type: 'boolean', description: 'Leave out the key attributes after each bar.' },
  },
  examples: ['agentops-otel trace 0b3c5f1e-6d2a-4c8b-9e7f-1a2b3c4d5e6f', 'agentops-otel trace 0b3c5f1e6d2a4c8b9e7f1a2b3c4d5e6f --json'],
};

export function summaryLine(s: SessionRow, g: Glyphs = UNICODE): string {
  const parts = [
    `session ${s.sessionId}`,
    s.serviceName ? `service ${s.serviceName}` : '',
    s.open ? 'open (no session span yet)' : `${s.endState ?? '?'}${s.endStateReason ? ` (${s.endStateReason})` : ''}`,
    `started ${isoNanos(s.startNs)}`,
    `${formatDuration(s.durationNs, g.micro)}`,
    `${formatCount(s.spans)} spans`,
    `${s.llmCalls} LLM, ${s.toolCalls} tool, ${s.actions} action, ${s.errors} error events`,
  ];
  if (s.inputTokens !== null || s.outputTokens !== null) parts.push(`${formatCount(s.totalTokens)} tokens`);
  if (s.costUsd !== null) parts.push(formatCost(s.costUsd));
  return parts.filter((p) => p !== '').join(g.separator);
}

export interface TraceReport {
  summary: SessionRow | undefined;
  lines: string[];
  json: Record<string, unknown>;
}

/** Reads one session and renders it; shared with `demo`. Throws CliError when it has no spans. */
export async function traceReport(db: Db, sessionId: string, o: { width: number; ascii?: boolean; attributes?: boolean }): Promise<TraceReport> {
  const rows = await traceRows(db, sessionId);
  if (rows.length === 0) {
    throw new CliError(
      `no spans for session ${sessionId} in table ${db.config.table} at ${db.target}`,
      undefined,
      'list sessions with "agentops-otel sessions"; spans may still be in the exporter\'s buffer or spool ("agentops-otel replay")',
    );
  }
  const [summary] = await listSessions(db, { sessionId, limit: 1 });
  const spans = rows.map(toTraceSpan);
  const glyphs = o.ascii ? ASCII : UNICODE;
  const lines = [...(summary ? [summaryLine(summary, glyphs)] : []), ...renderWaterfall(spans, { width: o.width, glyphs, attributes: o.attributes })];
  const byId = new Map(rows.map((r) => [r.span_id, r]));
  const flat = flattenTree(buildTree(spans), glyphs);
  const jsonSpans = flat.filter((f) => f.node.span !== null).map((f) => ({ depth: f.depth, ...spanJson(byId.get(f.node.id)!) }));
  const missing = flat.filter((f) => f.node.span === null).map((f) => f.node.id);
  // Our own glyphs are ASCII by now; what is left is recorded data (span names, attribute values).
  return { summary, lines: o.ascii ? lines.map(asciiOnly) : lines, json: { session: summary ? sessionJson(summary) : null, missing_parents: missing, spans: jsonSpans } };
}

export const command: Command = {
  spec,
  async run(ctx, args) {
    const sessionId = parseSessionId(args.positionals[0]);
    const width = outputWidth(ctx, str(args.values.width) !== undefined ? parseIntOption(str(args.values.width), '--width', 120, 60, 1000) : undefined);
    const pg = requirePg(loadConfig(ctx.env));
    const report = await withDb(pg, (db) => traceReport(db, sessionId, { width, ascii: flag(args.values.ascii), attributes: !flag(args.values['no-attributes']) }));
    if (flag(args.values.json)) {
      const json = JSON.stringify(report.json);
      await ctx.io.out((flag(args.values.ascii) ? asciiJson(json) : json) + '\n');
      return EXIT_OK;
    }
    for (const line of report.lines) await ctx.io.out(line + '\n');
    return EXIT_OK;
  },
};
