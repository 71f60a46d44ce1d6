/**
 * Shared set-up for the fault-injection tests (test/integration/faults-*.test.ts; not a test file
 * itself): an app under the preload in a child process, driven over stdin, and the counts that
 * say whether every span was stored exactly once.
 */
import * as assert from 'node:assert/strict';
import type { ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { REPO_ROOT, runNode, type ChildResult, type RunOptions } from '../helpers/child';
import type { ReceivedSpan } from '../helpers/otlp-receiver';
import { eventually, SPOOL_FILE, sql } from '../helpers/postgres';

export const fixture = (name: string): string => path.join(REPO_ROOT, 'test', 'fixtures', name);

/**
 * Both exporters, small delays so faults are noticed and recovered from quickly. Timing values
 * here only make the tests short; no test asserts a duration.
 */
export function faultEnv(opts: { jaegerUrl: string; dbUrl: string; spoolDir: string }, extra: Record<string, string> = {}): Record<string, string> {
  return {
    AGENTOPS_EXPORTERS: 'jaeger,postgres',
    OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: opts.jaegerUrl,
    OTEL_EXPORTER_OTLP_TRACES_TIMEOUT: '2000',
    AGENTOPS_PG_URL: opts.dbUrl,
    AGENTOPS_PG_SPOOL_DIR: opts.spoolDir,
    OTEL_BSP_SCHEDULE_DELAY: '50',
    AGENTOPS_PG_FLUSH_INTERVAL_MS: '50',
    AGENTOPS_PG_RETRY_BASE_MS: '20',
    AGENTOPS_PG_RETRY_MAX_DELAY_MS: '200',
    AGENTOPS_PG_RETRY_COUNT: '2',
    AGENTOPS_PG_CONNECT_TIMEOUT_MS: '1000',
    AGENTOPS_SHUTDOWN_TIMEOUT_MS: '3000',
    OTEL_SERVICE_NAME: 'faults',
    ...extra,
  };
}

export type Line = Record<string, unknown>;

export function jsonLines(stdout: string): Line[] {
  const out: Line[] = [];
  for (const l of stdout.split('\n')) {
    if (!l.startsWith('{')) continue;
    try {
      out.push(JSON.parse(l) as Line);
    } catch {
      // not a line of ours
    }
  }
  return out;
}

export interface LoopReport {
  report: string;
  recorded: number;
  recordedInWindow: number;
  loopDelayMs: { resolution: number; p50: number; p99: number; max: number; mean: number };
  rssMB: number;
  peakRssMB: number;
  heapUsedAfterGcMB?: number;
}

/** A running faults-app.js (or faults-exit.js) under the preload, controlled over stdin. */
export class App {
  readonly result: Promise<ChildResult>;
  child!: ChildProcess;
  private seen = '';
  private errSeen = '';
  private listeners: Array<() => void> = [];

  constructor(script: string, args: string[], options: Omit<RunOptions, 'args' | 'input' | 'onSpawn'>) {
    this.result = runNode(script, {
      timeoutMs: 60_000,
      ...options,
      args,
      input: 'keep-open',
      onSpawn: (c) => {
        this.child = c;
        c.stdout?.on('data', (d: Buffer | string) => {
          this.seen += d.toString();
          for (const l of [...this.listeners]) l();
        });
        c.stderr?.on('data', (d: Buffer | string) => {
          this.errSeen += d.toString();
          for (const l of [...this.listeners]) l();
        });
      },
    });
    // A test that fails early leaves the run to its timeout: that must not become an unhandled rejection.
    this.result.catch(() => undefined);
  }

  get lines(): Line[] {
    return jsonLines(this.seen);
  }

  /** Resolves with the first stdout line (already printed or to come) that `pred` accepts. */
  waitLine(pred: (l: Line) => boolean, timeoutMs = 20_000, what = 'a line'): Promise<Line> {
    return new Promise((resolve, reject) => {
      const check = (): boolean => {
        const hit = this.lines.find(pred);
        if (hit === undefined) return false;
        clearTimeout(timer);
        this.listeners = this.listeners.filter((l) => l !== listener);
        resolve(hit);
        return true;
      };
      const listener = (): void => void check();
      const timer = setTimeout(() => {
        this.listeners = this.listeners.filter((l) => l !== listener);
        reject(new Error(`no ${what} on the app's stdout within ${timeoutMs} ms; saw: ${this.seen.slice(-1000)}`));
      }, timeoutMs);
      if (!check()) this.listeners.push(listener);
    });
  }

  /** Resolves once `text` has appeared on stdout (already printed or to come). */
  waitText(text: string, timeoutMs = 20_000): Promise<void> {
    return new Promise((resolve, reject) => {
      const listener = (): void => {
        if (!this.seen.includes(text)) return;
        clearTimeout(timer);
        this.listeners = this.listeners.filter((l) => l !== listener);
        resolve();
      };
      const timer = setTimeout(() => {
        this.listeners = this.listeners.filter((l) => l !== listener);
        reject(new Error(`no "${text}" on the app's stdout within ${timeoutMs} ms; saw: ${this.seen.slice(-1000)}`));
      }, timeoutMs);
      this.listeners.push(listener);
      listener();
    });
  }

  /** The end of what the app has written to stderr, for failure messages. */
  stderrTail(chars = 1000): string {
    return this.errSeen.slice(-chars);
  }

  /** How much the app has written to stderr so far: a mark for waitStderr. */
  stderrMark(): number {
    return this.errSeen.length;
  }

  /** Resolves once what the app wrote to stderr after `mark` (our JSON log lines) matches `pattern`. */
  waitStderr(pattern: RegExp, mark = 0, timeoutMs = 20_000): Promise<void> {
    return new Promise((resolve, reject) => {
      const listener = (): void => {
        if (!pattern.test(this.errSeen.slice(mark))) return;
        clearTimeout(timer);
        this.listeners = this.listeners.filter((l) => l !== listener);
        resolve();
      };
      const timer = setTimeout(() => {
        this.listeners = this.listeners.filter((l) => l !== listener);
        reject(new Error(`no ${pattern} on the app's stderr within ${timeoutMs} ms; saw: ${this.errSeen.slice(mark).slice(-1000)}`));
      }, timeoutMs);
      this.listeners.push(listener);
      listener();
    });
  }

  send(line: string): void {
    this.child.stdin?.write(`${line}\n`);
  }

  async sessionId(): Promise<string> {
    return String((await this.waitLine((l) => typeof l.sessionId === 'string', 20_000, 'sessionId')).sessionId);
  }

  async mark(name: string): Promise<void> {
    this.send(`mark ${name}`);
    await this.waitLine((l) => l.mark === name, 20_000, `mark ${name}`);
  }

  async report(name: string): Promise<LoopReport> {
    this.send(`report ${name}`);
    return (await this.waitLine((l) => l.report === name, 20_000, `report ${name}`)) as unknown as LoopReport;
  }

  /** Ends the steady app; resolves with its result and how many events it recorded. */
  async finish(): Promise<{ res: ChildResult; recorded: number }> {
    this.send('finish');
    this.child.stdin?.end();
    const res = await this.result;
    const done = jsonLines(res.stdout).find((l) => l.done !== undefined)?.done as { recorded: number } | undefined;
    assert.ok(done, `the app finished: ${res.stdout.slice(-500)}\n${res.stderr.slice(-2000)}`);
    return { res, recorded: done.recorded };
  }
}

export async function sessionCounts(dbUrl: string, sessionId: string): Promise<{ n: number; d: number }> {
  const [r] = await sql<{ n: number; d: number }>(dbUrl, 'SELECT count(*)::int AS n, count(DISTINCT span_id)::int AS d FROM agentops_spans WHERE trace_id = $1', [sessionId]);
  return r;
}

/** Rows of the session so far, 0 while the table does not exist yet. */
export async function sessionRows(dbUrl: string, sessionId: string): Promise<number> {
  try {
    return (await sessionCounts(dbUrl, sessionId)).n;
  } catch {
    return 0;
  }
}

/** count(*) = count(DISTINCT span_id) = expected for the session's trace, waiting for it up to `timeoutMs`. */
export async function assertExactlyOnce(dbUrl: string, sessionId: string, expected: number, timeoutMs = 30_000): Promise<void> {
  await eventually(async () => (await sessionRows(dbUrl, sessionId)) >= expected, timeoutMs, 200);
  const c = await sessionCounts(dbUrl, sessionId);
  assert.deepEqual(c, { n: expected, d: expected }, `session ${sessionId}: expected ${expected} rows, each once; found ${c.n} rows, ${c.d} distinct span ids`);
  // Every recorded event is there (not just the right number of rows).
  const [steps] = await sql<{ n: number }>(
    dbUrl,
    "SELECT count(DISTINCT attributes->>'agentops.event.params')::int AS n FROM agentops_spans WHERE trace_id = $1 AND operation_name = 'execute_tool step'",
    [sessionId],
  );
  assert.equal(steps.n, expected - 2, 'every event (distinct params) is stored');
}

export interface Summary {
  exporters: Record<string, { accepted: number; exported: number; failedAttempts: number; retried: number; spooled: number; replayed: number; deadLettered: number; dropped: Record<string, number> }>;
}

export function shutdownSummary(res: ChildResult): Summary {
  const s = res.logs.find((l) => l.msg === 'shutdown summary') as unknown as Summary | undefined;
  assert.ok(s, `a shutdown summary is logged: ${res.stderr.slice(-2000)}`);
  return s;
}

/** Nothing from the instrumentation reached the app's unhandledRejection/uncaughtException listeners. */
export function assertNothingReachedApp(res: ChildResult): void {
  const saw = jsonLines(res.stdout).filter((l) => l.appSaw !== undefined);
  assert.deepEqual(saw, [], 'an unhandled rejection or uncaught exception reached the app');
  assert.ok(
    !/Unhandled|uncaught/i.test(
      res.stderr
        .split('\n')
        .filter((l) => !l.startsWith('{'))
        .join('\n'),
    ),
    `no crash report on stderr: ${res.stderr.slice(-2000)}`,
  );
}

/** The event-loop figures of a fault window, printed for the benchmark notes (not asserted as timings). */
export function logLoop(fault: string, r: LoopReport): void {
  console.log(
    `      [${fault}] event-loop delay (${r.loopDelayMs.resolution} ms timer) p50=${r.loopDelayMs.p50} ms p99=${r.loopDelayMs.p99} ms max=${r.loopDelayMs.max} ms; ${r.recordedInWindow} events recorded; peak RSS ${r.peakRssMB} MB${r.heapUsedAfterGcMB !== undefined ? `; heap after GC ${r.heapUsedAfterGcMB} MB` : ''}`,
  );
}

/**
 * No single stall of 1 s: the app's loop is only ever blocked by synchronous work, and nothing the
 * exporters do while a backend is failing may be synchronous and slow (a blocking connect, a sync
 * write, a sync child process). Normal stalls under load (GC, a busy CI machine) are tens of ms.
 */
export const MAX_LOOP_STALL_MS = 1000;

export function assertLoopNotBlocked(r: LoopReport): void {
  assert.ok(r.loopDelayMs.max < MAX_LOOP_STALL_MS, `the event loop was blocked for ${r.loopDelayMs.max} ms during the fault`);
}

/** Row lines of the spool files in `dir` (pending or claimed), read consistently. */
export function spoolRows(dir: string): string[] {
  for (let attempt = 0; attempt < 50; attempt++) {
    try {
      const lines: string[] = [];
      for (const name of fs.readdirSync(dir).sort()) {
        if (!SPOOL_FILE.test(name)) continue;
        const text = fs.readFileSync(path.join(dir, name), 'utf8');
        const body = text.slice(text.indexOf('\n') + 1);
        for (const l of body.split('\n')) if (l !== '') lines.push(l);
      }
      return lines;
    } catch (err) {
      // A replay attempt renamed a file (claim/unclaim) between readdir and read: list again.
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
    }
  }
  throw new Error(`could not read the spool in ${dir} consistently`);
}

/** Best effort: a role created by a test must not outlive it on a shared (external) server. */
export async function dropRole(dbUrl: string, role: string): Promise<void> {
  try {
    await sql(dbUrl, `REASSIGN OWNED BY ${role} TO CURRENT_USER`);
    await sql(dbUrl, `DROP OWNED BY ${role}`);
    await sql(dbUrl, `DROP ROLE ${role}`);
  } catch {
    // the embedded server is thrown away anyway
  }
}

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** stdout without what differs run to run: the session id and the timing report. */
export function appStdout(stdout: string): string {
  return stdout
    .split('\n')
    .filter((l) => !l.startsWith('{"report"'))
    .join('\n')
    .replace(/"sessionId":"[^"]+"/, '"sessionId":"-"');
}

/** Every span at the receiver exactly once: `expected` distinct ones, and no more arrivals than that. */
export function assertOnceEach(spans: readonly ReceivedSpan[], expected: number, what: string): void {
  const ids = new Set(spans.map((s) => s.spanId));
  assert.equal(ids.size, expected, `${what}: ${expected} distinct spans expected, got ${ids.size}`);
  assert.equal(spans.length, expected, `${what}: ${spans.length - ids.size} spans arrived more than once`);
}
