/**
 * The DDL's shape for Citus, checked without Citus (none can be installed here): schema.sql and
 * the README's Citus set-up statements up to the first Citus function call are applied to the
 * embedded PostgreSQL, then pg_index and pg_constraint must show trace_id in every primary and
 * unique key of every table of ours, and the README's create_distributed_table calls must name
 * trace_id and colocate only tables whose trace_id is of one type.
 */
import * as assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { migrate, runMaintenance } from '../../src/exporters/postgres';
import { tableNames } from '../../src/exporters/postgres/identifier';
import { downgradeToV3Sql } from '../helpers/legacy-schema';
import { createTestDatabase, sql } from '../helpers/postgres';
import { pgConfig } from './postgres-support';
import { DAY_MS, assertSummariesExact, exportAll, installReference, sessionSpans, withClient, loggerLevelDuring } from './storage-support';

const ROOT = path.resolve(__dirname, '..', '..', '..');
const n = tableNames('agentops_spans');

interface CitusSetup {
  /** The statements before the first Citus function call, in order. */
  plain: string[];
  /** create_distributed_table calls, in order. */
  distributed: Array<{ table: string; column: string; colocateWith?: string }>;
  /** Tables the section's table calls local. */
  local: string[];
  /** Statements after the first Citus call that are not create_distributed_table calls. */
  otherCitus: string[];
}

