/**
 * `agentops-otel demo` end to end, the way a newcomer runs it: nothing configured, an embedded
 * PostgreSQL on a fresh data directory, Jaeger only if one answers.
 */
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { ChildProcess } from 'node:child_process';
import { runNode, waitForOutput, REPO_ROOT, type ChildResult } from '../helpers/child';
import { startOtlpReceiver } from '../helpers/otlp-receiver';
import { createTestDatabase, sql, tempDir } from '../helpers/postgres';

const CLI = path.join(REPO_ROOT, 'dist', 'src', 'cli', 'main.js');

function cli(args: string[], env: Record<string, string | undefined>, extra: { onSpawn?: (c: ChildProcess) => void } = {}): Promise<ChildResult> {
  return runNode(CLI, { preload: 'none', args, env, timeoutMs: 90000, ...extra });
}

function sessionIdOf(stdout: string): string {
  const m = /The example app ran: session ([0-9a-f-]{36}) ended/.exec(stdout);
  assert.ok(m, stdout);
  return m[1];
}

/** A fresh directory the embedded server (user postgres when we are root) can reach. */
function reachableDir(): string {
  const d = tempDir();
  fs.chmodSync(d, 0o755);
  return d;
}

describe('agentops-otel demo', function () {
  it('runs the example on a fresh data directory, exports to Jaeger when it answers, prints the trace and where to look', async () => {
    const receiver = await startOtlpReceiver();
    const dataDir = path.join(reachableDir(), 'pgdata');
    try {
      const res = await cli(['demo', '--data-dir', dataDir, '--width', '140'], { OTEL_EXPORTER_OTLP_ENDPOINT: receiver.endpoint });
      assert.equal(res.code, 0, res.stdout + res.stderr);
      const id = sessionIdOf(res.stdout);
      const hex = id.replace(/-/g, '');
      assert.match(res.stderr, /Jaeger answers at http:\/\/127\.0\.0\.1:\d+\/v1\/traces/);
      // The trace tree, read back from PostgreSQL.
      assert.match(res.stdout, new RegExp(`^session ${id} · service agentops-demo · Success \\(report written\\)`, 'm'));
      for (const name of ['invoke_agent planner', 'invoke_agent researcher', 'invoke_agent writer', 'execute_tool web_search', 'chat gpt-4o-mini', 'action fact_check']) {
        assert.match(res.stdout, new RegExp(`^[│├└ ─]*${name} .*│`, 'm'), name);
      }
      assert.match(res.stdout, /action fact_check\s+\S+ \S+\s+ERROR/);
      // Where to look further.
      assert.match(res.stdout, /export AGENTOPS_PG_URL=postgres:\/\/postgres:postgres@127\.0\.0\.1:\d+\/agentops/);
      assert.match(res.stdout, new RegExp(`sessions\\n.* trace ${id}\\n.* export ${id} > session\\.jsonl`));
      assert.match(res.stdout, /psql postgres:\/\/postgres:postgres@127\.0\.0\.1:\d+\/agentops -c 'SELECT \* FROM agentops_sessions'/);
      assert.ok(res.stdout.includes(`Jaeger UI: http://127.0.0.1:16686/trace/${hex}`));
      assert.match(res.stdout, /was stopped \(data kept in .*pgdata; rerun with the same --data-dir to reuse it\)/);
      // Jaeger got the same trace.
      const spans = await receiver.waitForSpans(13);
      assert.ok(spans.every((s) => s.traceId === hex));
      // The data directory is a stopped cluster holding the session.
      assert.ok(fs.existsSync(path.join(dataDir, 'PG_VERSION')));
      assert.ok(!fs.existsSync(path.join(dataDir, 'postmaster.pid')), 'the server was stopped');

      // A second run reuses the directory: both sessions are there.
      const again = await cli(['demo', '--data-dir', dataDir], { OTEL_EXPORTER_OTLP_ENDPOINT: receiver.endpoint });
      assert.equal(again.code, 0, again.stderr);
      assert.match(again.stderr, /starting the embedded PostgreSQL in/);
      assert.notEqual(sessionIdOf(again.stdout), id);
    } finally {
      await receiver.close();
    }
  });

  it('without Jaeger exports to PostgreSQL only, and removes its temporary directory', async () => {
    const closed = await startOtlpReceiver();
    await closed.close();
    const res = await cli(['demo'], { OTEL_EXPORTER_OTLP_ENDPOINT: closed.endpoint });
    assert.equal(res.code, 0, res.stdout + res.stderr);
    sessionIdOf(res.stdout);
    assert.match(res.stderr, /Jaeger does not answer .*: PostgreSQL only/);
    assert.ok(!res.stdout.includes('Jaeger UI:'));
    assert.match(res.stdout, /Jaeger did not answer/);
    assert.match(res.stdout, /The embedded PostgreSQL was stopped and its temporary data removed, so the commands above need --keep/);
    const dir = /creating an embedded PostgreSQL in (\S+)\/data /.exec(res.stderr)?.[1];
    assert.ok(dir);
    assert.ok(!fs.existsSync(dir), `${dir} was removed`);
  });

  it('--keep leaves the server up for the printed commands until Ctrl-C', async () => {
    const closed = await startOtlpReceiver();
    await closed.close();
    let child: ChildProcess | undefined;
    const run = cli(['demo', '--keep'], { OTEL_EXPORTER_OTLP_ENDPOINT: closed.endpoint }, { onSpawn: (c) => (child = c) });
    assert.ok(child);
    let stdout = '';
    child.stdout!.on('data', (d: Buffer) => (stdout += d.toString()));
    await waitForOutput(child, 'Press Ctrl-C', 60000);
    const url = /export AGENTOPS_PG_URL=(\S+)/.exec(stdout)?.[1];
    assert.ok(url, stdout);
    const id = sessionIdOf(stdout);
    const sessions = await cli(['sessions', '--json'], { AGENTOPS_PG_URL: url });
    assert.equal(sessions.code, 0, sessions.stderr);
    assert.deepEqual(
      (JSON.parse(sessions.stdout) as Array<{ session_id: string }>).map((s) => s.session_id),
      [id],
    );
    child.kill('SIGINT');
    const res = await run;
    assert.equal(res.code, 130, res.stderr); // interrupted, as documented in --help
    const dir = /creating an embedded PostgreSQL in (\S+)\/data /.exec(res.stderr)?.[1];
    assert.ok(dir && !fs.existsSync(dir), 'Ctrl-C stopped the server and removed its directory');
    await assert.rejects(sql(url, 'SELECT 1'), 'the server is down');
  });

  it('uses a configured database instead of starting one', async () => {
    const url = await createTestDatabase('agentops_demo');
    const closed = await startOtlpReceiver();
    await closed.close();
    const res = await cli(['demo'], { AGENTOPS_PG_URL: url, OTEL_EXPORTER_OTLP_ENDPOINT: closed.endpoint, AGENTOPS_PG_SPOOL_DIR: tempDir() });
    assert.equal(res.code, 0, res.stdout + res.stderr);
    const id = sessionIdOf(res.stdout);
    assert.ok(!res.stderr.includes('embedded PostgreSQL'));
    assert.match(res.stdout, /psql "\$AGENTOPS_PG_URL" -c 'SELECT \* FROM agentops_sessions'/);
    assert.ok(!res.stdout.includes('agentops-test-pw'), 'the configured password is not printed');
    const [n] = await sql<{ n: number }>(url, 'SELECT count(*)::int AS n FROM agentops_spans WHERE trace_id = $1', [id]);
    assert.equal(n.n, 13);
    const refused = await cli(['demo', '--keep'], { AGENTOPS_PG_URL: url });
    assert.equal(refused.code, 2);
  });
});
