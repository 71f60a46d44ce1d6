/**
 * Security: no password, connection-string secret or auth header appears in any log line, error,
 * CLI output or exported span.
 *
 * Every path runs with a marker password (a role created with it in the test database) and a
 * marker OTLP token, at AGENTOPS_LOG_LEVEL=debug: a normal run, a wrong password, the database
 * unreachable, invalid configuration values that contain the secrets, Jaeger answering 503 or
 * refusing connections (also on the process.exit() path), and the CLI when it is built. Then all
 * stdout/stderr, spool files, OTLP request bodies and table rows are searched for the markers.
 */
import * as assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { Client } from 'pg';
import { runNode, REPO_ROOT, type ChildResult } from '../helpers/child';
import { startOtlpReceiver, type OtlpReceiver } from '../helpers/otlp-receiver';
import { createTestDatabase, sql, tempDir, testServer } from '../helpers/postgres';

const fixture = (name: string): string => path.join(REPO_ROOT, 'test', 'fixtures', name);
const CLI = path.join(REPO_ROOT, 'dist', 'src', 'cli', 'main.js');

describe('security: secrets never leave the process', function () {
  this.timeout(120_000);

  // Distinctive cores: any printed fragment of a secret of a useful length contains one of them.
  const pwCore = `Mk7-pw-${randomBytes(6).toString('hex')}`;
  const tokCore = `Mk7-tok-${randomBytes(6).toString('hex')}`;
  // Characters that must be percent-encoded in a URL, so the raw and the encoded form differ.
  const password = `${pwCore}:@/ x`;
  const wrongPassword = `${pwCore}-wrong`;
  const token = `${tokCore}+/=`;
  const needles = [pwCore, tokCore, password, encodeURIComponent(password), wrongPassword, encodeURIComponent(token), token];

  let receiver: OtlpReceiver;
  let dbUrl: string;
  let host: string;
  let port: number;
  let role: string;
  /** Everything that left the processes under test, with where it came from. */
  const outputs: Array<{ where: string; text: string }> = [];
  const spoolDirs: string[] = [];

  const pgUrl = (pw: string, p = port, h = host): string => `postgres://${role}:${encodeURIComponent(pw)}@${h}:${p}/${new URL(dbUrl).pathname.slice(1)}`;

  before(async () => {
    const s = await testServer();
    host = s.host;
    port = s.port;
    dbUrl = await createTestDatabase('agentops_secrets');
    role = `sec_${randomBytes(4).toString('hex')}`;
    const c = new Client({ connectionString: dbUrl });
    await c.connect();
    try {
      await c.query(`CREATE ROLE ${role} LOGIN PASSWORD ${c.escapeLiteral(password)}`);
      await c.query(`ALTER DATABASE ${c.escapeIdentifier(new URL(dbUrl).pathname.slice(1))} OWNER TO ${role}`);
    } finally {
      await c.end();
    }
    receiver = await startOtlpReceiver();
  });
  after(async () => {
    await receiver?.close();
  });

  const env = (extra: Record<string, string> = {}): Record<string, string> => {
    const spool = tempDir();
    spoolDirs.push(spool);
    return {
      AGENTOPS_LOG_LEVEL: 'debug',
      AGENTOPS_EXPORTERS: 'jaeger,postgres',
      AGENTOPS_PG_URL: pgUrl(password),
      AGENTOPS_PG_SPOOL_DIR: spool,
      OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: receiver.url,
      OTEL_EXPORTER_OTLP_TRACES_HEADERS: `authorization=Bearer%20${encodeURIComponent(token)},x-api-key=${encodeURIComponent(token)}`,
      OTEL_EXPORTER_OTLP_TRACES_TIMEOUT: '2000',
      OTEL_BSP_SCHEDULE_DELAY: '20',
      AGENTOPS_PG_FLUSH_INTERVAL_MS: '20',
      AGENTOPS_PG_RETRY_BASE_MS: '10',
      AGENTOPS_PG_RETRY_MAX_DELAY_MS: '100',
      AGENTOPS_PG_RETRY_COUNT: '1',
      AGENTOPS_PG_CONNECT_TIMEOUT_MS: '1000',
      AGENTOPS_PG_SHUTDOWN_TIMEOUT_MS: '1000',
      AGENTOPS_SHUTDOWN_TIMEOUT_MS: '3000',
      ...extra,
    };
  };

  async function run(where: string, script: string, extra: Record<string, string>, args: string[] = []): Promise<ChildResult> {
    const res = await runNode(fixture(script), { env: env(extra), args });
    outputs.push({ where: `${where} (stdout)`, text: res.stdout }, { where: `${where} (stderr)`, text: res.stderr });
    return res;
  }

  function leaks(text: string): string[] {
    return needles.filter((n) => text.includes(n));
  }

  it('a normal run: spans stored with the marker password, sent with the marker token', async () => {
    const res = await run('normal run', 'all-events.js', {});
    assert.equal(res.code, 0, res.stderr);
    const { sessionId } = JSON.parse(res.stdout);
    const rows = await sql(dbUrl, 'SELECT count(*)::int AS n FROM agentops_spans WHERE trace_id = $1', [sessionId]);
    assert.equal(rows[0]!.n, 9, `the role authenticated with the marker password: ${res.stderr}`);
    await receiver.waitForSpans(9);
    assert.equal(receiver.requests[0]!.headers.authorization, `Bearer ${token}`, 'the marker token was really sent');
    assert.ok(
      res.logs.some((l) => l.level === 'debug'),
      'debug logging is on',
    );
  });

  it('PostgreSQL rejects the password', async () => {
    const res = await run('wrong password', 'all-events.js', { AGENTOPS_PG_URL: pgUrl(wrongPassword) });
    assert.equal(res.code, 0, res.stderr);
    assert.ok(
      res.logs.some((l) => (l.error as { code?: string } | undefined)?.code === '28P01'),
      `rejected by the server: ${res.stderr}`,
    );
    // The password given separately, the URL without one.
    const sep = await run('wrong AGENTOPS_PG_PASSWORD', 'all-events.js', { AGENTOPS_PG_URL: pgUrl(password).replace(/:[^:@/]*@/, '@'), AGENTOPS_PG_PASSWORD: wrongPassword });
    assert.equal(sep.code, 0, sep.stderr);
    assert.ok(
      sep.logs.some((l) => (l.error as { code?: string } | undefined)?.code === '28P01'),
      sep.stderr,
    );
  });

  it('the database is unreachable (spans spooled)', async () => {
    const res = await run('database unreachable', 'all-events.js', { AGENTOPS_PG_URL: pgUrl(password, 1, '127.0.0.1') });
    assert.equal(res.code, 0, res.stderr);
    assert.ok(
      res.logs.some((l) => (l.error as { code?: string } | undefined)?.code === 'ECONNREFUSED'),
      res.stderr,
    );
    // process.exit(): the remaining spans go to the spool synchronously.
    const exit = await run('database unreachable, process.exit()', 'exit-modes.js', { AGENTOPS_PG_URL: pgUrl(password, 1, '127.0.0.1'), OTEL_BSP_SCHEDULE_DELAY: '60000' }, ['exit']);
    assert.equal(exit.code, 3, exit.stderr);
  });

  it('invalid configuration values that contain the secrets', async () => {
    const cfgFile = path.join(tempDir(), 'agentops.json');
    // Not JSON (the password is not quoted): the parser's message quotes the text around the error.
    fs.writeFileSync(cfgFile, `{"AGENTOPS_PG_PASSWORD": ${password}}`);
    const cases: Array<[string, Record<string, string>, string]> = [
      ['bad sslmode in the URL', { AGENTOPS_PG_URL: `${pgUrl(password)}?sslmode=sometimes` }, 'AGENTOPS_PG_URL'],
      ['URL with a bad port', { AGENTOPS_PG_URL: `postgres://${role}:${encodeURIComponent(password)}@localhost:99x/db` }, 'AGENTOPS_PG_URL'],
      ['URL with an unsupported scheme', { AGENTOPS_PG_URL: `mysql://${role}:${encodeURIComponent(password)}@localhost/db` }, 'AGENTOPS_PG_URL'],
      ['password not percent-encoded', { AGENTOPS_PG_URL: `postgres://${role}:${password}@localhost/db` }, 'AGENTOPS_PG_URL'],
      ['OTLP endpoint with credentials, not a URL', { OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: `http://user:${encodeURIComponent(token)}@localhost:99x/v1/traces` }, 'OTEL_EXPORTER_OTLP_TRACES_ENDPOINT'],
      // The token alone, without `authorization=`: without "=" in it, and with one (it then splits into a bogus header name).
      ['OTLP header without a key', { OTEL_EXPORTER_OTLP_TRACES_HEADERS: `Bearer ${tokCore}` }, 'OTEL_EXPORTER_OTLP_TRACES_HEADERS'],
      ['OTLP header without a key, "=" in the token', { OTEL_EXPORTER_OTLP_HEADERS: `Bearer ${token}` }, 'OTEL_EXPORTER_OTLP_HEADERS'],
      ['OTLP header with bad percent-encoding', { OTEL_EXPORTER_OTLP_TRACES_HEADERS: `authorization=${tokCore}%zz` }, 'OTEL_EXPORTER_OTLP_TRACES_HEADERS'],
      ['config file that is not JSON', { AGENTOPS_CONFIG: cfgFile }, 'AGENTOPS_CONFIG'],
    ];
    for (const [what, extra, variable] of cases) {
      const res = await run(`invalid config: ${what}`, 'all-events.js', extra);
      assert.equal(res.code, 0, res.stderr);
      assert.ok(
        res.logs.some((l) => l.level === 'error' && l.variable === variable && /invalid configuration/.test(String(l.msg))),
        `${what}: a ConfigError names ${variable}: ${res.stderr}`,
      );
    }
  });

  it('Jaeger answers 503 or refuses connections, also on the process.exit() path', async () => {
    receiver.setResponse({ status: 503, body: `unavailable; you sent authorization=Bearer ${token}` });
    try {
      const r503 = await run('jaeger 503', 'all-events.js', {});
      assert.equal(r503.code, 0, r503.stderr);
      assert.ok(
        r503.logs.some((l) => /jaeger export failed/.test(String(l.msg))),
        r503.stderr,
      );
      const exit503 = await run('jaeger 503, process.exit()', 'exit-modes.js', { OTEL_BSP_SCHEDULE_DELAY: '60000' }, ['exit']);
      assert.equal(exit503.code, 3, exit503.stderr);
      assert.ok(
        exit503.logs.some((l) => /could not be sent at exit/.test(String(l.msg))),
        exit503.stderr,
      );
    } finally {
      receiver.setResponse('ok');
    }
    const closed = await startOtlpReceiver();
    await closed.close();
    const refused = await run('jaeger refused', 'all-events.js', { OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: closed.url.replace('://', `://user:${encodeURIComponent(token)}@`) });
    assert.equal(refused.code, 0, refused.stderr);
    assert.ok(
      refused.logs.some((l) => /jaeger export failed/.test(String(l.msg))),
      refused.stderr,
    );
    const exitRefused = await run('jaeger refused, process.exit()', 'exit-modes.js', { OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: closed.url, OTEL_BSP_SCHEDULE_DELAY: '60000' }, ['exit']);
    assert.equal(exitRefused.code, 3, exitRefused.stderr);
  });

  it('the CLI (doctor, sessions, migrate, replay, export; with --verbose; with invalid values)', async function () {
    if (!fs.existsSync(CLI)) {
      console.log(`      (skipped: ${path.relative(REPO_ROOT, CLI)} is not built yet; the CLI is checked once it exists)`);
      this.skip();
    }
    const commands = [['doctor'], ['sessions'], ['migrate'], ['replay'], ['export'], ['sessions', '--verbose'], ['doctor', '--verbose']];
    for (const [label, url] of [
      ['right password', pgUrl(password)],
      ['wrong password', pgUrl(wrongPassword)],
      ['unreachable', pgUrl(password, 1, '127.0.0.1')],
    ] as const) {
      for (const args of commands) {
        const res = await runNode(CLI, { preload: 'none', args, env: env({ AGENTOPS_PG_URL: url }) });
        outputs.push({ where: `cli ${args.join(' ')} (${label})`, text: res.stdout + res.stderr });
        if (label === 'right password' && ['sessions', 'migrate', 'replay'].includes(args[0]!)) assert.equal(res.code, 0, `${args.join(' ')}: ${res.stdout}${res.stderr}`);
        if (label !== 'right password' && args[0] === 'sessions') assert.equal(res.code, 1, `${label}: ${res.stdout}${res.stderr}`);
      }
    }
    // Invalid values that contain the secrets, shown by doctor.
    const cfgFile = path.join(tempDir(), 'agentops.json');
    fs.writeFileSync(cfgFile, `{"AGENTOPS_PG_PASSWORD": ${password}}`);
    const invalid: Array<Record<string, string>> = [
      { OTEL_EXPORTER_OTLP_TRACES_HEADERS: `Bearer ${tokCore}` },
      { OTEL_EXPORTER_OTLP_HEADERS: `Bearer ${token}` },
      { AGENTOPS_CONFIG: cfgFile },
      { AGENTOPS_PG_URL: `${pgUrl(password)}?sslmode=sometimes` },
      { AGENTOPS_PG_URL: `postgres://${role}:${password}@localhost/db` },
      { AGENTOPS_PG_PASSWORD: password, AGENTOPS_PG_URL: `postgres://${role}@${host}:${port}/${new URL(dbUrl).pathname.slice(1)}` },
    ];
    for (const extra of invalid) {
      const res = await runNode(CLI, { preload: 'none', args: ['doctor', '--verbose'], env: env(extra) });
      outputs.push({ where: `cli doctor --verbose with ${Object.keys(extra).join(', ')}`, text: res.stdout + res.stderr });
    }
  });

  it('none of it printed, spooled, exported or stored a secret', async () => {
    assert.ok(outputs.length >= 20, 'the runs above happened');
    const found: string[] = [];
    for (const o of outputs)
      for (const n of leaks(o.text))
        found.push(
          `${o.where}: ${n}\n  ${o.text
            .split('\n')
            .filter((l) => l.includes(n))
            .join('\n  ')}`,
        );

    let spoolFiles = 0;
    for (const d of spoolDirs) {
      if (!fs.existsSync(d)) continue;
      for (const f of fs.readdirSync(d)) {
        spoolFiles++;
        for (const n of leaks(fs.readFileSync(path.join(d, f), 'latin1'))) found.push(`spool ${f}: ${n}`);
      }
    }
    assert.ok(spoolFiles > 0, 'the unreachable-database runs spooled spans');

    assert.ok(receiver.requests.length > 0);
    for (const r of receiver.requests) {
      for (const n of leaks(r.body.toString('latin1'))) found.push(`OTLP body #${r.index}: ${n}`);
      for (const n of leaks(JSON.stringify(r.decoded, (_k, v) => (typeof v === 'bigint' ? v.toString() : v)))) found.push(`OTLP spans #${r.index}: ${n}`);
    }

    const tables = await sql<{ t: string }>(dbUrl, "SELECT table_name AS t FROM information_schema.tables WHERE table_schema = 'public'");
    assert.ok(tables.some((t) => t.t === 'agentops_spans'));
    for (const { t } of tables) {
      const rows = await sql<{ j: string }>(dbUrl, `SELECT row_to_json(x)::text AS j FROM "${t}" x`);
      for (const r of rows) for (const n of leaks(r.j)) found.push(`table ${t}: ${n}`);
    }
    assert.deepEqual(found, []);
  });
});
