import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { VIEWS_MARKER, renderSchemaSql } from '../../src/exporters/postgres/schema/ddl';

// dist/test/unit → repository root
const ROOT = path.resolve(__dirname, '..', '..', '..');

describe('postgres schema.sql', () => {
  it('is the rendering of the migrations for the default table', () => {
    const file = fs.readFileSync(path.join(ROOT, 'schema.sql'), 'utf8');
    assert.equal(file, renderSchemaSql('agentops_spans'), 'schema.sql is stale: regenerate it (see its header)');
  });

  it('substitutes only a validated, quoted table name', () => {
    const sql = renderSchemaSql('my_spans');
    assert.ok(sql.includes('CREATE TABLE IF NOT EXISTS "my_spans" ('));
    assert.ok(sql.includes('"my_spans_dead_letter"'));
    assert.ok(!sql.includes('"agentops_spans"'));
    assert.throws(() => renderSchemaSql('x"; drop table t; --'));
  });

  it('keeps the views marker at the end and no GIN index by default', () => {
    const sql = renderSchemaSql();
    assert.ok(sql.trimEnd().endsWith(VIEWS_MARKER));
    assert.ok(!/^\s*CREATE INDEX[^\n]*gin/im.test(sql));
  });
});
