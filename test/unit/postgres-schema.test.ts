import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { VIEWS_MARKER, renderSchemaSql } from '../../src/exporters/postgres/schema/ddl';
import { tableNames } from '../../src/exporters/postgres/identifier';
import { STORED_COLUMNS, spanTableSql } from '../../src/exporters/postgres/schema/tables';

// dist/test/unit → repository root
const ROOT = path.resolve(__dirname, '..', '..', '..');

describe('postgres schema.sql', () => {
  it('is the rendering of the migrations for the default table', () => {
    const file = fs.readFileSync(path.join(ROOT, 'schema.sql'), 'utf8');
    assert.equal(file, renderSchemaSql('agentops_spans'), 'schema.sql is stale: regenerate it (see its header)');
  });

  it('names every column of the span table that is not generated in the list a row copy writes', () => {
    const body = spanTableSql(tableNames('agentops_spans')).split(' (\n')[1].split('\n    CONSTRAINT')[0];
    const columns = [...body.matchAll(/^ {4}(\w+) +(?:uuid|text|bigint|timestamptz|jsonb)\b(.*)$/gm)];
    assert.ok(columns.length >= 20, `found ${columns.length} columns`);
    const stored = columns.filter((m) => !m[2].includes('GENERATED ALWAYS')).map((m) => m[1]);
    assert.deepEqual(stored, [...STORED_COLUMNS]);
  });

  it('substitutes only a validated, quoted table name', () => {
    const sql = renderSchemaSql('my_spans');
    assert.ok(sql.includes('CREATE TABLE IF NOT EXISTS "my_spans" ('));
    assert.ok(sql.includes('"my_spans_dead_letter"'));
    assert.ok(!sql.includes('"agentops_spans"'));
    assert.throws(() => renderSchemaSql('x"; drop table t; --'));
  });

  it('keeps the views marker right before the views, inside the transaction, and no GIN index by default', () => {
    const sql = renderSchemaSql();
    const marker = sql.indexOf(VIEWS_MARKER);
    assert.ok(marker > 0, 'the marker is there');
    const after = sql.slice(marker);
    for (const v of ['agentops_sessions', 'agentops_llm_calls', 'agentops_errors']) {
      assert.ok(after.includes(`CREATE OR REPLACE VIEW "${v}" AS`), `${v} follows the marker`);
      assert.ok(!sql.slice(0, marker).includes(`"${v}"`), `${v} only after the marker`);
    }
    assert.ok(sql.trimEnd().endsWith('COMMIT;'), 'the views are in the one transaction');
    assert.ok(!/^\s*CREATE INDEX[^\n]*gin/im.test(sql));
  });

  it('version 3: a partitioned span table whose key holds start_time, a default partition, the summary and its trigger; an older table is refused, not changed', () => {
    const sql = renderSchemaSql();
    assert.match(sql, /PRIMARY KEY \(trace_id, span_id, start_time\)\n\) PARTITION BY RANGE \(start_time\);/);
    assert.ok(sql.includes('CREATE TABLE IF NOT EXISTS "agentops_spans_default" PARTITION OF "agentops_spans" DEFAULT;'));
    assert.ok(sql.includes('CREATE TABLE IF NOT EXISTS "agentops_spans_summary" ('));
    assert.ok(sql.includes('REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION "agentops_spans_summarize"()'));
    assert.ok(sql.includes('CREATE OR REPLACE FUNCTION "agentops_spans_summarize_row"()'), 'the row-level twin is installed (for Citus)');
    assert.match(sql, /RAISE EXCEPTION 'table agentops_spans is of schema version 1 or 2: upgrade it with "agentops-otel migrate"/);
    assert.ok(sql.indexOf('RAISE EXCEPTION') < sql.indexOf('CREATE TABLE IF NOT EXISTS "agentops_spans" ('), 'the guard runs first');
    assert.match(sql, /FROM "agentops_spans_summary" m;/, 'agentops_sessions reads the summary');
  });

  it('derives the view names from the table name', () => {
    const custom = renderSchemaSql('acme_spans');
    assert.ok(custom.includes('CREATE OR REPLACE VIEW "acme_sessions" AS'));
    assert.ok(custom.includes('CREATE OR REPLACE VIEW "acme_llm_calls" AS'));
    assert.ok(custom.includes('CREATE OR REPLACE VIEW "acme_errors" AS'));
    assert.ok(!custom.includes('"agentops_sessions"'));
    const plain = renderSchemaSql('traces');
    assert.ok(plain.includes('CREATE OR REPLACE VIEW "traces_sessions" AS'));
    assert.ok(plain.includes('FROM "traces" s'));
    const longest = renderSchemaSql('a'.repeat(46));
    assert.ok(longest.includes(`"${'a'.repeat(46)}_llm_calls"`));
  });
});
