/**
 * `trace <id>` (and `export <id>`) read a session's spans from the partitions of its time range
 * only, found through its summary, whatever the table's age: checked on the very statements the
 * command sends, planned by PostgreSQL with their parameters. Spans of the trace that the session
 * did not write itself (an HTTP or MCP server span, on another clock) are read within a day of it.
 */
import * as assert from 'node:assert/strict';
import { context, trace } from '@opentelemetry/api';
import type { ReadableSpan } from '@opentelemetry/sdk-trace-base';
import { Client } from 'pg';
import { openDb, type Db } from '../../src/cli/context';
import { traceReport } from '../../src/cli/commands/trace';
import { migrate } from '../../src/exporters/postgres';
import { tableNames } from '../../src/exporters/postgres/identifier';
import { createPartition, listPartitions } from '../../src/exporters/postgres/maintenance/partitions';
import { partitionName, periodAt } from '../../src/exporters/postgres/maintenance/periods';
import { legacySchemaSql } from '../helpers/legacy-schema';
import { createTestDatabase, sql } from '../helpers/postgres';
import { pgConfig, tracing, uuidOf, withOverrides } from './postgres-support';
import { DAY_MS, exportAll, loggerLevelDuring, sessionSpans, withClient } from './storage-support';

const HOUR = 3_600_000;

/** A span of the session's trace that the session did not write (no agentops.session.id), starting at `atMs`. */
function foreignSpan(session: readonly ReadableSpan[], name: string, atMs: number): ReadableSpan {
  const root = session.find((s) => s.attributes['agentops.span.kind'] === 'session') ?? session[0];
  const t = tracing({ onStart: () => undefined, onEnd: () => undefined, forceFlush: async () => undefined, shutdown: async () => undefined });
  const parent = trace.setSpanContext(context.active(), root.spanContext());
  t.tracer.startSpan(name, { startTime: new Date(atMs) }, parent).end(new Date(atMs + 10));
  return t.ended[0];
}

/** A Db that records the statements sent through it. */
function recording(db: Db): { db: Db; sent: Array<{ text: string; values: unknown[] }> } {
  const sent: Array<{ text: string; values: unknown[] }> = [];
  return {
    sent,
    db: {
      ...db,
      query: (text, values) => {
        sent.push({ text, values: values ?? [] });
        return db.query(text, values);
      },
    },
  };
}

/** The partitions PostgreSQL's plan for the span query reads, planned with the command's own parameters. */
async function partitionsRead(url: string, stmt: { text: string; values: unknown[] }): Promise<string[]> {
  return withClient(url, async (c: Client) => {
    const r = await c.query<{ 'QUERY PLAN': string }>(`EXPLAIN (COSTS OFF) ${stmt.text}`, stmt.values);
    const names = r.rows.flatMap((x) => [...x['QUERY PLAN'].matchAll(/\bon (agentops_spans_\w+)/g)].map((m) => m[1]));
    return [...new Set(names.filter((x) => !x.endsWith('_pkey')))].sort();
  });
}

describe('agentops-otel trace: the span query reads the partitions of the session only', function () {
  this.timeout(120_000);
  let url: string;
  const now = Date.now();
  const at = now - 30 * DAY_MS; // a session a month old, in a table of 60 daily partitions
  let ended: ReadableSpan[];
  let open: ReadableSpan[];
  let near: ReadableSpan;
  let far: ReadableSpan;
  let lone: ReadableSpan;

  loggerLevelDuring('error');

  before(async () => {
    url = await createTestDatabase('agentops_trace');
    const n = tableNames('agentops_spans');
    await withClient(url, async (c) => {
      await migrate(c, 'agentops_spans', { nowMs: now });
      const parts = await listPartitions(c, n);
      for (let d = 2; d <= 60; d++) {
        await c.query('BEGIN');
        await createPartition(c, n, periodAt('day', now - d * DAY_MS), parts.hasDefault);
        await c.query('COMMIT');
      }
    });
    ended = sessionSpans({ startMs: at, llms: 3 });
    open = sessionSpans({ startMs: at - 10 * DAY_MS, llms: 1, ended: false });
    near = foreignSpan(ended, 'GET /search (another service, its clock 2 h behind)', at - 2 * HOUR);
    far = foreignSpan(ended, 'a span of the trace three days after the session', at + 3 * DAY_MS);
    lone = sessionSpans({ startMs: at + 5 * DAY_MS, llms: 1 }).find((s) => s.attributes['agentops.event.type'] === 'llms')!;
    await (await exportAll(pgConfig(url), [...ended, ...open, near, far, withOverrides(lone, { attributes: {} })])).shutdown();
  });

  async function traced(sessionId: string): Promise<{ names: string[]; spanQuery: { text: string; values: unknown[] } }> {
    const db = await openDb(pgConfig(url));
    try {
      const r = recording(db);
      const report = await traceReport(r.db, sessionId, { width: 120 });
      const spanQuery = r.sent.find((s) => /FROM "agentops_spans" WHERE trace_id/.test(s.text));
      assert.ok(spanQuery, 'the span query was sent');
      return { names: (report.json.spans as Array<{ name: string }>).map((s) => s.name), spanQuery };
    } finally {
      await db.close();
    }
  }

  it('an ended session: the partitions of its day and a day either side, of 69; its spans and the near foreign span', async () => {
    const { names, spanQuery } = await traced(uuidOf(ended[0].spanContext().traceId));
    const read = await partitionsRead(url, spanQuery);
    const days = [-1, 0, 1].map((d) => partitionName('agentops_spans', periodAt('day', at + d * DAY_MS)));
    assert.ok(
      read.every((p) => days.includes(p) || p === 'agentops_spans_default'),
      `reads ${read.join(', ')}`,
    );
    assert.ok(read.includes(partitionName('agentops_spans', periodAt('day', at))));
    assert.deepEqual(names.sort(), [...ended.map((s) => s.name), near.name].sort(), 'the session and the span of the other service; not the one 3 days later');
  });

  it('an open session: from its first span on (more may come), not the partitions before', async () => {
    const { names, spanQuery } = await traced(uuidOf(open[0].spanContext().traceId));
    const read = await partitionsRead(url, spanQuery);
    const before = partitionName('agentops_spans', periodAt('day', at - 12 * DAY_MS));
    assert.ok(!read.includes(before), `reads ${read.join(', ')}`);
    assert.ok(read.includes(partitionName('agentops_spans', periodAt('day', at - 10 * DAY_MS))));
    assert.deepEqual(names.sort(), open.map((s) => s.name).sort());
  });

  it('a table of schema version 2 (not upgraded yet: no summary, no partitions) is read whole', async () => {
    const v2 = await createTestDatabase('agentops_trace');
    await sql(v2, legacySchemaSql(tableNames('agentops_spans'), 2));
    await (await exportAll(pgConfig(v2, { AGENTOPS_PG_AUTO_MIGRATE: 'false' }), ended)).shutdown();
    const db = await openDb(pgConfig(v2));
    try {
      const report = await traceReport(db, uuidOf(ended[0].spanContext().traceId), { width: 120 });
      assert.equal((report.json.spans as unknown[]).length, ended.length);
    } finally {
      await db.close();
    }
  });

  it('a trace with no session summary is looked up in every partition', async () => {
    const { names, spanQuery } = await traced(uuidOf(lone.spanContext().traceId));
    assert.ok((await partitionsRead(url, spanQuery)).length >= 60);
    assert.deepEqual(names, [lone.name]);
  });
});
