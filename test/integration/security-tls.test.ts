/**
 * Security: transport encryption with verification.
 *
 * PostgreSQL: a separate embedded server with ssl=on that accepts TCP over TLS only, its
 * certificate signed by a CA this test generates (SAN DNS:localhost, IP:127.0.0.1; it also
 * listens on 127.0.0.2, which the certificate does not name). verify-full stores spans; a wrong
 * CA or a host name not in the certificate is refused with a clear error line, the app is
 * unaffected and the spans go to the spool, from which a correctly configured process stores them.
 * verify-ca checks the chain but not the host name.
 *
 * OTLP: an HTTPS loopback receiver with the same certificate; the CA comes from
 * OTEL_EXPORTER_OTLP_TRACES_CERTIFICATE, an auth header from OTEL_EXPORTER_OTLP_TRACES_HEADERS,
 * on the normal path and on the synchronous path used after process.exit().
 */
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { randomBytes } from 'node:crypto';
import { Client } from 'pg';
import { runNode, REPO_ROOT, type ChildResult } from '../helpers/child';
import { startOtlpReceiver, type OtlpReceiver } from '../helpers/otlp-receiver';
import { tempDir, testServer } from '../helpers/postgres';
import { spoolRows as spoolRowsIn } from './faults-support';
import { makePki, startTlsPostgres, type Pki, type TlsPostgres } from '../helpers/tls';

const fixture = (name: string): string => path.join(REPO_ROOT, 'test', 'fixtures', name);

/**
 * Rows of the spool files in a directory, pending or claimed: an app that exits while its exporter
 * tries its own spool leaves the file claimed under its pid, and the next replayer takes it over.
 */
function spoolRows(dir: string): string[] {
  return fs.existsSync(dir) ? spoolRowsIn(dir) : [];
}

/** stdout and stderr hold nothing but the app's one JSON line and our own JSON log lines. */
function assertAppUnaffected(res: ChildResult): void {
  assert.equal(res.code, 0, res.stderr);
  assert.equal(res.signal, null);
  const out = res.stdout.trim().split('\n');
  assert.equal(out.length, 1, res.stdout);
  assert.match(JSON.parse(out[0]!).sessionId, /^[0-9a-f-]{36}$/);
  const foreign = res.stderr.split('\n').filter((l) => l !== '' && !l.startsWith('{"time"'));
  assert.deepEqual(foreign, [], 'nothing but our JSON log lines on stderr');
}

