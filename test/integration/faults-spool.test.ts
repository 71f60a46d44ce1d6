/**
 * The spool cannot take what PostgreSQL (down: a closed port) could not: its directory is a file,
 * or not writable, or it is full (AGENTOPS_PG_SPOOL_MAX_BYTES tiny). Through the preload the app
 * exits normally with its own exit code and output; every span PostgreSQL could not keep is
 * counted as dropped with its reason in the shutdown summary, and the drop is logged. Jaeger is
 * unaffected and gets every span.
 */
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { runNode, type ChildResult } from '../helpers/child';
import { startOtlpReceiver, type OtlpReceiver } from '../helpers/otlp-receiver';
import { tempDir } from '../helpers/postgres';
import { appStdout, assertNothingReachedApp, faultEnv, fixture, jsonLines, shutdownSummary, spoolRows } from './faults-support';

const EVENTS = 200;
const SPANS = EVENTS + 2;
const EXIT_CODE = '5';
const DB_DOWN = 'postgres://postgres:pw@127.0.0.1:1/agentops';

describe('faults: the spool is unwritable or full while PostgreSQL is down', function () {
  this.timeout(60_000);
  let receiver: OtlpReceiver;
  let bare: ChildResult;

  before(async () => {
    bare = await runNode(fixture('faults-app.js'), { preload: 'none', args: ['fixed', String(EVENTS)], env: { FAULTS_EXIT_CODE: EXIT_CODE } });
    assert.equal(bare.code, Number(EXIT_CODE), bare.stderr);
  });
  beforeEach(async () => {
    receiver = await startOtlpReceiver();
  });
  afterEach(async () => {
    await receiver.close();
  });

  async function run(spoolDir: string, extra: Record<string, string> = {}): Promise<ChildResult> {
    const res = await runNode(fixture('faults-app.js'), {
      args: ['fixed', String(EVENTS)],
      timeoutMs: 30_000,
      env: faultEnv({ jaegerUrl: receiver.url, dbUrl: DB_DOWN, spoolDir }, { FAULTS_EXIT_CODE: EXIT_CODE, AGENTOPS_SHUTDOWN_TIMEOUT_MS: '1500', ...extra }),
    });
    assert.equal(res.code, bare.code, `the app's own exit code: ${res.stderr.slice(-3000)}`);
    assert.equal(res.signal, null);
    assert.equal(appStdout(res.stdout), appStdout(bare.stdout), 'the app printed the same');
    assertNothingReachedApp(res);
    const sessionHex = String(jsonLines(res.stdout)[0].sessionId).replace(/-/g, '');
    await receiver.waitFor((spans) => spans.filter((s) => s.traceId === sessionHex).length >= SPANS, 10_000);
    return res;
  }

  function dropLog(res: ChildResult, reason: string): Record<string, unknown> | undefined {
    return res.logs.find((l) => l.msg === 'postgres exporter dropped spans' && l.reason === reason);
  }

  it('spool directory is a file: every span counted as dropped (spool_write_failed) and logged; no crash', async () => {
    const file = path.join(tempDir(), 'not-a-directory');
    fs.writeFileSync(file, 'x');
    const res = await run(file);
    const pg = shutdownSummary(res).exporters.postgres;
    assert.equal(pg.exported, 0);
    assert.equal(pg.spooled, 0);
    assert.deepEqual(pg.dropped, { spool_write_failed: SPANS }, 'every span, with its reason');
    assert.ok(dropLog(res, 'spool_write_failed'), `the drop is logged: ${res.stderr.slice(-2000)}`);
    assert.equal(fs.readFileSync(file, 'utf8'), 'x', 'the file is left alone');
  });

  it('spool directory not writable: every span counted as dropped (spool_write_failed) and logged; no crash', async function () {
    if (process.getuid?.() === 0) {
      console.log('      (skipped: running as root, which ignores directory permissions; the "directory is a file" test covers an unwritable spool)');
      return this.skip();
    }
    const parent = tempDir();
    fs.chmodSync(parent, 0o500);
    try {
      const res = await run(path.join(parent, 'spool'));
      const pg = shutdownSummary(res).exporters.postgres;
      assert.equal(pg.spooled, 0);
      assert.deepEqual(pg.dropped, { spool_write_failed: SPANS });
      assert.ok(dropLog(res, 'spool_write_failed'), res.stderr.slice(-2000));
    } finally {
      fs.chmodSync(parent, 0o700);
    }
  });

  it('spool full (AGENTOPS_PG_SPOOL_MAX_BYTES tiny): what does not fit is counted as dropped (spool_full) and logged; no crash', async () => {
    const spoolDir = tempDir();
    const res = await run(spoolDir, { AGENTOPS_PG_SPOOL_MAX_BYTES: '4000' });
    const pg = shutdownSummary(res).exporters.postgres;
    assert.ok((pg.dropped.spool_full ?? 0) > 0, `spans dropped as spool_full: ${JSON.stringify(pg)}`);
    assert.deepEqual(Object.keys(pg.dropped), ['spool_full'], 'no other reason');
    assert.equal(pg.dropped.spool_full + pg.spooled, SPANS, 'every span is either in the spool or counted as dropped');
    assert.equal(spoolRows(spoolDir).length, pg.spooled, 'the spool holds exactly what was counted as spooled');
    const log = dropLog(res, 'spool_full');
    assert.ok(log, res.stderr.slice(-2000));
    assert.match(String(log.why), /AGENTOPS_PG_SPOOL_MAX_BYTES=4000/, 'the log names the limit');
  });
});
