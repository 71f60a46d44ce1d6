/**
 * Shared set-up for the CLI command tests (test/integration/cli-commands-*.test.ts; not a test file
 * itself): a real PostgreSQL holding sessions recorded through the preload: one with errors, one
 * with 1,000 events, a small one from another service, and one still open (its process was
 * SIGKILLed after its event spans were exported, so its session and agent spans were never
 * written). Every command runs as a child process (`node dist/src/cli/main.js …`) as a role whose
 * password is a marker string, and its output is kept for the secrets check each file ends with.
 */
import * as assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import * as path from 'node:path';
import type { ChildProcess } from 'node:child_process';
import { runNode, waitForOutput, REPO_ROOT, type ChildResult } from '../helpers/child';
import { createTestDatabase, eventually, sql, tempDir } from '../helpers/postgres';

export const CLI = path.join(REPO_ROOT, 'dist', 'src', 'cli', 'main.js');
export const FIXTURE = path.join(REPO_ROOT, 'test', 'fixtures', 'cli-sessions.js');
export const MARKER = `Mk7-${randomBytes(6).toString('hex')}-pw`;
export const HEADER_MARKER = `Hd9-${randomBytes(6).toString('hex')}-tok`;

export interface Reported {
  sessionId: string;
  counts: { llms: number; tools: number; actions: number; errors: number };
  tokens: number;
  cost?: number;
}

export function withUser(url: string, user: string, password: string): string {
  const u = new URL(url);
  u.username = user;
  u.password = password;
  return u.toString();
}

export function parseJsonLines(text: string): Array<Record<string, unknown>> {
  return text
    .split('\n')
    .filter((l) => l.trim() !== '')
    .map((l) => JSON.parse(l) as Record<string, unknown>);
}

/** What a test file's commands run against; the fields but `outputs` and `cli` are filled by `before`. */
export class CliSessions {
  /** Every stdout and stderr of `cli()` in this file. */
  readonly outputs: string[] = [];
  dbUrl!: string; // as the marker role
  env!: Record<string, string>;
  errorsRun!: Reported;
  manyRun!: Reported;
  okRun!: Reported;
  openRun!: Reported;
  role!: string;

  readonly cli = async (args: string[], env: Record<string, string | undefined>): Promise<ChildResult> => {
    const res = await runNode(CLI, { preload: 'none', args, env, timeoutMs: 60000 });
    this.outputs.push(res.stdout, res.stderr);
    return res;
  };
}

/** Registers the `before` hook that records the sessions in a new database; call it inside the file's top-level describe. */
export function recordCliSessions(): CliSessions {
  const rec = new CliSessions();
  before(async function () {
    const adminUrl = await createTestDatabase('agentops_cli');
    rec.role = `cli_${randomBytes(4).toString('hex')}`;
    await sql(adminUrl, `CREATE ROLE ${rec.role} LOGIN SUPERUSER PASSWORD '${MARKER}'`);
    const dbUrl = withUser(adminUrl, rec.role, MARKER);
    rec.dbUrl = dbUrl;
    const env = {
      AGENTOPS_PG_URL: dbUrl,
      AGENTOPS_PG_SPOOL_DIR: tempDir(),
      AGENTOPS_EXPORTERS: 'postgres',
      OTEL_BSP_SCHEDULE_DELAY: '50',
      AGENTOPS_PG_FLUSH_INTERVAL_MS: '50',
      OTEL_SERVICE_NAME: 'cli-svc-a',
      OTEL_BSP_MAX_QUEUE_SIZE: '10000',
    };
    rec.env = env;
    const a = await runNode(FIXTURE, { args: ['errors'], env, timeoutMs: 60000 });
    assert.equal(a.code, 0, a.stderr);
    [rec.errorsRun, rec.manyRun] = a.stdout
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as Reported);
    const b = await runNode(FIXTURE, { args: ['ok'], env: { ...env, OTEL_SERVICE_NAME: 'cli-svc-b' } });
    assert.equal(b.code, 0, b.stderr);
    rec.okRun = JSON.parse(b.stdout.trim()) as Reported;

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
    rec.openRun = JSON.parse(res.stdout.split('\n')[0]) as Reported;
    assert.equal(rec.openRun.sessionId, openId);
    const [sessionSpans] = await sql<{ n: number }>(dbUrl, "SELECT count(*)::int AS n FROM agentops_spans WHERE trace_id = $1 AND attributes->>'agentops.span.kind' IN ('session', 'agent')", [openId]);
    assert.equal(sessionSpans.n, 0, 'the open session has neither session nor agent span');
  });
  return rec;
}

/** No marker in any output; `minOutputs` shows that the file's commands did run (two outputs a command). */
export function assertNoSecrets(outputs: readonly string[], minOutputs: number): void {
  const all = outputs.join('\n');
  assert.ok(outputs.length > minOutputs, `the commands ran (${outputs.length} outputs)`);
  assert.ok(all.includes('****'), 'masked values were printed');
  assert.ok(!all.includes(MARKER), 'the PostgreSQL password was printed');
  assert.ok(!all.includes(HEADER_MARKER), 'an OTLP header value was printed');
}
