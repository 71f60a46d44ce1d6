/**
 * THE LONG ONE (~80 s): PostgreSQL stopped for 60 s while the app records continuously
 * (250 events/s, ~3 KB of params each: ~15,000 spans, ~48 MB of rows during the outage), with both
 * exporters on. The app's memory stays bounded (the exporter keeps at most
 * AGENTOPS_PG_BUFFER_MAX_BYTES in its buffer and as much again waiting for the spool writer; the
 * rest goes to disk), and after the restart the running app stores every span exactly once.
 *
 * Memory bounds, measured against the same app just before the outage:
 * - heap retained after a full GC (the app runs with --expose-gc): at most 2 x buffer + 16 MiB
 *   more. Without the bound the outage's rows alone (~48 MB) would exceed it.
 * - peak RSS during the outage: at most 2 x buffer + 128 MiB more. RSS counts garbage not yet
 *   collected and allocator slack, and V8 sizes its heap differently per release (Node 24 grew
 *   80 MB here where Node 20 and 22 grew about 25 MB, with a flat retained heap): the retained-heap bound
 *   above is the strict one.
 */
import * as assert from 'node:assert/strict';
import { startOtlpReceiver, type OtlpReceiver } from '../helpers/otlp-receiver';
import { createTestDatabase, eventually, requireServerControl, startServer, stopServer, tempDir } from '../helpers/postgres';
import { App, assertExactlyOnce, assertLoopNotBlocked, assertNothingReachedApp, faultEnv, fixture, logLoop, sessionRows, shutdownSummary, sleep } from './faults-support';

const RATE = 250;
const PAD = 3000;
const OUTAGE_MS = 60_000;
const BUFFER_MAX_BYTES = 2 * 1024 * 1024;
const MiB = 1024 * 1024;

describe('faults: PostgreSQL stopped for 60 s under continuous recording (long test)', function () {
  this.timeout(180_000);
  let receiver: OtlpReceiver;
  let app: App | undefined;

  before(async () => {
    receiver = await startOtlpReceiver();
  });
  after(async () => {
    app?.child?.kill('SIGKILL');
    await startServer().catch(() => undefined);
    await receiver.close();
  });

  it('keeps memory bounded during the outage, then stores every span exactly once', async function () {
    requireServerControl(this);
    const dbUrl = await createTestDatabase('faults_long');
    app = new App(fixture('faults-app.js'), ['steady', String(RATE)], {
      timeoutMs: 170_000,
      execArgv: ['--expose-gc'],
      env: faultEnv(
        { jaegerUrl: receiver.url, dbUrl, spoolDir: tempDir() },
        {
          FAULTS_PAD: String(PAD),
          AGENTOPS_PG_BUFFER_MAX_BYTES: String(BUFFER_MAX_BYTES),
          // Spool chunks (one batch each) well below the buffer bound.
          AGENTOPS_PG_BATCH_SIZE: '200',
          // Batches keep being retried rather than spooled after a few attempts (as with the
          // default 10 s backoff, where a 60 s outage exhausts few batches): what moves rows to
          // disk here is the memory bound, the thing under test.
          AGENTOPS_PG_RETRY_COUNT: '1000',
          AGENTOPS_SHUTDOWN_TIMEOUT_MS: '10000',
          AGENTOPS_PG_FLUSH_TIMEOUT_MS: '10000',
        },
      ),
    });
    const sessionId = await app.sessionId();
    assert.ok(await eventually(async () => (await sessionRows(dbUrl, sessionId)) > 0, 30_000), 'rows flow before the outage');
    await app.mark('baseline');
    await sleep(3000); // on purpose: a measurement window with PostgreSQL up, to compare the outage with
    const baseline = await app.report('baseline');

    await app.mark('outage');
    await stopServer();
    await sleep(OUTAGE_MS); // on purpose: the outage's length is what this test is about
    const outage = await app.report('outage'); // still down: the peak of the outage
    await startServer();

    await app.mark('recovery');
    // The running app catches up by itself: its buffer and its spool.
    assert.ok(await eventually(async () => (await sessionRows(dbUrl, sessionId)) >= outage.recorded, 90_000, 500), 'the app stored the outage backlog while running');
    const recovery = await app.report('recovery');
    const { res, recorded } = await app.finish();
    assert.equal(res.code, 0, res.stderr.slice(-3000));
    assertNothingReachedApp(res);

    logLoop('pg down 60 s: baseline (pg up)', baseline);
    logLoop('pg down 60 s: outage', outage);
    logLoop('pg down 60 s: recovery (replay)', recovery);
    assert.ok(baseline.heapUsedAfterGcMB !== undefined && outage.heapUsedAfterGcMB !== undefined, 'the app ran with --expose-gc');
    const pg = shutdownSummary(res).exporters.postgres;
    const heapBoundMB = (2 * BUFFER_MAX_BYTES + 16 * MiB) / MiB;
    const rssBoundMB = (2 * BUFFER_MAX_BYTES + 128 * MiB) / MiB;

    console.log(
      `      [pg down 60 s] heap after GC ${baseline.heapUsedAfterGcMB} -> ${outage.heapUsedAfterGcMB} MB (bound +${heapBoundMB}); peak RSS ${baseline.peakRssMB} -> ${outage.peakRssMB} MB (bound +${rssBoundMB}); ${outage.recordedInWindow} events during the outage, ${pg.spooled} spans spooled`,
    );
    assert.ok(outage.heapUsedAfterGcMB - baseline.heapUsedAfterGcMB < heapBoundMB, `retained heap grew by ${(outage.heapUsedAfterGcMB - baseline.heapUsedAfterGcMB).toFixed(1)} MB during the outage`);
    assert.ok(outage.peakRssMB - baseline.peakRssMB < rssBoundMB, `RSS grew by ${(outage.peakRssMB - baseline.peakRssMB).toFixed(1)} MB during the outage`);

    await assertExactlyOnce(dbUrl, sessionId, recorded + 2, 60_000);

    assert.ok(outage.recordedInWindow * PAD > 10 * BUFFER_MAX_BYTES, `the outage produced far more than the buffer holds (${outage.recordedInWindow} events)`);
    assert.ok(pg.spooled > 0, 'the buffer overflowed to the spool');
    assert.deepEqual(pg.dropped, {}, 'nothing dropped');

    assertLoopNotBlocked(outage);
    assertLoopNotBlocked(recovery);
  });
});
