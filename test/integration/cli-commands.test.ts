/**
 * Every CLI command, run as a child process (`node dist/src/cli/main.js …`) against a real
 * PostgreSQL holding sessions recorded through the preload: one with errors, one with 1,000
 * events, a small one from another service, and one still open (its process was SIGKILLed after
 * its event spans were exported, so its session and agent spans were never written).
 *
 * Everything runs as a role whose password is a marker string; the last test checks that no
 * output of any command ever contained it.
 */
import * as assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { spawn, type ChildProcess } from 'node:child_process';
import { cleanEnv, runNode, waitForOutput, REPO_ROOT, type ChildResult } from '../helpers/child';
import { startOtlpReceiver } from '../helpers/otlp-receiver';
import { createTestDatabase, eventually, sql, SPOOL_FILE, tempDir } from '../helpers/postgres';
import { CORE_VARIABLES } from '../../src/config/variables';
import { describePostgresConfig } from '../../src/exporters/postgres';
import { tableNames } from '../../src/exporters/postgres/identifier';
import { legacySchemaSql } from '../helpers/legacy-schema';

const CLI = path.join(REPO_ROOT, 'dist', 'src', 'cli', 'main.js');
const FIXTURE = path.join(REPO_ROOT, 'test', 'fixtures', 'cli-sessions.js');
const MARKER = `Mk7-${randomBytes(6).toString('hex')}-pw`;
const HEADER_MARKER = `Hd9-${randomBytes(6).toString('hex')}-tok`;

interface Reported {
  sessionId: string;
  counts: { llms: number; tools: number; actions: number; errors: number };
  tokens: number;
  cost?: number;
}

const outputs: string[] = [];

async function cli(args: string[], env: Record<string, string | undefined>): Promise<ChildResult> {
  const res = await runNode(CLI, { preload: 'none', args, env, timeoutMs: 60000 });
  outputs.push(res.stdout, res.stderr);
  return res;
}

function withUser(url: string, user: string, password: string): string {
  const u = new URL(url);
  u.username = user;
  u.password = password;
  return u.toString();
}

function parseJsonLines(text: string): Array<Record<string, unknown>> {
  return text
    .split('\n')
    .filter((l) => l.trim() !== '')
    .map((l) => JSON.parse(l) as Record<string, unknown>);
}

