/**
 * Runs a script in a child Node process, optionally under the preload, and collects what it
 * printed and how it ended. Integration tests check telemetry from the outside, the way users run it.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

export const REPO_ROOT = path.resolve(__dirname, '..', '..', '..');
export const PRELOAD_CJS = path.join(REPO_ROOT, 'dist', 'register.js');
export const PRELOAD_ESM = path.join(REPO_ROOT, 'register.mjs');

export interface ChildResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  /** stderr lines that are our JSON log records, parsed. */
  logs: Array<Record<string, unknown>>;
}

export interface RunOptions {
  /** 'require' (default), 'import', or 'none' to run without the preload. */
  preload?: 'require' | 'import' | 'none';
  env?: Record<string, string | undefined>;
  args?: string[];
  execArgv?: string[];
  cwd?: string;
  timeoutMs?: number;
  /** Called once the child has started, e.g. to send it a signal later. */
  onSpawn?: (child: ChildProcess) => void;
  /** Written to stdin, which is then closed; `'keep-open'` leaves stdin open for onSpawn to write to. */
  input?: string | 'keep-open';
}

const otlpSpoolDirs: string[] = [];

/** Removes the OTLP spool directories the children of this run were given. */
export function removeChildSpoolDirs(): void {
  for (const d of otlpSpoolDirs.splice(0)) fs.rmSync(d, { recursive: true, force: true });
}

/** The environment a test child starts from: ours minus any telemetry settings of the machine. */
export function cleanEnv(extra: Record<string, string | undefined> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) {
    if (k.startsWith('OTEL_') || k.startsWith('AGENTOPS_') || k === 'NODE_OPTIONS') continue;
    env[k] = v;
  }
  // Each child spools OTLP spans in a directory of its own: a replay helper left by one test
  // must never replay into another test's receiver.
  env.AGENTOPS_OTLP_SPOOL_DIR = fs.mkdtempSync(path.join(os.tmpdir(), 'agentops-otel-test-otlp-'));
  otlpSpoolDirs.push(env.AGENTOPS_OTLP_SPOOL_DIR);
  for (const [k, v] of Object.entries(extra)) {
    if (v === undefined) delete env[k];
    else env[k] = v;
  }
  return env;
}

export function runNode(script: string, options: RunOptions = {}): Promise<ChildResult> {
  const preload = options.preload ?? 'require';
  const execArgv = [...(options.execArgv ?? [])];
  if (preload === 'require') execArgv.push('--require', PRELOAD_CJS);
  if (preload === 'import') execArgv.push('--import', PRELOAD_ESM);
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [...execArgv, script, ...(options.args ?? [])], {
      cwd: options.cwd ?? REPO_ROOT,
      env: cleanEnv(options.env),
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    if (options.input !== 'keep-open') child.stdin.end(options.input ?? '');
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`child ${script} did not finish in ${options.timeoutMs ?? 30000} ms\nstdout: ${stdout}\nstderr: ${stderr}`));
    }, options.timeoutMs ?? 30000);
    child.on('error', reject);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stdout, stderr, logs: parseLogs(stderr) });
    });
    options.onSpawn?.(child);
  });
}

export function parseLogs(stderr: string): Array<Record<string, unknown>> {
  const out: Array<Record<string, unknown>> = [];
  for (const line of stderr.split('\n')) {
    if (!line.startsWith('{')) continue;
    try {
      const rec = JSON.parse(line) as Record<string, unknown>;
      if (rec.name === 'agentops-otel') out.push(rec);
    } catch {
      // Not one of ours.
    }
  }
  return out;
}

/** stderr without our JSON log lines and stack frames, to compare with a run without the preload. */
export function appStderr(stderr: string): string {
  return stderr
    .split('\n')
    .filter((l) => !l.startsWith('{"time"'))
    .join('\n')
    .replace(/\s+at .*\n?/g, '')
    .replace(/--require \S+/g, '');
}

/** Resolves when `text` has appeared on the child's stdout (or stderr) from now on. */
export function waitForOutput(child: ChildProcess, text: string, timeoutMs = 15000, stream: 'stdout' | 'stderr' = 'stdout'): Promise<void> {
  return new Promise((resolve, reject) => {
    let seen = '';
    const timer = setTimeout(() => reject(new Error(`no "${text}" on ${stream} within ${timeoutMs} ms (saw: ${seen.slice(-500)})`)), timeoutMs);
    child[stream]?.on('data', (d: Buffer | string) => {
      seen += d.toString();
      if (seen.includes(text)) {
        clearTimeout(timer);
        resolve();
      }
    });
  });
}
