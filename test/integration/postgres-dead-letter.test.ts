/**
 * The dead-letter table keyed by (trace_id, id), against a real PostgreSQL: the exporter keeps a
 * refused row whatever its trace id (invalid, missing, hostile), and `migrate` upgrades the
 * dead-letter table of versions 2 and 3 in place with every row kept; twice is harmless.
 */
import * as assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as path from 'node:path';
import { migrate, PostgresSpanExporter } from '../../src/exporters/postgres';
import { tableNames } from '../../src/exporters/postgres/identifier';
import { sanitizeString } from '../../src/exporters/postgres/sanitize';
import { downgradeToV3Sql, legacySchemaSql } from '../helpers/legacy-schema';
import { createTestDatabase, sql } from '../helpers/postgres';
import { pgConfig, tracing, withOverrides } from './postgres-support';
import { withClient, loggerLevelDuring } from './storage-support';

const n = tableNames('agentops_spans');
const SCHEMA_SQL = path.resolve(__dirname, '..', '..', '..', 'schema.sql');

/** The dead-letter INSERT of the releases before version 4, word for word. */
const EARLIER_WRITER_SQL = `INSERT INTO "${n.deadLetter}" (trace_id, span_id, raw_row, error_code, error_message) SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[])`;

/** Dead letters as earlier releases stored them: a valid trace id, an invalid one, none, a hostile one. */
const EARLIER_ROWS: Array<Array<string | null>> = [
  ['0af7651916cd43dd8448eb211c80319c', 'b7ad6b7169203331', '{"trace_id":"0af7651916cd43dd8448eb211c80319c","start_time":"1000000000000000000000"}', '22003', 'bigint out of range'],
  ['not-a-trace-id', 'b7ad6b7169203332', '{"trace_id":"not-a-trace-id"}', '22P02', 'invalid input syntax for type uuid: "not-a-trace-id"'],
  [null, null, '{"trace_id":null}', '23502', 'null value in column "trace_id"'],
  ["x'); DROP TABLE agentops_spans; -- 😀", '', '{}', '22P02', 'invalid input syntax for type uuid'],
];

async function writeAsEarlierRelease(url: string, rows: Array<Array<string | null>>): Promise<void> {
  await sql(
    url,
    EARLIER_WRITER_SQL,
    [0, 1, 2, 3, 4].map((c) => rows.map((r) => r[c])),
  );
}

type DeadLetter = { id: string; trace_id: string | null; span_id: string | null; raw_row: string; error_code: string | null; error_message: string | null; failed_at: Date };

async function deadLetters(url: string): Promise<DeadLetter[]> {
  return sql<DeadLetter>(url, `SELECT id::text AS id, trace_id, span_id, raw_row, error_code, error_message, failed_at FROM "${n.deadLetter}" ORDER BY id`);
}

/** Columns of the primary key of `relation`, in key order, and whether trace_id may be NULL. */
async function primaryKey(url: string, relation: string): Promise<{ cols: string[]; nullable: boolean }> {
  const [k] = await sql<{ cols: string[] }>(
    url,
    `SELECT array_agg(a.attname::text ORDER BY k.ord) AS cols
     FROM pg_index i CROSS JOIN LATERAL unnest(i.indkey) WITH ORDINALITY AS k(attnum, ord)
     JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = k.attnum
     WHERE i.indrelid = to_regclass($1) AND i.indisprimary`,
    [`"${relation}"`],
  );
  const [t] = await sql<{ nullable: boolean }>(url, `SELECT NOT attnotnull AS nullable FROM pg_attribute WHERE attrelid = to_regclass($1) AND attname = 'trace_id'`, [`"${relation}"`]);
  return { cols: k.cols, nullable: t.nullable };
}

/** What the upgrade must leave: every row, every value, a missing trace id as ''. */
function upgraded(rows: DeadLetter[]): DeadLetter[] {
  return rows.map((r) => ({ ...r, trace_id: r.trace_id ?? '' }));
}

