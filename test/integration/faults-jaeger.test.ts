/**
 * Jaeger (OTLP/HTTP) faults: the endpoint refuses connections, accepts them and never answers,
 * answers 503 with Retry-After, or answers garbage. PostgreSQL still stores every span exactly
 * once, nothing reaches the app's unhandledRejection/uncaughtException listeners, and the app's
 * stdout and exit code are those of a run without the preload. The process ends within the child
 * helper's timeout (a hang there fails the test).
 */
import * as assert from 'node:assert/strict';
import { runNode, type ChildResult } from '../helpers/child';
import { startOtlpReceiver, type OtlpReceiver, type OtlpReceiverOptions } from '../helpers/otlp-receiver';
import { createTestDatabase, tempDir } from '../helpers/postgres';
import { appStdout, assertExactlyOnce, assertLoopNotBlocked, assertNothingReachedApp, faultEnv, fixture, jsonLines, logLoop, shutdownSummary, type LoopReport } from './faults-support';

const EVENTS = 300;
const EXIT_CODE = '7';

describe('faults: Jaeger fails while PostgreSQL works', function () {
  this.timeout(60_000);
  let bare: ChildResult;

  before(async () => {
    bare = await runNode(fixture('faults-app.js'), { preload: 'none', args: ['fixed', String(EVENTS)], env: { FAULTS_EXIT_CODE: EXIT_CODE } });
    assert.equal(bare.code, Number(EXIT_CODE), bare.stderr);
  });

  const modes: Array<{ name: string; receiver: OtlpReceiverOptions | 'closed'; check: (r: OtlpReceiver | undefined, res: ChildResult) => void }> = [
    {
      name: 'refusing connections (closed port)',
      receiver: 'closed',
      check: (_r, res) => {
        const j = shutdownSummary(res).exporters.jaeger;
        assert.ok(j.failedAttempts > 0, `Jaeger failures are counted: ${JSON.stringify(j)}`);
        assert.deepEqual(j.dropped, {}, 'nothing is dropped');
        assert.equal(j.spooled, EVENTS + 2, 'every span waits in the spool for the receiver');
      },
    },
    {
      name: 'accepting connections and never answering',
      receiver: { respond: 'hang' },
      check: (r, res) => {
        assert.ok(r!.requests.length >= 1 && r!.requests.every((q) => q.response === 'hang'), 'the exporter did send, and got no answer');
        assert.ok(shutdownSummary(res).exporters.jaeger.failedAttempts > 0, 'the timeouts are counted');
      },
    },
    {
      name: 'answering 503 with Retry-After',
      receiver: { respond: { status: 503, headers: { 'Retry-After': '1' } } },
      check: (r, res) => {
        assert.ok(r!.requests.length >= 1 && r!.requests.every((q) => q.response === 503), 'the exporter did send and got 503');
        assert.equal(shutdownSummary(res).exporters.jaeger.exported, 0);
      },
    },
    {
      name: 'answering garbage',
      receiver: { respond: 'garbage' },
      check: (r) => {
        assert.ok(r!.requests.length >= 1 && r!.requests.every((q) => q.response === 200), 'the exporter did send and got a 200 with a body that is not OTLP');
      },
    },
  ];

  for (const mode of modes) {
    it(`Jaeger ${mode.name}: PostgreSQL gets every span once, the app's output and exit code are unchanged`, async () => {
      let receiver: OtlpReceiver | undefined;
      let url: string;
      if (mode.receiver === 'closed') {
        const r = await startOtlpReceiver();
        url = r.url;
        await r.close();
      } else {
        receiver = await startOtlpReceiver(mode.receiver);
        url = receiver.url;
      }
      try {
        const dbUrl = await createTestDatabase('faults_jaeger');
        const res = await runNode(fixture('faults-app.js'), {
          args: ['fixed', String(EVENTS)],
          timeoutMs: 30_000,
          // PostgreSQL holds its rows until the exit flush (60 s interval, batch > spans), while
          // Jaeger exports (and fails) every 50 ms: the exit flush of one exporter must not depend
          // on the other's failing.
          env: faultEnv(
            { jaegerUrl: url, dbUrl, spoolDir: tempDir() },
            { FAULTS_EXIT_CODE: EXIT_CODE, OTEL_EXPORTER_OTLP_TRACES_TIMEOUT: '1000', AGENTOPS_SHUTDOWN_TIMEOUT_MS: '2000', AGENTOPS_PG_FLUSH_INTERVAL_MS: '60000' },
          ),
        });
        assert.equal(res.code, bare.code, res.stderr.slice(-3000));
        assert.equal(res.signal, bare.signal);
        assert.equal(appStdout(res.stdout), appStdout(bare.stdout), 'the app printed the same');
        assertNothingReachedApp(res);
        const sessionId = String(jsonLines(res.stdout)[0].sessionId);
        // Stored by the app itself before it exited: no replay by another process here.
        await assertExactlyOnce(dbUrl, sessionId, EVENTS + 2, 5000);
        const pg = shutdownSummary(res).exporters.postgres;
        assert.equal(pg.exported, EVENTS + 2, 'PostgreSQL counted every span exported');
        assert.deepEqual(pg.dropped, {});
        mode.check(receiver, res);
        const loop = jsonLines(res.stdout).find((l) => l.report === 'run') as unknown as LoopReport;
        logLoop(`jaeger ${mode.name}`, loop);
        assertLoopNotBlocked(loop);
      } finally {
        await receiver?.close();
      }
    });
  }
});