describe('security: TLS to PostgreSQL and to the OTLP endpoint', function () {
  this.timeout(120_000);
  let pki: Pki;

  before(async () => {
    // First: starting the shared server sweeps this process's earlier temporary directories.
    await testServer();
    const dir = tempDir();
    fs.chmodSync(dir, 0o755); // the PostgreSQL server runs as another user and reads its key here
    pki = makePki(path.join(dir, 'pki'));
  });

  describe('PostgreSQL with ssl=on, TLS required', function () {
    const password = `tls-pw-${randomBytes(6).toString('hex')}`;
    let server: TlsPostgres;

    before(async () => {
      server = await startTlsPostgres(pki, password);
    });
    after(async () => {
      await server?.stop();
    });

    async function query<R extends Record<string, unknown>>(text: string, values?: unknown[]): Promise<R[]> {
      const c = new Client({ host: '127.0.0.1', port: server.port, user: server.user, password, database: 'postgres', ssl: { ca: pki.ca } });
      c.on('error', () => undefined);
      await c.connect();
      try {
        return (await c.query<R>(text, values)).rows;
      } finally {
        await c.end().catch(() => undefined);
      }
    }

    async function stored(sessionId: string, table: string): Promise<number> {
      const exists = await query<{ t: string | null }>('SELECT to_regclass($1)::text AS t', [table]);
      if (exists[0]!.t === null) return 0;
      return (await query<{ n: number }>(`SELECT count(*)::int AS n FROM "${table}" WHERE trace_id = $1`, [sessionId]))[0]!.n;
    }

    const env = (host: string, table: string, spoolDir: string, extra: Record<string, string> = {}): Record<string, string> => ({
      AGENTOPS_EXPORTERS: 'postgres',
      AGENTOPS_PG_URL: `postgres://${server.user}:${password}@${host}:${server.port}/postgres`,
      AGENTOPS_PG_TABLE: table,
      AGENTOPS_PG_SPOOL_DIR: spoolDir,
      AGENTOPS_PG_SSLMODE: 'verify-full',
      AGENTOPS_PG_SSLROOTCERT: pki.caFile,
      AGENTOPS_PG_FLUSH_INTERVAL_MS: '20',
      AGENTOPS_PG_RETRY_BASE_MS: '10',
      AGENTOPS_PG_RETRY_MAX_DELAY_MS: '100',
      AGENTOPS_PG_RETRY_COUNT: '2',
      AGENTOPS_PG_CONNECT_TIMEOUT_MS: '2000',
      AGENTOPS_PG_SHUTDOWN_TIMEOUT_MS: '1500',
      AGENTOPS_SHUTDOWN_TIMEOUT_MS: '3000',
      OTEL_BSP_SCHEDULE_DELAY: '20',
      ...extra,
    });

    it('refuses a connection without TLS (the server really requires it)', async () => {
      await assert.rejects(
        async () => {
          const c = new Client({ host: '127.0.0.1', port: server.port, user: server.user, password, database: 'postgres', ssl: false });
          c.on('error', () => undefined);
          try {
            await c.connect();
          } finally {
            await c.end().catch(() => undefined);
          }
        },
        (err: Error & { code?: string }) => err.code === '28000' && /no encryption/.test(err.message),
      );
    });

    it('stores every span with sslmode=verify-full and the right CA, host name in the certificate', async () => {
      const spool = tempDir();
      const res = await runNode(fixture('all-events.js'), { env: env('localhost', 'tls_ok_spans', spool) });
      assertAppUnaffected(res);
      const { sessionId } = JSON.parse(res.stdout);
      assert.equal(await stored(sessionId, 'tls_ok_spans'), 9, res.stderr);
      assert.deepEqual(spoolRows(spool), []);
      assert.ok(!res.logs.some((l) => l.level === 'error' || l.level === 'warn'), res.stderr);
      // The same over the IP address, which the certificate names too.
      const byIp = await runNode(fixture('all-events.js'), { env: env('127.0.0.1', 'tls_ok_spans', spool) });
      assertAppUnaffected(byIp);
      assert.equal(await stored(JSON.parse(byIp.stdout).sessionId, 'tls_ok_spans'), 9, byIp.stderr);
    });

    const refusals = [
      {
        name: 'a certificate signed by another CA (verify-full)',
        host: 'localhost',
        mode: 'verify-full',
        wrongCa: true,
        problem: /certificate/i,
        codes: ['SELF_SIGNED_CERT_IN_CHAIN', 'UNABLE_TO_VERIFY_LEAF_SIGNATURE', 'UNABLE_TO_GET_ISSUER_CERT_LOCALLY'],
      },
      {
        name: 'a certificate signed by another CA (verify-ca)',
        host: '127.0.0.2',
        mode: 'verify-ca',
        wrongCa: true,
        problem: /certificate/i,
        codes: ['SELF_SIGNED_CERT_IN_CHAIN', 'UNABLE_TO_VERIFY_LEAF_SIGNATURE', 'UNABLE_TO_GET_ISSUER_CERT_LOCALLY'],
      },
      {
        name: 'a host name the certificate does not name (verify-full)',
        host: '127.0.0.2',
        mode: 'verify-full',
        wrongCa: false,
        problem: /127\.0\.0\.2.*(cert|altnames)/i,
        codes: ['ERR_TLS_CERT_ALTNAME_INVALID'],
      },
    ];
    for (const c of refusals) {
      it(`refuses ${c.name}: nothing stored, one clear error, the spans spooled and later stored`, async () => {
        const table = `tls_refused_${randomBytes(3).toString('hex')}`;
        const spool = tempDir();
        const res = await runNode(fixture('all-events.js'), {
          env: env(c.host, table, spool, { AGENTOPS_PG_SSLMODE: c.mode, ...(c.wrongCa ? { AGENTOPS_PG_SSLROOTCERT: pki.wrongCaFile } : {}) }),
        });
        assertAppUnaffected(res);
        const { sessionId } = JSON.parse(res.stdout);
        assert.equal(await stored(sessionId, table), 0, 'nothing reached the table');

        const failures = res.logs.filter((l) => l.level === 'error' && /postgres/.test(String(l.msg)));
        assert.ok(failures.length >= 1, `an error line: ${res.stderr}`);
        const first = failures[0]!;
        const error = first.error as { code?: string; message?: string };
        assert.ok(c.codes.includes(String(error.code)), `TLS error code in ${JSON.stringify(first)}`);
        assert.match(String(error.message), c.problem);
        assert.match(String(first.msg), /TLS|certificate/i, 'the line says it is a TLS problem');
        // Rate-limited: one line per kind of failure, however many retries happened.
        const sameKey = res.logs.filter((l) => l.msg === first.msg && (l.error as { code?: string } | undefined)?.code === error.code);
        assert.equal(sameKey.length, 1, res.stderr);

        const rows = spoolRows(spool);
        assert.equal(rows.length, 9, `all 9 spans spooled, not lost: ${res.stderr}`);
        assert.ok(
          rows.every((r) => r.includes(sessionId.replace(/-/g, '')) || r.includes(sessionId)),
          'the spooled rows are this session',
        );

        // A process with the right settings replays the spool: nothing was lost.
        const replay = await runNode(fixture('noop.js'), { env: env('localhost', table, spool) });
        assert.equal(replay.code, 0, replay.stderr);
        assert.equal(await stored(sessionId, table), 9, replay.stderr);
        assert.deepEqual(spoolRows(spool), []);
      });
    }

    it('verify-ca checks the chain only: a host name not in the certificate is accepted', async () => {
      const spool = tempDir();
      const res = await runNode(fixture('all-events.js'), { env: env('127.0.0.2', 'tls_ca_spans', spool, { AGENTOPS_PG_SSLMODE: 'verify-ca' }) });
      assertAppUnaffected(res);
      assert.equal(await stored(JSON.parse(res.stdout).sessionId, 'tls_ca_spans'), 9, res.stderr);
    });

    it('require encrypts without verifying (no CA file); disable is refused by this server', async () => {
      const spool = tempDir();
      const env0 = env('127.0.0.2', 'tls_req_spans', spool, { AGENTOPS_PG_SSLMODE: 'require' });
      delete env0.AGENTOPS_PG_SSLROOTCERT;
      const res = await runNode(fixture('all-events.js'), { env: env0 });
      assertAppUnaffected(res);
      assert.equal(await stored(JSON.parse(res.stdout).sessionId, 'tls_req_spans'), 9, res.stderr);

      const plain = { ...env0, AGENTOPS_PG_SSLMODE: 'disable' };
      const refused = await runNode(fixture('all-events.js'), { env: plain });
      assertAppUnaffected(refused);
      assert.equal(await stored(JSON.parse(refused.stdout).sessionId, 'tls_req_spans'), 0);
      assert.ok(
        refused.logs.some((l) => l.level === 'error' && (l.error as { code?: string }).code === '28000' && /no encryption/.test(String((l.error as { message?: string }).message))),
        refused.stderr,
      );
    });
  });

  describe('OTLP over HTTPS with a private CA and an auth header', function () {
    const token = `otlp-tok-${randomBytes(6).toString('hex')}`;
    let receiver: OtlpReceiver;
    beforeEach(async () => {
      receiver = await startOtlpReceiver({ tls: { key: pki.key, cert: pki.cert } });
    });
    afterEach(async () => {
      await receiver.close();
    });

    const env = (extra: Record<string, string> = {}): Record<string, string> => ({
      AGENTOPS_EXPORTERS: 'jaeger',
      OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: `https://localhost:${receiver.port}/v1/traces`,
      OTEL_EXPORTER_OTLP_TRACES_CERTIFICATE: pki.caFile,
      OTEL_EXPORTER_OTLP_TRACES_HEADERS: `authorization=Bearer%20${token}`,
      OTEL_EXPORTER_OTLP_TRACES_TIMEOUT: '3000',
      OTEL_BSP_SCHEDULE_DELAY: '20',
      ...extra,
    });

    it('delivers every span over TLS with the header', async () => {
      assert.match(receiver.url, /^https:/);
      const res = await runNode(fixture('all-events.js'), { env: env() });
      assertAppUnaffected(res);
      const spans = await receiver.waitForSpans(9);
      assert.equal(spans.length, 9);
      assert.ok(receiver.requests.length > 0);
      for (const r of receiver.requests) assert.equal(r.headers.authorization, `Bearer ${token}`);
      assert.ok(spans.every((s) => s.traceId === JSON.parse(res.stdout).sessionId.replace(/-/g, '')));
    });

    it('sends nothing to a server whose certificate the CA did not sign, and logs why', async () => {
      const res = await runNode(fixture('all-events.js'), { env: env({ OTEL_EXPORTER_OTLP_TRACES_CERTIFICATE: pki.wrongCaFile }) });
      assertAppUnaffected(res);
      assert.equal(receiver.requests.length, 0, 'no request got past the TLS handshake');
      const failed = res.logs.filter((l) => l.level === 'warn' && /jaeger export failed/.test(String(l.msg)));
      assert.equal(failed.length, 1, res.stderr);
      assert.match(JSON.stringify(failed[0]!.error), /certificate/i);
    });

    it('the synchronous send after process.exit() trusts the configured CA, and only it', async () => {
      const syncEnv = env({ OTEL_BSP_SCHEDULE_DELAY: '60000' });
      const ok = await runNode(fixture('exit-modes.js'), { args: ['exit'], env: syncEnv });
      assert.equal(ok.code, 3, ok.stderr);
      const spans = await receiver.waitForSpans(7);
      assert.equal(spans.length, 7, 'session, agent and 5 events, sent by the exit path');
      for (const r of receiver.requests) assert.equal(r.headers.authorization, `Bearer ${token}`);

      receiver.reset();
      const wrong = await runNode(fixture('exit-modes.js'), { args: ['exit'], env: { ...syncEnv, OTEL_EXPORTER_OTLP_TRACES_CERTIFICATE: pki.wrongCaFile } });
      assert.equal(wrong.code, 3, wrong.stderr);
      assert.equal(receiver.requests.length, 0);
      const failed = wrong.logs.filter((l) => /could not be sent at exit/.test(String(l.msg)));
      assert.equal(failed.length, 1, wrong.stderr);
      assert.match(String(failed[0]!.error), /certificate/i);
    });
  });
});
