/**
 * The CLI commands that read recorded sessions (sessions, trace, export), their help and their
 * failures, run against sessions recorded by the preload (test/integration/cli-support.ts); the
 * last test checks that no output of these commands contained a secret.
 */
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { spawn } from 'node:child_process';
import { cleanEnv } from '../helpers/child';
import { sql, tempDir } from '../helpers/postgres';
import { assertNoSecrets, CLI, MARKER, parseJsonLines, recordCliSessions } from './cli-support';

describe('agentops-otel CLI against sessions recorded by the preload', function () {
  const rec = recordCliSessions();
  const { cli } = rec;

  describe('sessions', () => {
    it('lists every session with its end state and counts; the open one as open', async () => {
      const res = await cli(['sessions'], rec.env);
      assert.equal(res.code, 0, res.stderr);
      const lines = res.stdout.split('\n');
      assert.match(lines[0], /^SESSION\s+SERVICE\s+START \(UTC\)\s+DURATION\s+STATE\s+LLM\s+TOOL\s+ACTION\s+ERR\s+TOKENS\s+COST$/);
      const row = (id: string): string[] => {
        const l = lines.find((x) => x.startsWith(id));
        assert.ok(l, `row for ${id}`);
        return l.split(/\s{2,}/);
      };
      const e = row(rec.errorsRun.sessionId);
      assert.equal(e[1], 'cli-svc-a');
      assert.equal(e[4], 'Fail');
      assert.deepEqual(e.slice(5, 10), ['2', '1', '2', '2', String(rec.errorsRun.tokens)]);
      assert.equal(e[10], '$0.0012');
      assert.deepEqual(row(rec.manyRun.sessionId).slice(4, 10), ['Success', '400', '300', '200', '100', '2,000']);
      assert.equal(row(rec.okRun.sessionId)[1], 'cli-svc-b');
      const o = row(rec.openRun.sessionId);
      assert.equal(o[4], 'open');
      assert.deepEqual(o.slice(5, 7), ['1', '1']);
    });

    it('--json gives the same numbers the app counted', async () => {
      const res = await cli(['sessions', '--json'], rec.env);
      assert.equal(res.code, 0, res.stderr);
      const rows = JSON.parse(res.stdout) as Array<Record<string, unknown>>;
      assert.equal(rows.length, 4);
      for (const run of [rec.errorsRun, rec.manyRun, rec.okRun]) {
        const r = rows.find((x) => x.session_id === run.sessionId);
        assert.ok(r);
        assert.deepEqual([r.llm_calls, r.tool_calls, r.actions, r.errors], [run.counts.llms, run.counts.tools, run.counts.actions, run.counts.errors]);
        assert.equal(r.total_tokens, run.tokens);
        assert.equal(r.open, false);
        assert.equal(r.trace_id, run.sessionId.replace(/-/g, ''));
        assert.match(String(r.start_time_unix_nano), /^\d{19}$/);
      }
      const e = rows.find((x) => x.session_id === rec.errorsRun.sessionId)!;
      assert.ok(Math.abs((e.cost_usd as number) - rec.errorsRun.cost!) < 1e-9);
      assert.equal(e.end_state, 'Fail');
      assert.deepEqual(e.tags, ['cli-test', 'errors']);
      const o = rows.find((x) => x.session_id === rec.openRun.sessionId)!;
      assert.deepEqual([o.open, o.end_state, o.llm_calls, o.tool_calls, o.total_tokens], [true, null, 1, 1, 3]);
    });

    it('filters by service, end state, tag and time range', async () => {
      const ids = async (...args: string[]): Promise<string[]> => {
        const res = await cli(['sessions', '--json', ...args], rec.env);
        assert.equal(res.code, 0, res.stderr);
        return (JSON.parse(res.stdout) as Array<{ session_id: string }>).map((r) => r.session_id).sort();
      };
      assert.deepEqual(await ids('--service', 'cli-svc-b'), [rec.okRun.sessionId]);
      assert.deepEqual(await ids('--state', 'fail'), [rec.errorsRun.sessionId]);
      assert.deepEqual(await ids('--state', 'open'), [rec.openRun.sessionId]);
      assert.deepEqual(await ids('--tag', 'bulk'), [rec.manyRun.sessionId]);
      assert.deepEqual(await ids('--tag', 'cli-test', '--tag', 'errors'), [rec.errorsRun.sessionId]);
      assert.deepEqual(await ids('--since', '1h', '--service', 'cli-svc-a', '--state', 'Success'), [rec.manyRun.sessionId]);
      assert.deepEqual(await ids('--until', '2000-01-01'), []);
      assert.equal((await ids('--limit', '2')).length, 2);
      const none = await cli(['sessions', '--until', '2000-01-01'], rec.env);
      assert.equal(none.code, 0);
      assert.match(none.stdout, /no sessions match/);
      const bad = await cli(['sessions', '--state', 'weird'], rec.env);
      assert.equal(bad.code, 2);
      const badTime = await cli(['sessions', '--since', 'yesterday-ish'], rec.env);
      assert.equal(badTime.code, 2);
      assert.match(badTime.stderr, /--since: "yesterday-ish" is not a time/);
    });
  });

  describe('trace', () => {
    it('draws the session as a tree with bars, statuses and key attributes', async () => {
      const res = await cli(['trace', rec.errorsRun.sessionId, '--width', '160'], rec.env);
      assert.equal(res.code, 0, res.stderr);
      const lines = res.stdout.trimEnd().split('\n');
      assert.match(lines[0], new RegExp(`^session ${rec.errorsRun.sessionId} · service cli-svc-a · Fail \\(two errors\\)`));
      const spanLines = lines.slice(2);
      const raw = await sql<{ n: number }>(rec.dbUrl, 'SELECT count(*)::int AS n FROM agentops_spans WHERE trace_id = $1', [rec.errorsRun.sessionId]);
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
      const ascii = await cli(['trace', rec.errorsRun.sessionId.replace(/-/g, ''), '--ascii', '--no-attributes'], rec.env);
      assert.equal(ascii.code, 0, ascii.stderr);
      assert.ok(!/[│├└█]/.test(ascii.stdout), 'ASCII only');
      assert.ok(!ascii.stdout.includes('model='));
      const narrow = await cli(['trace', rec.errorsRun.sessionId, '--ascii', '--width', '70'], rec.env);
      assert.equal(narrow.code, 0, narrow.stderr);
      assert.match(narrow.stdout, /^[\x20-\x7e\n]+$/, 'printable ASCII only, attributes, cut names and units included');
      assert.match(narrow.stdout, new RegExp(`^session ${rec.errorsRun.sessionId} \\| service cli-svc-a \\| Fail`));
      assert.match(narrow.stdout, /\.\.\./, 'what does not fit ends in ...');
      const json = await cli(['trace', rec.errorsRun.sessionId, '--ascii', '--json'], rec.env);
      assert.match(json.stdout, /^[\x20-\x7e\n]+$/);
      assert.deepEqual(JSON.parse(json.stdout), JSON.parse((await cli(['trace', rec.errorsRun.sessionId, '--json'], rec.env)).stdout));
      for (const res of [ascii, narrow, json]) assert.match(res.stderr, /^[\x20-\x7e\n]*$/, 'stderr: printable ASCII only');
    });

    it('--json lists the spans in tree order with depth', async () => {
      const res = await cli(['trace', rec.manyRun.sessionId, '--json'], rec.env);
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
      const text = await cli(['trace', rec.manyRun.sessionId], rec.env);
      assert.equal(text.code, 0);
      assert.equal(text.stdout.trimEnd().split('\n').length, 1002 + 2);
    });

    it('shows an open session under placeholders for the parents not written yet', async () => {
      const res = await cli(['trace', rec.openRun.sessionId], rec.env);
      assert.equal(res.code, 0, res.stderr);
      assert.match(res.stdout, /open \(no session span yet\)/);
      assert.match(res.stdout, /^⋯ [0-9a-f]{16} \(not recorded\)/m);
      assert.match(res.stdout, /^[├└]─ chat gpt-4o /m);
      const json = JSON.parse((await cli(['trace', rec.openRun.sessionId, '--json'], rec.env)).stdout) as { missing_parents: string[]; session: { open: boolean } };
      assert.equal(json.missing_parents.length, 1);
      assert.equal(json.session.open, true);
    });

    it('refuses a bad id with one line and exit 2; an unknown session is exit 1', async () => {
      const bad = await cli(['trace', 'not-a-uuid'], rec.env);
      assert.equal(bad.code, 2);
      assert.equal(bad.stdout, '');
      assert.match(bad.stderr, /^agentops-otel: "not-a-uuid" is not a session id\n {2}→ expected a UUID/);
      assert.ok(!/\n\s+at /.test(bad.stderr), 'no stack trace');
      const unknown = await cli(['trace', '00000000-0000-4000-8000-000000000000'], rec.env);
      assert.equal(unknown.code, 1);
      assert.match(unknown.stderr, /no spans for session 00000000-0000-4000-8000-000000000000/);
      const missing = await cli(['trace'], rec.env);
      assert.equal(missing.code, 2);
      assert.match(missing.stderr, /trace: missing <session-id>/);
      // --ascii holds for the error and its hint too, whatever the failure.
      const asciiBad = await cli(['trace', 'not-a-uuid', '--ascii'], rec.env);
      assert.equal(asciiBad.code, 2);
      assert.match(asciiBad.stderr, /^agentops-otel: "not-a-uuid" is not a session id\n {2}-> expected a UUID/);
      const asciiUnknown = await cli(['trace', '00000000-0000-4000-8000-000000000000', '--ascii', '--verbose'], rec.env);
      assert.equal(asciiUnknown.code, 1);
      assert.match(asciiUnknown.stderr, /no spans for session 00000000-0000-4000-8000-000000000000 [^\n]*\n {2}-> list sessions/);
      const asciiUsage = await cli(['trace', '--ascii', '--width', 'wide', '00000000-0000-4000-8000-000000000000'], rec.env);
      assert.equal(asciiUsage.code, 2);
      for (const res of [asciiBad, asciiUnknown, asciiUsage]) {
        assert.match(res.stderr, /^[\x20-\x7e\n]+$/, `printable ASCII only: ${res.stderr}`);
        assert.match(res.stdout, /^[\x20-\x7e\n]*$/);
      }
    });
  });

  describe('export', () => {
    it('writes one JSON line per span, exact to the nanosecond', async () => {
      const res = await cli(['export', rec.errorsRun.sessionId], rec.env);
      assert.equal(res.code, 0, res.stderr);
      const lines = parseJsonLines(res.stdout);
      const raw = await sql<{ span_id: string; parent_span_id: string | null; start_time: string; end_time: string; attributes: Record<string, unknown>; operation_name: string; status: string }>(
        rec.dbUrl,
        'SELECT span_id, parent_span_id, start_time::text AS start_time, end_time::text AS end_time, attributes, operation_name, status FROM agentops_spans WHERE trace_id = $1',
        [rec.errorsRun.sessionId],
      );
      assert.equal(lines.length, raw.length);
      assert.ok(res.stdout.split('\n').every((l) => l === '' || !l.includes('\n')));
      for (const r of raw) {
        const l = lines.find((x) => x.span_id === r.span_id);
        assert.ok(l);
        assert.equal(l.trace_id, rec.errorsRun.sessionId.replace(/-/g, ''));
        assert.match(String(l.trace_id), /^[0-9a-f]{32}$/);
        assert.equal(l.session_id, rec.errorsRun.sessionId);
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
      const [total] = await sql<{ n: number }>(rec.dbUrl, 'SELECT count(*)::int AS n FROM agentops_spans');
      const all = await cli(['export', '--since', '1h'], rec.env);
      assert.equal(all.code, 0, all.stderr);
      const paged = await cli(['export', '--since', '1h', '--page-size', '7'], rec.env);
      assert.equal(paged.code, 0, paged.stderr);
      for (const out of [all.stdout, paged.stdout]) {
        const lines = parseJsonLines(out);
        assert.equal(lines.length, total.n);
        assert.equal(new Set(lines.map((l) => `${l.trace_id}/${l.span_id}`)).size, total.n);
      }
      const b = parseJsonLines((await cli(['export', '--since', '1h', '--service', 'cli-svc-b'], rec.env)).stdout);
      assert.ok(b.length > 0 && b.every((l) => l.service_name === 'cli-svc-b' && l.session_id === rec.okRun.sessionId));
      const none = await cli(['export', '--since', '2000-01-01', '--until', '2000-01-02'], rec.env);
      assert.equal(none.code, 0);
      assert.equal(none.stdout, '');
    });

    it('ends quietly, with exit 0, when the reader closes the pipe early (| head)', async () => {
      // Over 1,000 spans of JSON are far more than a pipe buffers, so the reader's exit meets writes
      // still to come: EPIPE.
      const script = '"$NODE" "$CLI" export --since 1h --page-size 50 2>"$ERR" | head -n 1; echo "status ${PIPESTATUS[0]}"';
      const errFile = path.join(tempDir(), 'stderr');
      const out = await new Promise<string>((resolve, reject) => {
        const child = spawn('bash', ['-c', script], { env: cleanEnv({ ...rec.env, NODE: process.execPath, CLI, ERR: errFile }) });
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
      assert.equal((await cli(['export'], rec.env)).code, 2);
      assert.equal((await cli(['export', rec.errorsRun.sessionId, '--since', '1h'], rec.env)).code, 2);
      assert.equal((await cli(['export', 'xyz'], rec.env)).code, 2);
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
        const res = await cli(args, rec.env);
        assert.equal(res.code, 2, args.join(' '));
        assert.ok(!/\n\s+at /.test(res.stderr), 'no stack trace');
        if (args.length > 0) assert.ok(res.stderr.trimEnd().split('\n').length <= 2, res.stderr);
      }
      const unknown = await cli(['sessions', '--bogus'], rec.env);
      assert.equal(unknown.stderr, 'agentops-otel: sessions: unknown option --bogus\n  → see agentops-otel sessions --help\n');
    });

    it('an unreachable database is one line and exit 1; --verbose adds the stack', async () => {
      const down = { ...rec.env, AGENTOPS_PG_URL: `postgres://${rec.role}:${MARKER}@127.0.0.1:1/x` };
      for (const args of [['sessions'], ['trace', rec.errorsRun.sessionId], ['export', rec.errorsRun.sessionId], ['migrate']]) {
        const res = await cli(args, down);
        assert.equal(res.code, 1, args.join(' '));
        assert.match(res.stderr, /^agentops-otel: cannot connect to PostgreSQL at postgres:\/\/cli_\w+:\*\*\*\*@127\.0\.0\.1:1\/x \(sslmode=disable\): connection refused\n {2}→ start PostgreSQL/);
        assert.equal(res.stderr.trimEnd().split('\n').length, 2);
      }
      const verbose = await cli(['sessions', '--verbose'], down);
      assert.equal(verbose.code, 1);
      assert.match(verbose.stderr, /\n\s+at /);
      const badCfg = await cli(['sessions'], { ...rec.env, AGENTOPS_PG_URL: `mysql://${rec.role}:${MARKER}@h/x` });
      assert.equal(badCfg.code, 1);
      assert.match(badCfg.stderr, /invalid configuration: AGENTOPS_PG_URL: scheme mysql: is not supported/);
    });
  });

  // Defined last, so it runs after every command above.
  describe('secrets', () => {
    it('never appear in any output of any command above (stdout and stderr, failures and --verbose included)', () => {
      assertNoSecrets(rec.outputs, 100);
    });
  });
});