describe('postgres storage: the dead-letter table keyed by (trace_id, id)', function () {
  this.timeout(120_000);
  loggerLevelDuring('error');

  it('the exporter keeps a refused row whatever its trace id: invalid, missing or hostile, each under its trace id as received', async () => {
    const url = await createTestDatabase('agentops_dl');
    const exporter = new PostgresSpanExporter(pgConfig(url));
    const t = tracing({ onStart: () => undefined, onEnd: () => undefined, forceFlush: async () => undefined, shutdown: async () => undefined });
    for (let i = 0; i < 12; i++) t.tracer.startSpan(`ok ${i}`).end();
    const good = t.ended.slice();
    const withTrace = (i: number, traceId: unknown) => withOverrides(good[i], { spanContext: () => ({ ...good[i].spanContext(), traceId }) });
    const hostile = `x\u0000y\uD800'); DROP TABLE agentops_spans; --${'z'.repeat(1000)}`;
    const invalid = withTrace(2, 'not-a-trace-id');
    const missing = withTrace(5, undefined);
    const evil = withTrace(8, hostile);
    exporter.export([...good.slice(0, 2), invalid, ...good.slice(3, 5), missing, ...good.slice(6, 8), evil, ...good.slice(9)], () => undefined);
    await exporter.forceFlush();
    await exporter.shutdown();

    assert.equal((await sql<{ n: number }>(url, 'SELECT count(*)::int AS n FROM agentops_spans'))[0].n, 9, 'the batch-mates are stored');
    const dead = await deadLetters(url);
    const bySpan = new Map(dead.map((d) => [d.span_id, d]));
    assert.equal(dead.length, 3);
    assert.deepEqual(
      [invalid, missing, evil].map((s) => [bySpan.get(s.spanContext().spanId)?.trace_id, bySpan.get(s.spanContext().spanId)?.error_code]),
      [
        ['not-a-trace-id', '22P02'],
        ['', '23502'],
        [sanitizeString(hostile, 256), '22P02'],
      ],
    );
    const evilRow = bySpan.get(evil.spanContext().spanId)!;
    assert.ok(!evilRow.trace_id!.includes('\u0000') && evilRow.trace_id!.startsWith('xy\uFFFD'), 'cleaned of NUL and lone surrogates');
    assert.equal(JSON.parse(evilRow.raw_row).operation_name, 'ok 8', 'the raw row is kept');
    assert.equal(JSON.parse(bySpan.get(missing.spanContext().spanId)!.raw_row).trace_id, null, 'the raw row says the trace id was missing');
  });

  it('migrate upgrades a version-3 database: every dead letter kept, key (trace_id, id); the earlier release still writes; twice, and schema.sql after it, change nothing', async () => {
    const url = await createTestDatabase('agentops_dl');
    await withClient(url, (c) => migrate(c, 'agentops_spans'));
    await sql(url, downgradeToV3Sql(n));
    await writeAsEarlierRelease(url, EARLIER_ROWS);
    assert.deepEqual(await primaryKey(url, n.deadLetter), { cols: ['id'], nullable: true }, 'a version-3 dead-letter table');
    const before = await deadLetters(url);

    const first = await withClient(url, (c) => migrate(c, 'agentops_spans'));
    assert.deepEqual([first.from, first.applied], [3, [4]]);
    assert.deepEqual(await primaryKey(url, n.deadLetter), { cols: ['trace_id', 'id'], nullable: false });
    assert.deepEqual(await deadLetters(url), upgraded(before), 'every row kept, a missing trace id as ""');

    // An app of the earlier release still running during a live upgrade writes its dead letters.
    await writeAsEarlierRelease(url, [['5b8efff798038103d269b633813fc60c', 'eee19b7ec3c1b174', '{}', '22021', 'invalid byte sequence']]);
    const withLater = await deadLetters(url);
    assert.equal(withLater.length, EARLIER_ROWS.length + 1);
    assert.ok(BigInt(withLater[withLater.length - 1].id) > BigInt(before[before.length - 1].id), 'ids go on from where they were');

    const again = await withClient(url, (c) => migrate(c, 'agentops_spans'));
    assert.deepEqual([again.from, again.applied], [4, []]);
    const r = spawnSync('psql', [url, '-v', 'ON_ERROR_STOP=1', '-q', '-f', SCHEMA_SQL], { encoding: 'utf8' });
    assert.equal(r.status, 0, r.stderr);
    assert.deepEqual(await deadLetters(url), withLater);
    assert.deepEqual(await primaryKey(url, n.deadLetter), { cols: ['trace_id', 'id'], nullable: false });
  });

  it('migrate upgrades a version-2 database with dead letters the same way, every row kept', async () => {
    const url = await createTestDatabase('agentops_dl');
    await sql(url, legacySchemaSql(n, 2));
    await writeAsEarlierRelease(url, EARLIER_ROWS);
    const before = await deadLetters(url);
    const first = await withClient(url, (c) => migrate(c, 'agentops_spans'));
    assert.deepEqual([first.from, first.applied], [2, [3, 4]]);
    assert.deepEqual(await primaryKey(url, n.deadLetter), { cols: ['trace_id', 'id'], nullable: false });
    assert.deepEqual(await deadLetters(url), upgraded(before));
    const again = await withClient(url, (c) => migrate(c, 'agentops_spans'));
    assert.deepEqual(again.applied, []);
    assert.deepEqual(await deadLetters(url), upgraded(before));
  });
});
