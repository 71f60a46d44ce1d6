/**
 * The CLI commands that write to or check the database (migrate, replay, doctor) and the views they
 * create, run against sessions recorded by the preload (test/integration/cli-support.ts); the last
 * test checks that no output of these commands contained a secret. The views test counts the
 * session replay stores, so it comes after replay.
 */
import * as assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { runNode } from '../helpers/child';
import { startOtlpReceiver } from '../helpers/otlp-receiver';
import { createTestDatabase, sql, SPOOL_FILE, tempDir } from '../helpers/postgres';
import { CORE_VARIABLES } from '../../src/config/variables';
import { describePostgresConfig } from '../../src/exporters/postgres';
import { tableNames } from '../../src/exporters/postgres/identifier';
import { legacySchemaSql } from '../helpers/legacy-schema';
import { BatchWriter } from '../../src/engine/batch-codec';
import { WIRE_SPOOL_HEADER, wireFileChunks } from '../../src/engine/wire-file';
import { assertNoSecrets, FIXTURE, HEADER_MARKER, MARKER, recordCliSessions, withUser, type Reported } from './cli-support';

describe('agentops-otel CLI against sessions recorded by the preload', function () {
  const rec = recordCliSessions();
  const { cli } = rec;

  describe('migrate', () => {
    it('creates the schema on an empty database, and a second run changes nothing', async () => {
      const fresh = withUser(await createTestDatabase('agentops_cli_mig'), rec.role, MARKER);
      const first = await cli(['migrate'], { AGENTOPS_PG_URL: fresh });
      assert.equal(first.code, 0, first.stderr);
      assert.match(first.stdout, /version 0 → 4 \(applied 1, 2, 3, 4\)/);
      const second = await cli(['migrate', '--json'], { AGENTOPS_PG_URL: fresh });
      assert.equal(second.code, 0, second.stderr);
      const r = JSON.parse(second.stdout) as { from: number; to: number; applied: number[] };
      assert.deepEqual([r.from, r.to, r.applied], [4, 4, []]);
      const third = await cli(['migrate'], { AGENTOPS_PG_URL: fresh });
      assert.match(third.stdout, /up to date \(version 4\); nothing to do/);
      const views = await sql<{ v: string }>(fresh, "SELECT viewname AS v FROM pg_views WHERE schemaname = 'public' ORDER BY 1");
      assert.deepEqual(
        views.map((x) => x.v),
        ['agentops_errors', 'agentops_llm_calls', 'agentops_sessions'],
      );
    });

    it('gives a configured table its own views', async () => {
      const fresh = withUser(await createTestDatabase('agentops_cli_tbl'), rec.role, MARKER);
      const res = await cli(['migrate'], { AGENTOPS_PG_URL: fresh, AGENTOPS_PG_TABLE: 'acme_spans' });
      assert.equal(res.code, 0, res.stderr);
      assert.match(res.stdout, /views: acme_sessions, acme_llm_calls, acme_errors/);
      const views = await sql<{ v: string }>(fresh, "SELECT viewname AS v FROM pg_views WHERE schemaname = 'public' ORDER BY 1");
      assert.deepEqual(
        views.map((x) => x.v),
        ['acme_errors', 'acme_llm_calls', 'acme_sessions'],
      );
      const printed = await cli(['migrate', '--print-sql'], { AGENTOPS_PG_TABLE: 'acme_spans', AGENTOPS_PG_URL: 'postgres://x:y@127.0.0.1:1/none' });
      assert.equal(printed.code, 0);
      assert.ok(printed.stdout.includes('CREATE OR REPLACE VIEW "acme_sessions" AS'));
    });

    it('upgrades a version-1 schema (the views appear, the spans stay)', async () => {
      const fresh = withUser(await createTestDatabase('agentops_cli_v1'), rec.role, MARKER);
      const n = tableNames('agentops_spans');
      await sql(fresh, legacySchemaSql(n, 1));
      const res = await cli(['migrate'], { AGENTOPS_PG_URL: fresh });
      assert.equal(res.code, 0, res.stderr);
      assert.match(res.stdout, /version 1 → 4 \(applied 2, 3, 4\)/);
      const [v] = await sql<{ n: number }>(fresh, 'SELECT count(*)::int AS n FROM agentops_sessions');
      assert.equal(v.n, 0);
    });
  });

  describe('replay', () => {
    it('sends the spool to PostgreSQL, reports counts, and is a no-op on an empty spool', async () => {
      const spool = tempDir();
      const down = {
        ...rec.env,
        AGENTOPS_PG_URL: `postgres://${rec.role}:${MARKER}@127.0.0.1:1/none`,
        AGENTOPS_PG_SPOOL_DIR: spool,
        AGENTOPS_PG_RETRY_COUNT: '0',
        AGENTOPS_PG_CONNECT_TIMEOUT_MS: '300',
        AGENTOPS_SHUTDOWN_TIMEOUT_MS: '2000',
      };
      const app = await runNode(FIXTURE, { args: ['ok'], env: down });
      assert.equal(app.code, 0, app.stderr);
      const sessionId = (JSON.parse(app.stdout.trim()) as Reported).sessionId;
      assert.ok(
        fs.readdirSync(spool).some((f) => SPOOL_FILE.test(f)),
        'the app spooled its spans',
      );

      const failed = await cli(['replay'], { ...down });
      assert.equal(failed.code, 1);
      assert.match(failed.stderr, /replay stopped: cannot connect to PostgreSQL/);
      assert.ok(
        fs.readdirSync(spool).some((f) => SPOOL_FILE.test(f)),
        'nothing lost when the database is down',
      );

      const res = await cli(['replay'], { ...rec.env, AGENTOPS_PG_SPOOL_DIR: spool });
      assert.equal(res.code, 0, res.stderr);
      assert.match(res.stdout, /replayed 1 spool file\(s\) from .*: 2 rows, 2 stored \(new\), 0 dead-lettered, 0 dropped; 0 file\(s\) remain/);
      const [rows] = await sql<{ n: number }>(rec.dbUrl, 'SELECT count(*)::int AS n FROM agentops_spans WHERE trace_id = $1', [sessionId]);
      assert.equal(rows.n, 2);
      const again = await cli(['replay', '--json'], { ...rec.env, AGENTOPS_PG_SPOOL_DIR: spool });
      assert.equal(again.code, 0);
      assert.equal((JSON.parse(again.stdout) as { files: number }).files, 0);
    });

    it("stores the export worker's overflow files too", async () => {
      const spool = tempDir();
      fs.mkdirSync(spool, { recursive: true, mode: 0o700 });
      const traceId = randomBytes(16).toString('hex');
      const writer = new BatchWriter();
      for (const s of ['1', '2', '3'])
        writer.add({ t: traceId, s: s.repeat(16), f: 1, n: `step ${s}`, k: 0, st: [1764175605, 0], et: [1764175606, 0], c: 0, a: { 'agentops.session.id': 'overflow' }, r: 0, sc: 0 });
      const defs = {
        resources: [[0, { attributes: { 'service.name': 'overflow-svc' } }]] as Array<[number, { attributes: Record<string, string> }]>,
        scopes: [[0, { name: 'test' }]] as Array<[number, { name: string }]>,
      };
      const file = path.join(spool, `${String(Date.now()).padStart(14, '0')}-0000001-0badc0de-00000000.wire`);
      fs.writeFileSync(file, Buffer.concat([Buffer.from(WIRE_SPOOL_HEADER), ...wireFileChunks(defs, [{ bytes: writer.take(), count: 3 }])]), { mode: 0o600 });
      const doctor = await cli(['doctor'], { ...rec.env, AGENTOPS_PG_SPOOL_DIR: spool });
      assert.match(doctor.stdout, /holds 1 file\(s\) waiting/);

      const res = await cli(['replay'], { ...rec.env, AGENTOPS_PG_SPOOL_DIR: spool });
      assert.equal(res.code, 0, res.stderr);
      assert.match(res.stdout, /handed 3 span\(s\) from 1 overflow file\(s\) in .* to the exporter/);
      const rows = await sql<{ name: string; service: string }>(rec.dbUrl, 'SELECT operation_name AS name, service_name AS service FROM agentops_spans WHERE trace_id = $1 ORDER BY operation_name', [
        traceId,
      ]);
      assert.deepEqual(
        rows,
        ['step 1', 'step 2', 'step 3'].map((name) => ({ name, service: 'overflow-svc' })),
      );
      assert.deepEqual(fs.readdirSync(spool), [], 'the overflow file is gone');
    });
  });

  describe('doctor', () => {
    it('lists every variable with value and origin, and passes when everything answers', async () => {
      const receiver = await startOtlpReceiver();
      try {
        const cfgFile = path.join(tempDir(), 'agentops.json');
        fs.writeFileSync(cfgFile, JSON.stringify({ AGENTOPS_PG_BATCH_SIZE: 321 }));
        const res = await cli(['doctor'], {
          ...rec.env,
          AGENTOPS_EXPORTERS: 'jaeger,postgres',
          OTEL_EXPORTER_OTLP_ENDPOINT: receiver.endpoint,
          OTEL_EXPORTER_OTLP_HEADERS: `authorization=Bearer ${HEADER_MARKER}`,
          AGENTOPS_CONFIG: cfgFile,
        });
        assert.equal(res.code, 0, res.stdout + res.stderr);
        const vars = [...CORE_VARIABLES.map((v) => v.variable), ...describePostgresConfig().map((v) => v.variable)];
        for (const v of vars) assert.match(res.stdout, new RegExp(`^  ${v}\\s`, 'm'), `${v} is listed`);
        assert.match(res.stdout, /^ {2}AGENTOPS_PG_URL\s+postgres:\/\/cli_[0-9a-f]+:\*\*\*\*@127\.0\.0\.1:\d+\/agentops_cli_\w+\s+env$/m);
        assert.match(res.stdout, /^ {2}OTEL_EXPORTER_OTLP_HEADERS\s+authorization=\*\*\*\*\s+env$/m);
        assert.match(res.stdout, /^ {2}AGENTOPS_PG_BATCH_SIZE\s+321\s+file /m);
        assert.match(res.stdout, /^ {2}AGENTOPS_PG_POOL_SIZE\s+\(default: 4\)\s+default$/m);
        assert.match(res.stdout, /ok {4}OTLP endpoint: http:\/\/127\.0\.0\.1:\d+\/v1\/traces accepted an empty http\/protobuf export \(HTTP 200/);
        assert.match(res.stdout, /ok {4}PostgreSQL reachable/);
        assert.match(res.stdout, /ok {4}PostgreSQL authenticated: as cli_/);
        assert.match(res.stdout, /ok {4}schema: agentops_spans at version 4/);
        assert.match(res.stdout, /ok {4}spool: .* is empty/);
        assert.match(res.stdout, /^ {2}LLM prices\s+@pydantic\/genai-prices \d+\.\d+\.\d+, data of \d{4}-\d{2}-\d{2}$/m);
        assert.match(res.stdout, /(ok {4}|warn {2})price data: @pydantic\/genai-prices \d+\.\d+\.\d+, data of \d{4}-\d{2}-\d{2} \(\d+ days old\)/);
        assert.equal(receiver.spans.length, 0, 'the probe sent no spans');
        const json = JSON.parse((await cli(['doctor', '--json'], { ...rec.env })).stdout) as { ok: boolean; variables: Array<{ variable: string; origin: string }> };
        assert.equal(json.ok, true);
        assert.equal(json.variables.find((v) => v.variable === 'AGENTOPS_PG_URL')?.origin, 'env');
      } finally {
        await receiver.close();
      }
    });

    it('fails with a line and a remedy for each problem', async () => {
      const closed = await startOtlpReceiver();
      await closed.close();
      const res = await cli(['doctor'], {
        ...rec.env,
        AGENTOPS_EXPORTERS: 'jaeger,postgres',
        OTEL_EXPORTER_OTLP_ENDPOINT: closed.endpoint,
        AGENTOPS_PG_URL: `postgres://${rec.role}:${MARKER}@127.0.0.1:1/x`,
        AGENTOPS_PG_TABLE: 'Bad-Name',
        AGENTOPS_PG_URLL: 'typo',
        AGENTOPS_PRICE_TABLE: '{"gpt-4o": {"input": "2.5"}}',
      });
      assert.equal(res.code, 1);
      assert.match(res.stdout, /FAIL {2}configuration: AGENTOPS_PRICE_TABLE: price of "gpt-4o" needs numeric "input" and "output" \(USD per 1M tokens\); only the built-in prices are used; expected /);
      assert.match(res.stdout, /^ {2}LLM prices\s+@pydantic\/genai-prices [^;\n]+$/m, 'the malformed table is not used');
      assert.match(res.stdout, /FAIL {2}configuration: AGENTOPS_PG_TABLE: "Bad-Name" is not an accepted table name/);
      assert.match(res.stdout, /FAIL {2}OTLP endpoint: http:\/\/127\.0\.0\.1:\d+\/v1\/traces: ECONNREFUSED\n\s+→ start Jaeger/);
      assert.match(res.stdout, /warn {2}unknown variable: AGENTOPS_PG_URLL is set/);

      const unreachable = await cli(['doctor'], { ...rec.env, AGENTOPS_PG_URL: `postgres://${rec.role}:${MARKER}@127.0.0.1:1/x` });
      assert.equal(unreachable.code, 1);
      assert.match(unreachable.stdout, /FAIL {2}PostgreSQL reachable: postgres:\/\/cli_\w+:\*\*\*\*@127\.0\.0\.1:1\/x \(sslmode=disable\): ECONNREFUSED\n\s+→ start PostgreSQL/);

      const wrongPw = await cli(['doctor'], { ...rec.env, AGENTOPS_PG_URL: withUser(rec.dbUrl, rec.role, `${MARKER}-wrong`) });
      assert.equal(wrongPw.code, 1);
      assert.match(wrongPw.stdout, /FAIL {2}PostgreSQL authenticated: .*refused the credentials/);

      const fresh = withUser(await createTestDatabase('agentops_cli_doc'), rec.role, MARKER);
      const noSchema = await cli(['doctor'], { ...rec.env, AGENTOPS_PG_URL: fresh, AGENTOPS_PG_AUTO_MIGRATE: 'false' });
      assert.equal(noSchema.code, 1);
      assert.match(noSchema.stdout, /FAIL {2}schema: table agentops_spans does not exist and AGENTOPS_PG_AUTO_MIGRATE is false\n\s+→ run agentops-otel migrate/);
      const autoMigrate = await cli(['doctor'], { ...rec.env, AGENTOPS_PG_URL: fresh });
      assert.equal(autoMigrate.code, 0, 'with auto-migrate a missing table is only a warning');
      assert.match(autoMigrate.stdout, /warn {2}schema: table agentops_spans does not exist yet/);
    });
  });

  describe('the views', () => {
    it('agree with counts computed from the raw span table', async () => {
      const raw = await sql<{ trace_id: string; status: string; attributes: Record<string, unknown> }>(rec.dbUrl, 'SELECT trace_id::text AS trace_id, status, attributes FROM agentops_spans');
      const sessions = await sql<Record<string, string | number | boolean | null>>(
        rec.dbUrl,
        'SELECT session_id::text AS session_id, llm_calls::int, tool_calls::int, actions::int, errors::int, error_spans::int, spans::int, input_tokens::float8, output_tokens::float8, total_tokens::float8, cost_usd::float8, is_open FROM agentops_sessions',
      );
      const traces = new Set(raw.filter((r) => typeof r.attributes['agentops.session.id'] === 'string').map((r) => r.trace_id));
      assert.equal(sessions.length, traces.size);
      assert.ok(sessions.length >= 5);
      for (const s of sessions) {
        const spans = raw.filter((r) => r.trace_id === s.session_id);
        const type = (t: string) => spans.filter((r) => r.attributes['agentops.event.type'] === t);
        const sum = (key: string) => type('llms').reduce((a, r) => a + (typeof r.attributes[key] === 'number' ? (r.attributes[key] as number) : 0), 0);
        assert.equal(s.llm_calls, type('llms').length);
        assert.equal(s.tool_calls, type('tools').length);
        assert.equal(s.actions, type('actions').length);
        assert.equal(s.errors, type('errors').length);
        assert.equal(s.error_spans, spans.filter((r) => r.status === 'ERROR').length);
        assert.equal(s.spans, spans.length);
        assert.equal(s.total_tokens, sum('gen_ai.usage.input_tokens') + sum('gen_ai.usage.output_tokens'));
        assert.ok(Math.abs(((s.cost_usd as number | null) ?? 0) - sum('agentops.usage.cost_usd')) < 1e-9);
        assert.equal(s.is_open, !spans.some((r) => r.attributes['agentops.span.kind'] === 'session'));
      }
      const [llm] = await sql<{ n: number; tin: number }>(rec.dbUrl, 'SELECT count(*)::int AS n, sum(input_tokens)::int AS tin FROM agentops_llm_calls');
      const llmRaw = raw.filter((r) => r.attributes['agentops.event.type'] === 'llms');
      assert.equal(llm.n, llmRaw.length);
      assert.equal(
        llm.tin,
        llmRaw.reduce((a, r) => a + ((r.attributes['gen_ai.usage.input_tokens'] as number) ?? 0), 0),
      );
      const [errs] = await sql<{ n: number; ev: number }>(rec.dbUrl, "SELECT count(*)::int AS n, count(*) FILTER (WHERE source = 'error_event')::int AS ev FROM agentops_errors");
      assert.equal(errs.n, raw.filter((r) => r.status === 'ERROR' || r.attributes['agentops.event.type'] === 'errors').length);
      assert.equal(errs.ev, raw.filter((r) => r.attributes['agentops.event.type'] === 'errors').length);
      const [fetch] = await sql<{ error_type: string; message: string }>(rec.dbUrl, "SELECT error_type, message FROM agentops_errors WHERE trace_id = $1 AND operation_name = 'action fetch_page'", [
        rec.errorsRun.sessionId,
      ]);
      assert.deepEqual(fetch, { error_type: 'TypeError', message: 'cannot fetch' });
    });
  });

  // Defined last, so it runs after every command above.
  describe('secrets', () => {
    it('never appear in any output of any command above (stdout and stderr, failures and --verbose included)', () => {
      assertNoSecrets(rec.outputs, 25);
    });
  });
});
