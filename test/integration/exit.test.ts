/**
 * Spans recorded before the process ends arrive however it ends, and the process ends exactly
 * as it would without the preload (same exit code or signal, same output).
 */
import * as assert from 'node:assert/strict';
import * as path from 'node:path';
import { appStderr, runNode, waitForOutput, REPO_ROOT, type ChildResult } from '../helpers/child';
import { attr, startOtlpReceiver, type OtlpReceiver } from '../helpers/otlp-receiver';

const APP = path.join(REPO_ROOT, 'test', 'fixtures', 'exit-modes.js');

async function run(mode: string, preload: 'require' | 'none', env: Record<string, string>, signal?: NodeJS.Signals): Promise<ChildResult> {
  return runNode(APP, {
    preload,
    args: [mode],
    env,
    onSpawn: signal === undefined ? undefined : (child) => void waitForOutput(child, 'ready').then(() => child.kill(signal)),
  });
}

describe('exit: flushing without changing how the process ends', function () {
  let receiver: OtlpReceiver;
  beforeEach(async () => {
    receiver = await startOtlpReceiver();
  });
  afterEach(async () => {
    await receiver.close();
  });

  const cases: Array<{ mode: string; signal?: NodeJS.Signals; code: number | null; endState: string; reason?: string }> = [
    { mode: 'normal', code: 0, endState: 'Success' },
    { mode: 'open', code: 0, endState: 'Indeterminate', reason: 'process exit' },
    { mode: 'exitcode', code: 4, endState: 'Indeterminate' },
    { mode: 'sigterm', signal: 'SIGTERM', code: null, endState: 'Indeterminate', reason: 'received SIGTERM' },
    { mode: 'sigint', signal: 'SIGINT', code: null, endState: 'Indeterminate', reason: 'received SIGINT' },
    { mode: 'throw', code: 1, endState: 'Indeterminate' },
    { mode: 'reject', code: 1, endState: 'Indeterminate' },
    { mode: 'exit', code: 3, endState: 'Indeterminate' },
    { mode: 'own-sigterm', signal: 'SIGTERM', code: 0, endState: 'Fail', reason: 'terminated' },
  ];

  for (const c of cases) {
    it(`delivers every span and keeps the outcome when the app ends by "${c.mode}"`, async () => {
      const env = { AGENTOPS_EXPORTERS: 'jaeger', OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: receiver.url, OTEL_BSP_SCHEDULE_DELAY: '60000' };
      const bare = await run(c.mode, 'none', {}, c.signal);
      const traced = await run(c.mode, 'require', env, c.signal);

      assert.equal(bare.code, c.code, `without the preload: ${bare.stderr}`);
      assert.equal(traced.code, bare.code, traced.stderr);
      assert.equal(traced.signal, bare.signal);
      assert.equal(traced.stdout.replace(/"sessionId":"[^"]+"/, ''), bare.stdout.replace(/"sessionId":"[^"]+"/, ''));
      assert.equal(appStderr(traced.stderr), appStderr(bare.stderr));

      const { sessionId } = JSON.parse(traced.stdout.split('\n')[0]);
      // A 60 s schedule delay means nothing is exported before exit: all of it is the exit flush.
      const spans = await receiver.waitForSpans(7, 10000);
      assert.equal(spans.length, 7);
      for (const s of spans) assert.equal(s.traceId, sessionId.replace(/-/g, ''));
      const session = spans.find((s) => s.name === 'session');
      assert.ok(session);
      assert.equal(attr(session, 'agentops.session.end_state'), c.endState);
      if (c.reason !== undefined) assert.equal(attr(session, 'agentops.session.end_state_reason'), c.reason);
      assert.equal(spans.filter((s) => s.name.startsWith('execute_tool step-')).length, 5);
    });
  }

  it('does not change output or exit code when Jaeger is unreachable, and says so on stderr', async () => {
    const closed = await startOtlpReceiver();
    const url = closed.url;
    await closed.close();
    const env = { AGENTOPS_EXPORTERS: 'jaeger', OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: url, OTEL_BSP_SCHEDULE_DELAY: '50', AGENTOPS_SHUTDOWN_TIMEOUT_MS: '2000' };
    for (const mode of ['normal', 'throw', 'exit']) {
      const bare = await run(mode, 'none', {});
      const traced = await run(mode, 'require', env);
      assert.equal(traced.code, bare.code, traced.stderr);
      assert.equal(traced.stdout.replace(/"sessionId":"[^"]+"/, ''), bare.stdout.replace(/"sessionId":"[^"]+"/, ''));
      assert.equal(appStderr(traced.stderr), appStderr(bare.stderr));
      const failures = traced.logs.filter((l) => l.level === 'warn' && String(l.msg).includes('jaeger'));
      assert.ok(failures.length >= 1, `a failed export is logged: ${traced.stderr}`);
      const summary = traced.logs.find((l) => l.msg === 'shutdown summary') as { exporters: { jaeger: { dropped: Record<string, number>; spooled: number } } } | undefined;
      assert.ok(summary, 'a shutdown summary is logged');
      assert.deepEqual(summary.exporters.jaeger.dropped, {}, 'nothing is dropped');
      assert.equal(summary.exporters.jaeger.spooled, 7, `every undeliverable span is spooled for later: ${JSON.stringify(summary.exporters.jaeger)}`);
    }
  });

  it('ends within the shutdown bound when Jaeger accepts the connection and never answers', async () => {
    await receiver.close();
    receiver = await startOtlpReceiver({ respond: 'hang' });
    const env = {
      AGENTOPS_EXPORTERS: 'jaeger',
      OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: receiver.url,
      OTEL_EXPORTER_OTLP_TRACES_TIMEOUT: '1000',
      AGENTOPS_SHUTDOWN_TIMEOUT_MS: '1000',
    };
    const traced = await runNode(APP, { args: ['normal'], env, timeoutMs: 15000 });
    assert.equal(traced.code, 0, traced.stderr);
    assert.ok(receiver.requests.length >= 1, 'the exporter did try');
  });
});