describe('agentops-otel CLI against sessions recorded by the preload', function () {
  let dbUrl: string; // as the marker role
  let env: Record<string, string>;
  let errorsRun: Reported;
  let manyRun: Reported;
  let okRun: Reported;
  let openRun: Reported;
  let role: string;

  before(async function () {
    const adminUrl = await createTestDatabase('agentops_cli');
    role = `cli_${randomBytes(4).toString('hex')}`;
    await sql(adminUrl, `CREATE ROLE ${role} LOGIN SUPERUSER PASSWORD '${MARKER}'`);
    dbUrl = withUser(adminUrl, role, MARKER);
    env = {
      AGENTOPS_PG_URL: dbUrl,
      AGENTOPS_PG_SPOOL_DIR: tempDir(),
      AGENTOPS_EXPORTERS: 'postgres',
      OTEL_BSP_SCHEDULE_DELAY: '50',
      AGENTOPS_PG_FLUSH_INTERVAL_MS: '50',
      OTEL_SERVICE_NAME: 'cli-svc-a',
      OTEL_BSP_MAX_QUEUE_SIZE: '10000',
    };
    const a = await runNode(FIXTURE, { args: ['errors'], env, timeoutMs: 60000 });
    assert.equal(a.code, 0, a.stderr);
    [errorsRun, manyRun] = a.stdout
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as Reported);
    const b = await runNode(FIXTURE, { args: ['ok'], env: { ...env, OTEL_SERVICE_NAME: 'cli-svc-b' } });
    assert.equal(b.code, 0, b.stderr);
    okRun = JSON.parse(b.stdout.trim()) as Reported;

    let child: ChildProcess | undefined;
    const open = runNode(FIXTURE, { args: ['open'], env, onSpawn: (c) => (child = c), timeoutMs: 60000 });
    assert.ok(child);
    await waitForOutput(child, 'recorded');
    // The id is on the child's first line; wait for both event spans to be stored, then kill.
    let openId = '';
    const ok = await eventually(async () => {
      const rows = await sql<{ id: string; n: number }>(
        dbUrl,
        "SELECT trace_id::text AS id, count(*)::int AS n FROM agentops_spans WHERE attributes->'agentops.session.tags' IS NULL AND attributes->>'agentops.event.type' IN ('llms','tools') AND trace_id NOT IN (SELECT trace_id FROM agentops_spans WHERE attributes->>'agentops.span.kind' = 'session') GROUP BY 1",
      ).catch(() => []);
      if (rows.length === 1 && rows[0].n === 2) openId = rows[0].id;
      return openId !== '';
    }, 20000);
    child.kill('SIGKILL');
    const res = await open;
    assert.ok(ok, "the open session's event spans were exported before the kill");
    assert.equal(res.signal, 'SIGKILL');
    openRun = JSON.parse(res.stdout.split('\n')[0]) as Reported;
    assert.equal(openRun.sessionId, openId);
    const [sessionSpans] = await sql<{ n: number }>(dbUrl, "SELECT count(*)::int AS n FROM agentops_spans WHERE trace_id = $1 AND attributes->>'agentops.span.kind' IN ('session', 'agent')", [openId]);
    assert.equal(sessionSpans.n, 0, 'the open session has neither session nor agent span');
  });

  describe('migrate', () => {
    it('creates the schema on an empty database, and a second run changes nothing', async () => {
      const fresh = withUser(await createTestDatabase('agentops_cli_mig'), role, MARKER);
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
      const fresh = withUser(await createTestDatabase('agentops_cli_tbl'), role, MARKER);
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
      const fresh = withUser(await createTestDatabase('agentops_cli_v1'), role, MARKER);
      const n = tableNames('agentops_spans');
      await sql(fresh, legacySchemaSql(n, 1));
      const res = await cli(['migrate'], { AGENTOPS_PG_URL: fresh });
      assert.equal(res.code, 0, res.stderr);
      assert.match(res.stdout, /version 1 → 4 \(applied 2, 3, 4\)/);
      const [v] = await sql<{ n: number }>(fresh, 'SELECT count(*)::int AS n FROM agentops_sessions');
      assert.equal(v.n, 0);
    });
  });

  describe('sessions', () => {
    it('lists every session with its end state and counts; the open one as open', async () => {
      const res = await cli(['sessions'], env);
      assert.equal(res.code, 0, res.stderr);
      const lines = res.stdout.split('\n');
      assert.match(lines[0], /^SESSION\s+SERVICE\s+START \(UTC\)\s+DURATION\s+STATE\s+LLM\s+TOOL\s+ACTION\s+ERR\s+TOKENS\s+COST$/);
      const row = (id: string): string[] => {
        const l = lines.find((x) => x.startsWith(id));
        assert.ok(l, `row for ${id}`);
        return l.split(/\s{2,}/);
      };
      const e = row(errorsRun.sessionId);
      assert.equal(e[1], 'cli-svc-a');
      assert.equal(e[4], 'Fail');
      assert.deepEqual(e.slice(5, 10), ['2', '1', '2', '2', String(errorsRun.tokens)]);
      assert.equal(e[10], '$0.0012');
      assert.deepEqual(row(manyRun.sessionId).slice(4, 10), ['Success', '400', '300', '200', '100', '2,000']);
      assert.equal(row(okRun.sessionId)[1], 'cli-svc-b');
      const o = row(openRun.sessionId);
      assert.equal(o[4], 'open');
      assert.deepEqual(o.slice(5, 7), ['1', '1']);
    });

    it('--json gives the same numbers the app counted', async () => {
      const res = await cli(['sessions', '--json'], env);
      assert.equal(res.code, 0, res.stderr);
      const rows = JSON.parse(res.stdout) as Array<Record<string, unknown>>;
      assert.equal(rows.length, 4);
      for (const run of [errorsRun, manyRun, okRun]) {
        const r = rows.find((x) => x.session_id === run.sessionId);
        assert.ok(r);
        assert.deepEqual([r.llm_calls, r.tool_calls, r.actions, r.errors], [run.counts.llms, run.counts.tools, run.counts.actions, run.counts.errors]);
        assert.equal(r.total_tokens, run.tokens);
        assert.equal(r.open, false);
        assert.equal(r.trace_id, run.sessionId.replace(/-/g, ''));
        assert.match(String(r.start_time_unix_nano), /^\d{19}$/);
      }
      const e = rows.find((x) => x.session_id === errorsRun.sessionId)!;
      assert.ok(Math.abs((e.cost_usd as number) - errorsRun.cost!) < 1e-9);
      assert.equal(e.end_state, 'Fail');
      assert.deepEqual(e.tags, ['cli-test', 'errors']);
      const o = rows.find((x) => x.session_id === openRun.sessionId)!;
      assert.deepEqual([o.open, o.end_state, o.llm_calls, o.tool_calls, o.total_tokens], [true, null, 1, 1, 3]);
    });

    it('filters by service, end state, tag and time range', async () => {
      const ids = async (...args: string[]): Promise<string[]> => {
        const res = await cli(['sessions', '--json', ...args], env);
        assert.equal(res.code, 0, res.stderr);
        return (JSON.parse(res.stdout) as Array<{ session_id: string }>).map((r) => r.session_id).sort();
      };
      assert.deepEqual(await ids('--service', 'cli-svc-b'), [okRun.sessionId]);
      assert.deepEqual(await ids('--state', 'fail'), [errorsRun.sessionId]);
      assert.deepEqual(await ids('--state', 'open'), [openRun.sessionId]);
      assert.deepEqual(await ids('--tag', 'bulk'), [manyRun.sessionId]);
      assert.deepEqual(await ids('--tag', 'cli-test', '--tag', 'errors'), [errorsRun.sessionId]);
      assert.deepEqual(await ids('--since', '1h', '--service', 'cli-svc-a', '--state', 'Success'), [manyRun.sessionId]);
      assert.deepEqual(await ids('--until', '2000-01-01'), []);
      assert.equal((await ids('--limit', '2')).length, 2);
      const none = await cli(['sessions', '--until', '2000-01-01'], env);
      assert.equal(none.code, 0);
      assert.match(none.stdout, /no sessions match/);
      const bad = await cli(['sessions', '--state', 'weird'], env);
      assert.equal(bad.code, 2);
      const badTime = await cli(['sessions', '--since', 'yesterday-ish'], env);
      assert.equal(badTime.code, 2);
      assert.match(badTime.stderr, /--since: "yesterday-ish" is not a time/);
    });
  });

  describe('trace', () => {
    it('draws the session as a tree with bars, statuses and key attributes', async () => {
      const res = await cli(['trace', errorsRun.sessionId, '--width', '160'], env);
      assert.equal(res.code, 0, res.stderr);
      const lines = res.stdout.trimEnd().split('\n');
      assert.match(lines[0], new RegExp(`^session ${errorsRun.sessionId} · service cli-svc-a · Fail \\(two errors\\)`));
      const spanLines = lines.slice(2);
      const raw = await sql<{ n: number }>(dbUrl, 'SELECT count(*)::int AS n FROM agentops_spans WHERE trace_id = $1', [errorsRun.sessionId]);
      assert.equal(spanLines.length, raw[0].n, 'one line per span');
      assert.match(spanLines[0], /^session\s+\S+ \S+\s+ERROR\s+│█+│ end_state=Fail/);
      const agent = spanLines.findIndex((l) => /^[├└]─ invoke_agent worker/.test(l));
      assert.ok(agent > 0);
      const chat = spanLines.find((l) => /^│ {2}[├└]─ chat gpt-4o /.test(l));
      assert.ok(chat, 'the LLM call is indented under the agent');
      assert.match(chat, /model=gpt-4o tokens=11→22 cost=\$0\.001/);
      assert.ok(spanLines.some((l) => /action fetch_page\s+\S+ \S+\s+ERROR .*error\.type=TypeError/.test(l)));
      assert.ok(
        spanLines.every((l) => /│[█▏ ]+│/.test(l)),
        'every span has a bar',
      );
      const ascii = await cli(['trace', errorsRun.sessionId.replace(/-/g, ''), '--ascii', '--no-attributes'], env);
      assert.equal(ascii.code, 0, ascii.stderr);
      assert.ok(!/[│├└█]/.test(ascii.stdout), 'ASCII only');
      assert.ok(!ascii.stdout.includes('model='));
      const narrow = await cli(['trace', errorsRun.sessionId, '--ascii', '--width', '70'], env);
      assert.equal(narrow.code, 0, narrow.stderr);
      assert.match(narrow.stdout, /^[\x20-\x7e\n]+$/, 'printable ASCII only, attributes, cut names and units included');
      assert.match(narrow.stdout, new RegExp(`^session ${errorsRun.sessionId} \\| service cli-svc-a \\| Fail`));
      assert.match(narrow.stdout, /\.\.\./, 'what does not fit ends in ...');
      const json = await cli(['trace', errorsRun.sessionId, '--ascii', '--json'], env);
      assert.match(json.stdout, /^[\x20-\x7e\n]+$/);
      assert.deepEqual(JSON.parse(json.stdout), JSON.parse((await cli(['trace', errorsRun.sessionId, '--json'], env)).stdout));
      for (const res of [ascii, narrow, json]) assert.match(res.stderr, /^[\x20-\x7e\n]*$/, 'stderr: printable ASCII only');
    });

    it('--json lists the spans in tree order with depth', async () => {
      const res = await cli(['trace', manyRun.sessionId, '--json'], env);
      assert.equal(res.code, 0, res.stderr);
      const out = JSON.parse(res.stdout) as { session: Record<string, unknown>; spans: Array<Record<string, unknown>>; missing_parents: string[] };
      assert.equal(out.spans.length, 1002);
      assert.equal(out.session.llm_calls, 400);
      assert.deepEqual(out.missing_parents, []);
      const seen = new Map<string, number>();
      for (const s of out.spans) {
        const parent = s.parent_span_id as string | null;
        if (parent === null) assert.equal(s.depth, 0);
        else assert.equal(s.depth, seen.get(parent)! + 1, 'a parent comes before its children, one level up');
        seen.set(s.span_id as string, s.depth as number);
      }
      const text = await cli(['trace', manyRun.sessionId], env);
      assert.equal(text.code, 0);
      assert.equal(text.stdout.trimEnd().split('\n').length, 1002 + 2);
    });

    it('shows an open session under placeholders for the parents not written yet', async () => {
      const res = await cli(['trace', openRun.sessionId], env);
      assert.equal(res.code, 0, res.stderr);
      assert.match(res.stdout, /open \(no session span yet\)/);
      assert.match(res.stdout, /^⋯ [0-9a-f]{16} \(not recorded\)/m);
      assert.match(res.stdout, /^[├└]─ chat gpt-4o /m);
      const json = JSON.parse((await cli(['trace', openRun.sessionId, '--json'], env)).stdout) as { missing_parents: string[]; session: { open: boolean } };
      assert.equal(json.missing_parents.length, 1);
      assert.equal(json.session.open, true);
    });

    it('refuses a bad id with one line and exit 2; an unknown session is exit 1', async () => {
      const bad = await cli(['trace', 'not-a-uuid'], env);
      assert.equal(bad.code, 2);
      assert.equal(bad.stdout, '');
      assert.match(bad.stderr, /^agentops-otel: "not-a-uuid" is not a session id\n {2}→ expected a UUID/);
      assert.ok(!/\n\s+at /.test(bad.stderr), 'no stack trace');
      const unknown = await cli(['trace', '00000000-0000-4000-8000-000000000000'], env);
      assert.equal(unknown.code, 1);
      assert.match(unknown.stderr, /no spans for session 00000000-0000-4000-8000-000000000000/);
      const missing = await cli(['trace'], env);
      assert.equal(missing.code, 2);
      assert.match(missing.stderr, /trace: missing <session-id>/);
      // --ascii holds for the error and its hint too, whatever the failure.
      const asciiBad = await cli(['trace', 'not-a-uuid', '--ascii'], env);
      assert.equal(asciiBad.code, 2);
      assert.match(asciiBad.stderr, /^agentops-otel: "not-a-uuid" is not a session id\n {2}-> expected a UUID/);
      const asciiUnknown = await cli(['trace', '00000000-0000-4000-8000-000000000000', '--ascii', '--verbose'], env);
      assert.equal(asciiUnknown.code, 1);
      assert.match(asciiUnknown.stderr, /no spans for session 00000000-0000-4000-8000-000000000000 [^\n]*\n {2}-> list sessions/);
      const asciiUsage = await cli(['trace', '--ascii', '--width', 'wide', '00000000-0000-4000-8000-000000000000'], env);
      assert.equal(asciiUsage.code, 2);
      for (const res of [asciiBad, asciiUnknown, asciiUsage]) {
        assert.match(res.stderr, /^[\x20-\x7e\n]+$/, `printable ASCII only: ${res.stderr}`);
        assert.match(res.stdout, /^[\x20-\x7e\n]*$/);
      }
    });
  });

  describe('export', () => {
    it('writes one JSON line per span, exact to the nanosecond', async () => {
      const res = await cli(['export', errorsRun.sessionId], env);
      assert.equal(res.code, 0, res.stderr);
      const lines = parseJsonLines(res.stdout);
      const raw = await sql<{ span_id: string; parent_span_id: string | null; start_time: string; end_time: string; attributes: Record<string, unknown>; operation_name: string; status: string }>(
        dbUrl,
        'SELECT span_id, parent_span_id, start_time::text AS start_time, end_time::text AS end_time, attributes, operation_name, status FROM agentops_spans WHERE trace_id = $1',
        [errorsRun.sessionId],
      );
      assert.equal(lines.length, raw.length);
      assert.ok(res.stdout.split('\n').every((l) => l === '' || !l.includes('\n')));
      for (const r of raw) {
        const l = lines.find((x) => x.span_id === r.span_id);
        assert.ok(l);
        assert.equal(l.trace_id, errorsRun.sessionId.replace(/-/g, ''));
        assert.match(String(l.trace_id), /^[0-9a-f]{32}$/);
        assert.equal(l.session_id, errorsRun.sessionId);
        assert.equal(l.parent_span_id, r.parent_span_id);
        assert.equal(l.name, r.operation_name);
        assert.equal(l.start_time_unix_nano, r.start_time);
        assert.equal(l.end_time_unix_nano, r.end_time);
        assert.equal(l.duration_ns, (BigInt(r.end_time) - BigInt(r.start_time)).toString());
        assert.equal(l.start_time, new Date(Number(BigInt(r.start_time) / 1_000_000n)).toISOString().slice(0, -1) + r.start_time.slice(-6) + 'Z');
        assert.deepEqual(l.attributes, r.attributes);
        assert.deepEqual(l.status, { code: r.status, message: (l.status as { message: string | null }).message });
      }
    });

    it('--since streams every span in pages, none twice', async () => {
      const [total] = await sql<{ n: number }>(dbUrl, 'SELECT count(*)::int AS n FROM agentops_spans');
      const all = await cli(['export', '--since', '1h'], env);
      assert.equal(all.code, 0, all.stderr);
      const paged = await cli(['export', '--since', '1h', '--page-size', '7'], env);
      assert.equal(paged.code, 0, paged.stderr);
      for (const out of [all.stdout, paged.stdout]) {
        const lines = parseJsonLines(out);
        assert.equal(lines.length, total.n);
        assert.equal(new Set(lines.map((l) => `${l.trace_id}/${l.span_id}`)).size, total.n);
      }
      const b = parseJsonLines((await cli(['export', '--since', '1h', '--service', 'cli-svc-b'], env)).stdout);
      assert.ok(b.length > 0 && b.every((l) => l.service_name === 'cli-svc-b' && l.session_id === okRun.sessionId));
      const none = await cli(['export', '--since', '2000-01-01', '--until', '2000-01-02'], env);
      assert.equal(none.code, 0);
      assert.equal(none.stdout, '');
    });

    it('ends quietly, with exit 0, when the reader closes the pipe early (| head)', async () => {
      // Over 1,000 spans of JSON are far more than a pipe buffers, so the reader's exit meets writes
      // still to come: EPIPE.
      const script = '"$NODE" "$CLI" export --since 1h --page-size 50 2>"$ERR" | head -n 1; echo "status ${PIPESTATUS[0]}"';
      const errFile = path.join(tempDir(), 'stderr');
      const out = await new Promise<string>((resolve, reject) => {
        const child = spawn('bash', ['-c', script], { env: cleanEnv({ ...env, NODE: process.execPath, CLI, ERR: errFile }) });
        let text = '';
        child.stdout.setEncoding('utf8').on('data', (d: string) => (text += d));
        child.on('error', reject);
        child.on('close', () => resolve(text));
      });
      const [first, status] = out.split('\n');
      assert.equal(JSON.parse(first).trace_id.length, 32, 'head got the first span');
      assert.equal(status, 'status 0');
      assert.equal(fs.readFileSync(errFile, 'utf8'), '', 'nothing on stderr: no stack trace');
    });

    it('needs exactly one of a session id and --since', async () => {
      assert.equal((await cli(['export'], env)).code, 2);
      assert.equal((await cli(['export', errorsRun.sessionId, '--since', '1h'], env)).code, 2);
      assert.equal((await cli(['export', 'xyz'], env)).code, 2);
    });
  });

  describe('replay', () => {
    it('sends the spool to PostgreSQL, reports counts, and is a no-op on an empty spool', async () => {
      const spool = tempDir();
      const down = {
        ...env,
        AGENTOPS_PG_URL: `postgres://${role}:${MARKER}@127.0.0.1:1/none`,
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

      const res = await cli(['replay'], { ...env, AGENTOPS_PG_SPOOL_DIR: spool });
      assert.equal(res.code, 0, res.stderr);
      assert.match(res.stdout, /replayed 1 spool file\(s\) from .*: 2 rows, 2 stored \(new\), 0 dead-lettered, 0 dropped; 0 file\(s\) remain/);
      const [rows] = await sql<{ n: number }>(dbUrl, 'SELECT count(*)::int AS n FROM agentops_spans WHERE trace_id = $1', [sessionId]);
      assert.equal(rows.n, 2);
      const again = await cli(['replay', '--json'], { ...env, AGENTOPS_PG_SPOOL_DIR: spool });
      assert.equal(again.code, 0);
      assert.equal((JSON.parse(again.stdout) as { files: number }).files, 0);
    });
  });

  describe('doctor', () => {
    it('lists every variable with value and origin, and passes when everything answers', async () => {
      const receiver = await startOtlpReceiver();
      try {
        const cfgFile = path.join(tempDir(), 'agentops.json');
        fs.writeFileSync(cfgFile, JSON.stringify({ AGENTOPS_PG_BATCH_SIZE: 321 }));
        const res = await cli(['doctor'], {
          ...env,
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
        const json = JSON.parse((await cli(['doctor', '--json'], { ...env })).stdout) as { ok: boolean; variables: Array<{ variable: string; origin: string }> };
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
        ...env,
        AGENTOPS_EXPORTERS: 'jaeger,postgres',
        OTEL_EXPORTER_OTLP_ENDPOINT: closed.endpoint,
        AGENTOPS_PG_URL: `postgres://${role}:${MARKER}@127.0.0.1:1/x`,
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

      const unreachable = await cli(['doctor'], { ...env, AGENTOPS_PG_URL: `postgres://${role}:${MARKER}@127.0.0.1:1/x` });
      assert.equal(unreachable.code, 1);
      assert.match(unreachable.stdout, /FAIL {2}PostgreSQL reachable: postgres:\/\/cli_\w+:\*\*\*\*@127\.0\.0\.1:1\/x \(sslmode=disable\): ECONNREFUSED\n\s+→ start PostgreSQL/);

      const wrongPw = await cli(['doctor'], { ...env, AGENTOPS_PG_URL: withUser(dbUrl, role, `${MARKER}-wrong`) });
      assert.equal(wrongPw.code, 1);
      assert.match(wrongPw.stdout, /FAIL {2}PostgreSQL authenticated: .*refused the credentials/);

      const fresh = withUser(await createTestDatabase('agentops_cli_doc'), role, MARKER);
      const noSchema = await cli(['doctor'], { ...env, AGENTOPS_PG_URL: fresh, AGENTOPS_PG_AUTO_MIGRATE: 'false' });
      assert.equal(noSchema.code, 1);
      assert.match(noSchema.stdout, /FAIL {2}schema: table agentops_spans does not exist and AGENTOPS_PG_AUTO_MIGRATE is false\n\s+→ run agentops-otel migrate/);
      const autoMigrate = await cli(['doctor'], { ...env, AGENTOPS_PG_URL: fresh });
      assert.equal(autoMigrate.code, 0, 'with auto-migrate a missing table is only a warning');
      assert.match(autoMigrate.stdout, /warn {2}schema: table agentops_spans does not exist yet/);
    });
  });

  describe('the views', () => {
    it('agree with counts computed from the raw span table', async () => {
      const raw = await sql<{ trace_id: string; status: string; attributes: Record<string, unknown> }>(dbUrl, 'SELECT trace_id::text AS trace_id, status, attributes FROM agentops_spans');
      const sessions = await sql<Record<string, string | number | boolean | null>>(
        dbUrl,
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
      const [llm] = await sql<{ n: number; tin: number }>(dbUrl, 'SELECT count(*)::int AS n, sum(input_tokens)::int AS tin FROM agentops_llm_calls');
      const llmRaw = raw.filter((r) => r.attributes['agentops.event.type'] === 'llms');
      assert.equal(llm.n, llmRaw.length);
      assert.equal(
        llm.tin,
        llmRaw.reduce((a, r) => a + ((r.attributes['gen_ai.usage.input_tokens'] as number) ?? 0), 0),
      );
      const [errs] = await sql<{ n: number; ev: number }>(dbUrl, "SELECT count(*)::int AS n, count(*) FILTER (WHERE source = 'error_event')::int AS ev FROM agentops_errors");
      assert.equal(errs.n, raw.filter((r) => r.status === 'ERROR' || r.attributes['agentops.event.type'] === 'errors').length);
      assert.equal(errs.ev, raw.filter((r) => r.attributes['agentops.event.type'] === 'errors').length);
      const [fetch] = await sql<{ error_type: string; message: string }>(dbUrl, "SELECT error_type, message FROM agentops_errors WHERE trace_id = $1 AND operation_name = 'action fetch_page'", [
        errorsRun.sessionId,
      ]);
      assert.deepEqual(fetch, { error_type: 'TypeError', message: 'cannot fetch' });
    });
  });

  describe('usage and failures', () => {
    it('has --help on every command', async () => {
      for (const c of ['demo', 'doctor', 'migrate', 'sessions', 'trace', 'export', 'replay']) {
        const res = await cli([c, '--help'], {});
        assert.equal(res.code, 0, c);
        assert.match(res.stdout, new RegExp(`^Usage: agentops-otel ${c}`), c);
        assert.match(res.stdout, /Exit codes: 0 ok, 1 .*, 2 usage error/);
        const viaHelp = await cli(['help', c], {});
        assert.equal(viaHelp.stdout, res.stdout);
      }
      const top = await cli(['--help'], {});
      assert.equal(top.code, 0);
      for (const c of ['demo', 'doctor', 'migrate', 'sessions', 'trace', 'export', 'replay']) assert.match(top.stdout, new RegExp(`^  ${c}\\s`, 'm'));
    });

    it('answers bad usage with one line and exit 2', async () => {
      for (const args of [['sessions', '--bogus'], ['frobnicate'], ['sessions', '--limit'], ['sessions', '--limit', 'x'], ['sessions', 'extra'], []]) {
        const res = await cli(args, env);
        assert.equal(res.code, 2, args.join(' '));
        assert.ok(!/\n\s+at /.test(res.stderr), 'no stack trace');
        if (args.length > 0) assert.ok(res.stderr.trimEnd().split('\n').length <= 2, res.stderr);
      }
      const unknown = await cli(['sessions', '--bogus'], env);
      assert.equal(unknown.stderr, 'agentops-otel: sessions: unknown option --bogus\n  → see agentops-otel sessions --help\n');
    });

    it('an unreachable database is one line and exit 1; --verbose adds the stack', async () => {
      const down = { ...env, AGENTOPS_PG_URL: `postgres://${role}:${MARKER}@127.0.0.1:1/x` };
      for (const args of [['sessions'], ['trace', errorsRun.sessionId], ['export', errorsRun.sessionId], ['migrate']]) {
        const res = await cli(args, down);
        assert.equal(res.code, 1, args.join(' '));
        assert.match(res.stderr, /^agentops-otel: cannot connect to PostgreSQL at postgres:\/\/cli_\w+:\*\*\*\*@127\.0\.0\.1:1\/x \(sslmode=disable\): connection refused\n {2}→ start PostgreSQL/);
        assert.equal(res.stderr.trimEnd().split('\n').length, 2);
      }
      const verbose = await cli(['sessions', '--verbose'], down);
      assert.equal(verbose.code, 1);
      assert.match(verbose.stderr, /\n\s+at /);
      const badCfg = await cli(['sessions'], { ...env, AGENTOPS_PG_URL: `mysql://${role}:${MARKER}@h/x` });
      assert.equal(badCfg.code, 1);
      assert.match(badCfg.stderr, /invalid configuration: AGENTOPS_PG_URL: scheme mysql: is not supported/);
    });
  });

  // Defined last, so it runs after every command above.
  describe('secrets', () => {
    it('never appear in any output of any command above (stdout and stderr, failures and --verbose included)', () => {
      const all = outputs.join('\n');
      assert.ok(outputs.length > 80, `the commands ran (${outputs.length} outputs)`);
      assert.ok(all.includes('****'), 'masked values were printed');
      assert.ok(!all.includes(MARKER), 'the PostgreSQL password was printed');
      assert.ok(!all.includes(HEADER_MARKER), 'an OTLP header value was printed');
    });
  });
});