/** The README's "Several machines (Citus)" section, read the way a person would apply it. */
function readmeCitusSetup(): CitusSetup {
  const readme = fs.readFileSync(path.join(ROOT, 'README.md'), 'utf8');
  const start = readme.indexOf('**Several machines (Citus).**');
  assert.ok(start >= 0, 'the README has a Citus section');
  const section = readme.slice(start, readme.indexOf('\n## ', start));
  const blocks = [...section.matchAll(/```sql\n([\s\S]*?)```/g)].map((m) => m[1]);
  assert.equal(blocks.length, 1, 'one set-up script');
  const statements = blocks[0]
    .split('\n')
    .map((l) => l.replace(/--.*$/, ''))
    .join('\n')
    .split(';')
    .map((s) => s.trim().replace(/\s+/g, ' '))
    .filter((s) => s !== '');
  const firstCitus = statements.findIndex((s) => /\b(create_distributed_table|create_reference_table|citus_\w+)\s*\(/.test(s));
  assert.ok(firstCitus > 0, 'plain statements, then the Citus calls');
  const distributed: CitusSetup['distributed'] = [];
  const otherCitus: string[] = [];
  for (const s of statements.slice(firstCitus)) {
    const m = /^SELECT create_distributed_table\('(\w+)', '(\w+)'(?:, colocate_with => '(\w+)')?\)$/.exec(s);
    if (m) distributed.push({ table: m[1], column: m[2], ...(m[3] !== undefined ? { colocateWith: m[3] } : {}) });
    else otherCitus.push(s);
  }
  const local = [...section.matchAll(/^\| `(\w+)` \| local\b/gm)].map((m) => m[1]);
  return { plain: statements.slice(0, firstCitus), distributed, local, otherCitus };
}

type Key = {
  rel: string;
  index: string;
  primary: boolean;
  cols: string[];
};

/** Every primary key and unique index of every table in the schema, partitions included, from pg_index. */
async function uniqueIndexes(url: string): Promise<Key[]> {
  return sql<Key>(
    url,
    `SELECT c.relname AS rel, x.relname AS index, i.indisprimary AS primary,
            array_agg(COALESCE(a.attname::text, '<expression>') ORDER BY k.ord) AS cols
     FROM pg_index i JOIN pg_class c ON c.oid = i.indrelid JOIN pg_class x ON x.oid = i.indexrelid
     CROSS JOIN LATERAL unnest(i.indkey) WITH ORDINALITY AS k(attnum, ord)
     LEFT JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = k.attnum
     WHERE (i.indisunique OR i.indisprimary) AND c.relnamespace = 'public'::regnamespace
     GROUP BY c.relname, x.relname, i.indisprimary ORDER BY 1, 2`,
  );
}

/** Every primary key and unique constraint, from pg_constraint. */
async function uniqueConstraints(url: string): Promise<Array<{ rel: string; con: string; cols: string[] }>> {
  return sql(
    url,
    `SELECT c.relname AS rel, k.conname AS con, array_agg(a.attname::text ORDER BY u.ord) AS cols
     FROM pg_constraint k JOIN pg_class c ON c.oid = k.conrelid
     CROSS JOIN LATERAL unnest(k.conkey) WITH ORDINALITY AS u(attnum, ord)
     JOIN pg_attribute a ON a.attrelid = k.conrelid AND a.attnum = u.attnum
     WHERE k.contype IN ('p', 'u') AND c.relnamespace = 'public'::regnamespace
     GROUP BY c.relname, k.conname ORDER BY 1, 2`,
  );
}

/** Tables of the schema that are not partitions (what one distributes or keeps local). */
async function topTables(url: string): Promise<string[]> {
  const r = await sql<{ t: string }>(url, `SELECT relname AS t FROM pg_class WHERE relnamespace = 'public'::regnamespace AND relkind IN ('r', 'p') AND NOT relispartition ORDER BY 1`);
  return r.map((x) => x.t);
}

async function column(url: string, table: string, col: string): Promise<{ type: string; generated: string } | undefined> {
  const r = await sql<{ type: string; generated: string }>(
    url,
    `SELECT format_type(atttypid, atttypmod) AS type, attgenerated::text AS generated FROM pg_attribute WHERE attrelid = to_regclass($1) AND attname = $2 AND NOT attisdropped`,
    [`"${table}"`, col],
  );
  return r[0];
}

async function summaryTriggers(url: string): Promise<string[]> {
  const r = await sql<{ t: string }>(url, `SELECT tgname AS t FROM pg_trigger WHERE tgrelid = 'agentops_spans'::regclass AND NOT tgisinternal ORDER BY 1`);
  return r.map((x) => x.t);
}

function applySchemaSql(url: string): void {
  const r = spawnSync('psql', [url, '-v', 'ON_ERROR_STOP=1', '-q', '-f', path.join(ROOT, 'schema.sql')], { encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
}

describe('postgres storage: the DDL is ready for Citus (checked on plain PostgreSQL)', function () {
  this.timeout(120_000);
  loggerLevelDuring('error');

  it("every primary key and unique index of every table (partitions included) holds trace_id, and the README's create_distributed_table calls fit the tables", async () => {
    const url = await createTestDatabase('agentops_citus');
    applySchemaSql(url);
    const setup = readmeCitusSetup();
    for (const s of setup.plain) await sql(url, s);
    const now = Date.now();
    // The partitions maintenance creates: the coming days, and one for rows of a far period left in the default partition.
    await (await exportAll(pgConfig(url, { AGENTOPS_PG_AUTO_MIGRATE: 'false' }), sessionSpans({ startMs: now + 40 * DAY_MS }))).shutdown();
    await withClient(url, (c) => runMaintenance(c, 'agentops_spans', { interval: 'day', retentionDays: 0, nowMs: now }));
    const moved = await withClient(url, (c) => runMaintenance(c, 'agentops_spans', { interval: 'day', retentionDays: 0, nowMs: now + 40 * DAY_MS }));
    assert.ok(moved.movedFromDefault > 0, 'a partition created with rows moved into it');

    const keys = (await uniqueIndexes(url)).filter((k) => !setup.local.includes(k.rel));
    const partitions = keys.filter((k) => /^agentops_spans_(d\d{8}|default)$/.test(k.rel));
    assert.ok(partitions.length >= 10, `the default and the time partitions: ${partitions.map((k) => k.rel).join(', ')}`);
    for (const k of keys) assert.equal(k.cols[0], 'trace_id', `${k.rel} ${k.index}: (${k.cols.join(', ')})`);
    for (const k of partitions) assert.deepEqual([k.primary, k.cols], [true, ['trace_id', 'span_id', 'start_time']], k.rel);
    const byRel = new Map(keys.filter((k) => k.primary).map((k) => [k.rel, k.cols]));
    assert.deepEqual(byRel.get(n.table), ['trace_id', 'span_id', 'start_time']);
    assert.deepEqual(byRel.get(n.summary), ['trace_id']);
    assert.deepEqual(byRel.get(n.deadLetter), ['trace_id', 'id']);
    const constraints = await uniqueConstraints(url);
    assert.ok(constraints.length >= partitions.length + 3);
    for (const c of constraints.filter((x) => !setup.local.includes(x.rel))) assert.equal(c.cols[0], 'trace_id', `${c.rel} ${c.con}: (${c.cols.join(', ')})`);

    // The README's Citus calls: every table distributed by trace_id (a stored column, not a
    // generated one), colocated only with a table distributed before it whose trace_id is of the
    // same type, the summary with the spans; every other table listed as local.
    assert.deepEqual(setup.otherCitus, [], 'the script ends with the create_distributed_table calls');
    // Citus refuses to distribute a table that has a trigger unless this is set first.
    assert.deepEqual(await summaryTriggers(url), ['agentops_spans_summarize_row'], 'the row-level trigger only');
    assert.ok(setup.plain.includes('SET citus.enable_unsafe_triggers = on'), 'unsafe triggers enabled before distributing the span table');
    const done = new Map<string, string>();
    for (const d of setup.distributed) {
      const col = await column(url, d.table, d.column);
      assert.ok(col, `${d.table}.${d.column} exists`);
      assert.equal(d.column, 'trace_id', d.table);
      assert.equal(col.generated, '', `${d.table}.${d.column} is not generated`);
      if (d.colocateWith !== undefined && d.colocateWith !== 'none') {
        assert.equal(done.get(d.colocateWith), col.type, `${d.table} is colocated with ${d.colocateWith}, distributed before it by a column of the same type`);
      }
      done.set(d.table, col.type);
    }
    assert.deepEqual(
      setup.distributed.map((d) => [d.table, d.colocateWith ?? null]),
      [
        [n.table, null],
        [n.summary, n.table],
        [n.deadLetter, 'none'],
      ],
    );
    assert.notEqual(done.get(n.deadLetter), done.get(n.table), 'the dead letters cannot share the spans’ colocation group: another type');
    const tables = await topTables(url);
    assert.deepEqual(tables.filter((t) => !done.has(t)).sort(), [...setup.local].sort(), 'every table not distributed is listed as local');
    assert.deepEqual(setup.local, ['agentops_schema_version']);
    assert.equal(await column(url, 'agentops_schema_version', 'trace_id'), undefined, 'the local table has nothing to distribute by');
  });

  it('with the row-level trigger of the README, summaries stay exact through retried writes and an upgrade by migrate (which keeps the row-level trigger)', async () => {
    const url = await createTestDatabase('agentops_citus');
    await withClient(url, (c) => migrate(c, 'agentops_spans'));
    // A version-3 database set up for Citus by the README, then upgraded by this release.
    await sql(url, downgradeToV3Sql(n));
    for (const s of readmeCitusSetup().plain) await sql(url, s);
    assert.deepEqual(await summaryTriggers(url), ['agentops_spans_summarize_row']);
    const now = Date.now();
    const spans = Array.from({ length: 12 }, (_, i) => sessionSpans({ startMs: now - (i % 3) * DAY_MS - i * 1000, llms: i % 4, tools: i % 2, errors: i % 5 === 0 ? 1 : 0, ended: i % 6 !== 2 })).flat();
    const cfg = pgConfig(url, { AGENTOPS_PG_AUTO_MIGRATE: 'false' });
    await (await exportAll(cfg, spans.slice(0, 40))).shutdown();

    const up = await withClient(url, (c) => migrate(c, 'agentops_spans'));
    assert.deepEqual([up.from, up.applied], [3, [4]]);
    assert.deepEqual(await summaryTriggers(url), ['agentops_spans_summarize_row'], 'migrate did not bring the statement-level trigger back');
    applySchemaSql(url);
    assert.deepEqual(await summaryTriggers(url), ['agentops_spans_summarize_row'], 'nor did schema.sql');

    // Every span, the first 40 again: counted once each.
    await (await exportAll(cfg, spans, { batch: 7 })).shutdown();
    await installReference(url);
    assert.equal(await assertSummariesExact(url, 'row-level trigger after the upgrade'), 12);
    const [c] = await sql<{ n: number }>(url, 'SELECT count(*)::int AS n FROM agentops_spans');
    assert.equal(c.n, spans.length);
  });
});
