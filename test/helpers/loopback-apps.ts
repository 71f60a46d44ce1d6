/**
 * What the LLM and framework integration tests share: a loopback provider server and an OTLP
 * receiver, started before the file's tests and closed after them, and a fixture app run under the
 * preload with its spans exported to that receiver and read back.
 *
 * Call `loopbackApps` at the top level of a test file: its hooks are mocha root hooks, as the
 * files' own were.
 */
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import { runNode, type ChildResult, type RunOptions } from './child';
import { startOtlpReceiver, type OtlpReceiver, type ReceivedSpan } from './otlp-receiver';

export interface LoopbackRun {
  res: ChildResult;
  spans: ReceivedSpan[];
}

export interface LoopbackApps<S> {
  /** The provider server (started in `before`). */
  readonly server: S;
  readonly receiver: OtlpReceiver;
  /** Runs `script` (exit code 0 required) exporting to the receiver; `env` adds to or overrides the defaults. */
  run(script: string, preload: 'require' | 'import' | 'none', env?: Record<string, string>, options?: Pick<RunOptions, 'cwd' | 'execArgv' | 'timeoutMs'>): Promise<LoopbackRun>;
  /** Directories the tests made, removed after the file's tests. */
  readonly dirs: string[];
}

/** `providerEnv` tells the app where the provider is (e.g. `LLM_BASE`). */
export function loopbackApps<S extends { close(): Promise<void> }>(start: () => Promise<S>, providerEnv: (server: S) => Record<string, string>): LoopbackApps<S> {
  let server: S | undefined;
  let receiver: OtlpReceiver | undefined;
  const dirs: string[] = [];
  before(async () => {
    server = await start();
    receiver = await startOtlpReceiver();
  });
  after(async () => {
    await server?.close();
    await receiver?.close();
    for (const d of dirs.splice(0)) fs.rmSync(d, { recursive: true, force: true });
  });
  const started = <T>(value: T | undefined): T => {
    assert.ok(value !== undefined, 'loopback servers not started: call loopbackApps at the top level of the test file');
    return value;
  };
  return {
    get server() {
      return started(server);
    },
    get receiver() {
      return started(receiver);
    },
    async run(script, preload, env = {}, options = {}) {
      const r = started(receiver);
      r.reset();
      const res = await runNode(script, {
        preload,
        ...options,
        env: { ...providerEnv(started(server)), AGENTOPS_EXPORTERS: 'jaeger', OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: r.url, OTEL_BSP_SCHEDULE_DELAY: '100', ...env },
      });
      assert.equal(res.code, 0, `app failed: ${res.stderr}`);
      // The preload flushes before the child exits: what was exported has arrived.
      return { res, spans: [...r.spans] };
    },
    dirs,
  };
}
