/**
 * Security: the table name and every value reach PostgreSQL only as validated identifiers or
 * parameters.
 *
 * - AGENTOPS_PG_TABLE values that would change a statement are refused with a ConfigError naming
 *   the variable; the app runs on (Jaeger still gets its spans) with PostgreSQL export off, and
 *   the database is untouched: the same relations as before, a canary table and its row intact.
 * - Span data that looks like SQL (names, tags, attribute keys and values, the service name) is
 *   stored verbatim as data, by the live path and by a spool replay.
 * - A spool directory path with shell and SQL characters is only a path.
 */
import * as assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { runNode, REPO_ROOT } from '../helpers/child';
import { startOtlpReceiver, type OtlpReceiver } from '../helpers/otlp-receiver';
import { createTestDatabase, sql, SPOOL_FILE, tempDir } from '../helpers/postgres';

const fixture = (name: string): string => path.join(REPO_ROOT, 'test', 'fixtures', name);

const SQL = "'); DROP TABLE agentops_spans; --";
const SQL2 = 'x"; DELETE FROM canary; SELECT \'1';

describe('security: no injection through configuration or span data', function () {
  this.timeout(120_000);
  let receiver: OtlpReceiver;
  let dbUrl: string;

  before(async () => {
    dbUrl = await createTestDatabase('agentops_inject');
    await sql(dbUrl, 'CREATE TABLE canary (x int); INSERT INTO canary VALUES (42); CREATE TABLE x (y int)');
    receiver = await startOtlpReceiver();
  });
  after(async () => {
    await receiver?.close();
  });

  const env = (extra: Record<string, string> = {}): Record<string, string> => ({
    AGENTOPS_EXPORTERS: 'jaeger,postgres',
    AGENTOPS_PG_URL: dbUrl,
    AGENTOPS_PG_SPOOL_DIR: tempDir(),
    OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: receiver.url,
    OTEL_BSP_SCHEDULE_DELAY: '20',
    AGENTOPS_PG_FLUSH_INTERVAL_MS: '20',
    AGENTOPS_PG_RETRY_BASE_MS: '10',
    AGENTOPS_PG_RETRY_MAX_DELAY_MS: '100',
    AGENTOPS_PG_RETRY_COUNT: '1',
    AGENTOPS_PG_CONNECT_TIMEOUT_MS: '1000',
    AGENTOPS_PG_SHUTDOWN_TIMEOUT_MS: '1000',
    ...extra,
  });

  /** Every relation outside the system schemas, and every schema: what a statement could change. */
  async function snapshot(): Promise<string[]> {
    const rels = await sql<{ r: string }>(
      dbUrl,
      "SELECT n.nspname || '.' || c.relname || ':' || c.relkind::text AS r FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname NOT IN ('pg_catalog', 'information_schema') AND n.nspname NOT LIKE 'pg_toast%' ORDER BY 1",
    );
    const schemas = await sql<{ r: string }>(dbUrl, "SELECT 'schema ' || nspname AS r FROM pg_namespace ORDER BY 1");
    return [...rels.map((r) => r.r), ...schemas.map((r) => r.r)];
  }

  it('refuses every unsafe AGENTOPS_PG_TABLE: ConfigError, PostgreSQL off, the database untouched', async () => {
    const before = await snapshot();
    assert.ok(before.includes('public.canary:r'));
    const bad = [
      'spans; DROP TABLE x',
      '"quoted"',
      'Spans',
      'a b',
      'x--',
      'a'.repeat(100),
      'spän',
      'ｓpans', // fullwidth s
      '   ', // blank
      `agentops_spans"; DROP TABLE canary; --`,
      'public.agentops_spans',
      'agentops_spans\nDROP TABLE canary',
    ];
    const runs = await Promise.all(bad.map((table) => runNode(fixture('all-events.js'), { env: env({ AGENTOPS_PG_TABLE: table }) }).then((res) => ({ table, res }))));
    // The empty string: an empty environment variable counts as unset (the default table) in
    // every variable, so it is given through the config file, where it is a value.
    const cfg = path.join(tempDir(), 'empty-table.json');
    fs.writeFileSync(cfg, JSON.stringify({ AGENTOPS_PG_TABLE: '' }));
    runs.push({ table: '', res: await runNode(fixture('all-events.js'), { env: env({ AGENTOPS_CONFIG: cfg }) }) });

    for (const { table, res } of runs) {
      const what = JSON.stringify(table);
      assert.equal(res.code, 0, `${what}: ${res.stderr}`);
      const errors = res.logs.filter((l) => l.level === 'error' && l.variable === 'AGENTOPS_PG_TABLE');
      assert.equal(errors.length, 1, `${what}: one ConfigError naming the variable: ${res.stderr}`);
      assert.match(String(errors[0]!.msg), /invalid configuration: AGENTOPS_PG_TABLE: .* is not an accepted table name; expected a lower-case SQL identifier/);
      assert.ok(!res.logs.some((l) => /postgres exporter started/.test(String(l.msg))), `${what}: PostgreSQL export is off`);
      // The app runs on, traced: Jaeger got the session.
      const traceId = JSON.parse(res.stdout).sessionId.replace(/-/g, '');
      await receiver.waitFor((spans) => spans.filter((s) => s.traceId === traceId).length === 9);
    }
    assert.deepEqual(await snapshot(), before, 'no relation or schema created, changed or dropped');
    assert.deepEqual(await sql(dbUrl, 'SELECT x FROM canary'), [{ x: 42 }]);
  });

  it('a valid but unusual table name works, quoted as an identifier', async () => {
    const res = await runNode(fixture('all-events.js'), { env: env({ AGENTOPS_PG_TABLE: '_select' }) });
    assert.equal(res.code, 0, res.stderr);
    const rows = await sql(dbUrl, 'SELECT count(*)::int AS n FROM "_select" WHERE trace_id = $1', [JSON.parse(res.stdout).sessionId]);
    assert.equal(rows[0]!.n, 9);
  });

  it('stores span data that looks like SQL verbatim, live and from the spool; a spool path with shell/SQL characters is only a path', async () => {
    const service = `svc${SQL}`;
    const pwned = `PWNED_${randomBytes(4).toString('hex')}`;
    const parent = tempDir();
    const spoolDir = path.join(parent, `spool $(touch ${pwned}); \`touch ${pwned}\` ${SQL} '"|&`);
    const check = async (sessionId: string): Promise<void> => {
      const rows = await sql<{ operation_name: string; service_name: string; attributes: Record<string, unknown> }>(
        dbUrl,
        'SELECT operation_name, service_name, attributes FROM agentops_spans WHERE trace_id = $1',
        [sessionId],
      );
      assert.equal(rows.length, 5, 'session, agent, tool, action, error and nothing else');
      assert.ok(
        rows.every((r) => r.service_name === service),
        'service name verbatim',
      );
      const tool = rows.find((r) => r.operation_name === `execute_tool tool ${SQL}`);
      assert.ok(tool, `tool span name verbatim: ${rows.map((r) => r.operation_name).join(' | ')}`);
      assert.equal(tool.attributes[SQL], SQL2, 'attribute key and value verbatim');
      assert.equal(tool.attributes['sql.value'], SQL);
      assert.ok(rows.some((r) => r.operation_name === `invoke_agent agent ${SQL}`));
      assert.ok(JSON.stringify(rows).includes(JSON.stringify(SQL).slice(1, -1)), 'tags, params, returns as data');
      assert.deepEqual(await sql(dbUrl, 'SELECT x FROM canary'), [{ x: 42 }]);
      assert.deepEqual(await sql(dbUrl, "SELECT to_regclass('public.x')::text AS t"), [{ t: 'x' }]);
    };

    // Live.
    const live = await runNode(fixture('security-sql-data.js'), { env: env({ OTEL_SERVICE_NAME: service }) });
    assert.equal(live.code, 0, live.stderr);
    await check(JSON.parse(live.stdout).sessionId);

    // Database unreachable: spooled into the odd path, then replayed by the next process.
    const down = await runNode(fixture('security-sql-data.js'), {
      env: env({ OTEL_SERVICE_NAME: service, AGENTOPS_PG_URL: 'postgres://postgres:postgres@127.0.0.1:1/none', AGENTOPS_PG_SPOOL_DIR: spoolDir }),
    });
    assert.equal(down.code, 0, down.stderr);
    assert.ok(
      fs.readdirSync(spoolDir).some((f) => SPOOL_FILE.test(f)),
      'spooled under the literal path',
    );
    assert.deepEqual(fs.readdirSync(parent), [path.basename(spoolDir)], 'nothing else was created next to it');
    const replay = await runNode(fixture('noop.js'), { env: env({ AGENTOPS_EXPORTERS: 'postgres', AGENTOPS_PG_SPOOL_DIR: spoolDir }) });
    assert.equal(replay.code, 0, replay.stderr);
    await check(JSON.parse(down.stdout).sessionId);
    assert.ok(!fs.existsSync(path.join(REPO_ROOT, pwned)) && !fs.existsSync(path.join(parent, pwned)), 'no shell ran');
  });
});
