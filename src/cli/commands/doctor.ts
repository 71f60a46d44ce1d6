import { flag, type CommandSpec } from '../args';
import type { Command } from '../command';
import { loadConfig, type LoadedConfig } from '../context';
import { describeDbError, EXIT_FAILURE, EXIT_OK } from '../errors';
import { formatDuration, renderTable } from '../format';
import { probeOtlp, probeTcp } from '../probe';
import { CORE_VARIABLES } from '../../config/variables';
import { MASK } from '../../shared/redact';
import { tableNames } from '../../exporters/postgres/identifier';

const spec: CommandSpec = {
  name: 'doctor',
  summary:
    'Show the effective configuration — every variable, its value and where it came from (env, file, default), secrets masked — then check each exporter live: OTLP endpoint reachable; PostgreSQL reachable, authenticated, schema present at the right version, spool empty.',
  description: 'Configuration is read exactly as the preload reads it. Exits 1 when any check FAILs (warnings do not fail).',
  options: {
    json: { type: 'boolean', description: 'Print {variables, effective, checks, ok} as JSON.' },
  },
  examples: ['agentops-otel doctor', 'AGENTOPS_CONFIG=./agentops.json agentops-otel doctor --json'],
};

export type Verdict = 'ok' | 'warn' | 'FAIL' | 'skip';

export interface Check {
  check: string;
  verdict: Verdict;
  detail: string;
  /** What to do, when it is not ok. */
  fix?: string;
}

export interface VariableLine {
  variable: string;
  value: string;
  origin: string;
  meaning: string;
}

const SECRET_VARIABLES = new Set(['AGENTOPS_PG_PASSWORD']);

/** A value as doctor shows it: secrets masked (header values, passwords, the password in a URL). */
export function displayValue(variable: string, value: string, secret: boolean): string {
  if (SECRET_VARIABLES.has(variable)) return MASK;
  if (secret) {
    // k=v,k2=v2: keep the keys (useful), mask every value.
    return value
      .split(',')
      .map((part) => {
        const eq = part.indexOf('=');
        return eq > 0 ? `${part.slice(0, eq).trim()}=${MASK}` : MASK;
      })
      .join(',');
  }
  return value.replace(/([a-z][a-z0-9+.-]*:\/\/[^:/?#@\s]*:)([^@/?#\s]*)@/gi, `$1${MASK}@`).replace(/(password=)([^\s&]+)/gi, `$1${MASK}`);
}

export function variableLines(cfg: LoadedConfig, env: NodeJS.ProcessEnv): { lines: VariableLine[]; unknown: string[] } {
  const pgMod = require('../../exporters/postgres') as typeof import('../../exporters/postgres');
  const docs = [...CORE_VARIABLES.map((d) => ({ ...d, secret: d.secret === true })), ...pgMod.describePostgresConfig().map((d) => ({ ...d, secret: SECRET_VARIABLES.has(d.variable) }))];
  const seen = new Set<string>();
  const lines: VariableLine[] = [];
  const file = env.AGENTOPS_CONFIG;
  const originText = (o: string): string => (o === 'file' ? `file ${file ?? ''}`.trim() : o);
  for (const d of docs) {
    if (seen.has(d.variable)) continue;
    seen.add(d.variable);
    const v = cfg.source.lookup(d.variable);
    lines.push({
      variable: d.variable,
      value: v.value === undefined ? `(default: ${d.default})` : displayValue(d.variable, v.value, d.secret),
      origin: originText(v.origin),
      meaning: d.meaning,
    });
  }
  // Fallback variables the readers consulted (e.g. OTEL_EXPORTER_OTLP_PROTOCOL) that are set.
  for (const [name, v] of cfg.source.read) {
    if (seen.has(name) || v.value === undefined) continue;
    seen.add(name);
    lines.push({ variable: name, value: displayValue(name, v.value, /HEADERS|PASSWORD/.test(name)), origin: originText(v.origin), meaning: '(read as a fallback)' });
  }
  const unknown = Object.keys(env)
    .filter((k) => k.startsWith('AGENTOPS_') && !seen.has(k) && !cfg.source.read.has(k) && !/^AGENTOPS_TEST_/.test(k))
    .sort();
  return { lines, unknown };
}

async function postgresChecks(cfg: LoadedConfig, checks: Check[]): Promise<void> {
  const pg = cfg.pg!;
  const mod = require('../../exporters/postgres') as typeof import('../../exporters/postgres');
  const target = mod.describeTarget(pg.connection);
  const timeout = Math.min(pg.connectTimeoutMs, 5000);
  const tcp = await probeTcp(pg.connection.host, pg.connection.port, timeout);
  if (!tcp.ok) {
    checks.push({
      check: 'PostgreSQL reachable',
      verdict: 'FAIL',
      detail: `${target}: ${tcp.error}`,
      fix: 'start PostgreSQL (docker compose up -d postgres) or point AGENTOPS_PG_URL / AGENTOPS_PG_HOST / AGENTOPS_PG_PORT at it',
    });
    return;
  }
  checks.push({ check: 'PostgreSQL reachable', verdict: 'ok', detail: `${target} (TCP connect ${tcp.ms} ms)` });
  const pool = mod.createPool(pg, 1);
  try {
    let client;
    try {
      client = await pool.connect();
    } catch (err) {
      const e = describeDbError(err, target, pg.table);
      checks.push({ check: 'PostgreSQL authenticated', verdict: 'FAIL', detail: e.message, fix: e.hint });
      return;
    }
    try {
      const who = await client.query<{ u: string; v: string }>("SELECT current_user AS u, current_setting('server_version') AS v");
      checks.push({ check: 'PostgreSQL authenticated', verdict: 'ok', detail: `as ${who.rows[0].u}, server ${who.rows[0].v}` });
      const version = await mod.schemaVersion(client, pg.table);
      const n = tableNames(pg.table);
      if (version === 0) {
        checks.push(
          pg.autoMigrate
            ? {
                check: 'schema',
                verdict: 'warn',
                detail: `table ${pg.table} does not exist yet; the exporter creates it at its first export (AGENTOPS_PG_AUTO_MIGRATE=true)`,
                fix: 'or create it now: agentops-otel migrate',
              }
            : { check: 'schema', verdict: 'FAIL', detail: `table ${pg.table} does not exist and AGENTOPS_PG_AUTO_MIGRATE is false`, fix: 'run agentops-otel migrate (or psql -f schema.sql)' },
        );
      } else if (version < mod.LATEST_VERSION) {
        checks.push({
          check: 'schema',
          verdict: pg.autoMigrate ? 'warn' : 'FAIL',
          detail: `${pg.table} is at version ${version}, this release expects ${mod.LATEST_VERSION} (views ${n.sessionsView}, ${n.llmCallsView}, ${n.errorsView} need it)${pg.autoMigrate ? '; the exporter upgrades it at start-up' : ''}`,
          fix: 'run agentops-otel migrate',
        });
      } else if (version > mod.LATEST_VERSION) {
        checks.push({ check: 'schema', verdict: 'warn', detail: `${pg.table} is at version ${version}, newer than this release (${mod.LATEST_VERSION})`, fix: 'upgrade agentops-otel' });
      } else {
        checks.push({ check: 'schema', verdict: 'ok', detail: `${pg.table} at version ${version}; views ${n.sessionsView}, ${n.llmCallsView}, ${n.errorsView}` });
      }
      const legacy = await client.query<{ t: string | null }>('SELECT to_regclass($1)::text AS t', [`"${n.legacy}"`]);
      if (legacy.rows[0].t !== null)
        checks.push({
          check: 'schema',
          verdict: 'warn',
          detail: `${n.legacy} still holds rows of the upgraded table; they are moved into ${pg.table} by maintenance`,
          fix: 'run agentops-otel migrate (or maintain) to move them now',
        });
      if (version > 0) {
        const dl = await client.query<{ n: string }>(`SELECT count(*) AS n FROM "${n.deadLetter}"`).catch(() => undefined);
        const count = Number(dl?.rows[0]?.n ?? 0);
        if (count > 0)
          checks.push({
            check: 'dead letters',
            verdict: 'warn',
            detail: `${count} row(s) PostgreSQL refused are kept in ${n.deadLetter}`,
            fix: `inspect them: SELECT error_code, error_message, failed_at FROM ${n.deadLetter} ORDER BY failed_at DESC`,
          });
        else checks.push({ check: 'dead letters', verdict: 'ok', detail: `none in ${n.deadLetter}` });
      }
    } catch (err) {
      const e = describeDbError(err, target, pg.table);
      checks.push({ check: 'schema', verdict: 'FAIL', detail: e.message, fix: e.hint });
    } finally {
      client.release();
    }
  } finally {
    await pool.end().catch(() => undefined);
  }
}

async function spoolCheck(cfg: LoadedConfig, checks: Check[]): Promise<void> {
  const pg = cfg.pg!;
  const mod = require('../../exporters/postgres') as typeof import('../../exporters/postgres');
  if (pg.spoolMaxBytes === 0) {
    checks.push({ check: 'spool', verdict: 'warn', detail: 'disabled (AGENTOPS_PG_SPOOL_MAX_BYTES=0): spans the database cannot take in time are dropped' });
    return;
  }
  try {
    const s = await mod.spoolStatus(pg);
    if (s.files === 0 && s.claimed === 0) checks.push({ check: 'spool', verdict: 'ok', detail: `${s.dir} is empty` });
    else
      checks.push({
        check: 'spool',
        verdict: 'warn',
        detail: `${s.dir} holds ${s.files} file(s) waiting${s.claimed > 0 ? ` and ${s.claimed} being replayed` : ''}, ${s.bytes} bytes${s.oldestAgeMs !== null ? `, oldest ${formatDuration(s.oldestAgeMs * 1e6)} old` : ''}`,
        fix: 'run agentops-otel replay (apps with the preload also replay it once PostgreSQL answers)',
      });
  } catch (err) {
    checks.push({ check: 'spool', verdict: 'warn', detail: `cannot read ${pg.spoolDir}: ${(err as Error).message}` });
  }
}

export async function runChecks(cfg: LoadedConfig, instrumentationErrors: Error[]): Promise<Check[]> {
  const checks: Check[] = [];
  const t = cfg.telemetry.config;
  for (const e of [...cfg.telemetry.errors, ...instrumentationErrors])
    checks.push({ check: 'configuration', verdict: 'FAIL', detail: e.message, fix: 'fix the value (the preload falls back to the default or turns that exporter off)' });
  if (cfg.pgError) checks.push({ check: 'configuration', verdict: 'FAIL', detail: cfg.pgError.message, fix: 'fix the value; until then the PostgreSQL exporter is off' });
  for (const w of cfg.pg?.warnings ?? []) checks.push({ check: 'configuration', verdict: 'FAIL', detail: w.message, fix: 'fix the value (the default is used meanwhile)' });
  if (t.disabled) checks.push({ check: 'preload', verdict: 'warn', detail: 'disabled by OTEL_SDK_DISABLED or AGENTOPS_DISABLED: nothing is traced' });
  if (t.exporters.length === 0) checks.push({ check: 'exporters', verdict: 'warn', detail: 'AGENTOPS_EXPORTERS=none: spans are not exported anywhere' });

  if (!t.exporters.includes('jaeger')) checks.push({ check: 'OTLP endpoint', verdict: 'skip', detail: 'jaeger is not in AGENTOPS_EXPORTERS' });
  else if (t.otlp === undefined) checks.push({ check: 'OTLP endpoint', verdict: 'FAIL', detail: 'the OTLP settings are invalid (see above), so the Jaeger exporter is off' });
  else {
    const r = await probeOtlp(t.otlp, Math.min(t.otlp.timeoutMillis, 5000));
    const url = t.otlp.url;
    if (r.ok) checks.push({ check: 'OTLP endpoint', verdict: 'ok', detail: `${url} accepted an empty ${t.otlp.protocol} export (HTTP ${r.status}, ${r.ms} ms)` });
    else if (r.status === 401 || r.status === 403)
      checks.push({
        check: 'OTLP endpoint',
        verdict: 'FAIL',
        detail: `${url} answered HTTP ${r.status}`,
        fix: 'set the credentials in OTEL_EXPORTER_OTLP_HEADERS (or OTEL_EXPORTER_OTLP_TRACES_HEADERS)',
      });
    else if (r.status !== undefined)
      checks.push({
        check: 'OTLP endpoint',
        verdict: 'FAIL',
        detail: `${url} answered HTTP ${r.status} to an OTLP export`,
        fix: 'check the path (/v1/traces) and protocol (OTEL_EXPORTER_OTLP_TRACES_PROTOCOL); OTEL_EXPORTER_OTLP_ENDPOINT takes the base URL, OTEL_EXPORTER_OTLP_TRACES_ENDPOINT the full one',
      });
    else
      checks.push({
        check: 'OTLP endpoint',
        verdict: 'FAIL',
        detail: `${url}: ${r.error}`,
        fix: 'start Jaeger (docker compose up -d jaeger; OTLP/HTTP on 4318) or set OTEL_EXPORTER_OTLP_ENDPOINT; or drop jaeger from AGENTOPS_EXPORTERS',
      });
  }

  if (!t.exporters.includes('postgres')) checks.push({ check: 'PostgreSQL', verdict: 'skip', detail: 'postgres is not in AGENTOPS_EXPORTERS' });
  else if (cfg.pg === undefined) checks.push({ check: 'PostgreSQL', verdict: 'FAIL', detail: 'the PostgreSQL settings are invalid (see above), so the PostgreSQL exporter is off' });
  else {
    await postgresChecks(cfg, checks);
    await spoolCheck(cfg, checks);
  }
  return checks;
}

const PRICE_DATA_MAX_AGE_DAYS = 180;

/** The built-in LLM prices: where they come from and how old they are. */
export function priceCheck(now: Date = new Date()): Check {
  const { priceSourceInfo } = require('../../shared/price-source') as typeof import('../../shared/price-source');
  const info = priceSourceInfo();
  if (info.version === undefined)
    return { check: 'price data', verdict: 'warn', detail: `${info.source} is not installed: LLM calls get a cost only from AGENTOPS_PRICE_TABLE`, fix: 'reinstall agentops-otel (npm install)' };
  if (info.date === undefined) return { check: 'price data', verdict: 'ok', detail: `${info.source} ${info.version} (publication date unknown to this release)` };
  const days = Math.floor((now.getTime() - Date.parse(`${info.date}T00:00:00Z`)) / 86_400_000);
  const detail = `${info.source} ${info.version}, data of ${info.date} (${days} days old)`;
  return days > PRICE_DATA_MAX_AGE_DAYS
    ? { check: 'price data', verdict: 'warn', detail, fix: 'upgrade agentops-otel (or @pydantic/genai-prices) for current prices; AGENTOPS_PRICE_TABLE overrides single models' }
    : { check: 'price data', verdict: 'ok', detail };
}

function pricesLine(overrides: Readonly<Record<string, unknown>>): string {
  const { priceSourceInfo } = require('../../shared/price-source') as typeof import('../../shared/price-source');
  const info = priceSourceInfo();
  const source = info.version === undefined ? `${info.source} (not installed)` : `${info.source} ${info.version}${info.date !== undefined ? `, data of ${info.date}` : ''}`;
  const n = Object.keys(overrides).length;
  return n > 0 ? `${source}; ${n} model(s) from AGENTOPS_PRICE_TABLE first` : source;
}

function effective(cfg: LoadedConfig, instrumentations: string[], prices: Readonly<Record<string, unknown>>): Record<string, string> {
  const t = cfg.telemetry.config;
  const out: Record<string, string> = {
    preload: t.disabled ? 'disabled' : 'enabled',
    exporters: t.exporters.length > 0 ? t.exporters.join(', ') : 'none',
    'service.name': t.serviceName,
    'log level': t.logLevel,
    'capture content': String(t.captureContent),
    instrumentations: instrumentations.join(', ') || 'none',
    'LLM prices': pricesLine(prices),
  };
  if (t.otlp)
    out['OTLP traces'] = `${t.otlp.url} (${t.otlp.protocol}${t.otlp.compression === 'gzip' ? ', gzip' : ''}${
      Object.keys(t.otlp.headers).length > 0
        ? `, headers ${Object.keys(t.otlp.headers)
            .map((k) => `${k}=${MASK}`)
            .join(',')}`
        : ''
    })`;
  if (cfg.pg) {
    const mod = require('../../exporters/postgres') as typeof import('../../exporters/postgres');
    const n = tableNames(cfg.pg.table);
    out['PostgreSQL'] = mod.describeTarget(cfg.pg.connection);
    out['table'] = `${cfg.pg.table} (views ${n.sessionsView}, ${n.llmCallsView}, ${n.errorsView})`;
    out['spool'] = cfg.pg.spoolDir;
    out['partitions'] = `one per ${cfg.pg.partitionInterval}; retention ${cfg.pg.retentionDays > 0 ? `${cfg.pg.retentionDays} days` : 'none (kept forever)'}`;
  }
  return out;
}

const MARK: Record<Verdict, string> = { ok: 'ok  ', warn: 'warn', FAIL: 'FAIL', skip: 'skip' };

export const command: Command = {
  spec,
  async run(ctx, args) {
    const cfg = loadConfig(ctx.env);
    const { readInstrumentationConfig } = require('../../../instrumentations/config') as typeof import('../../../instrumentations/config');
    const { INSTRUMENTATIONS } = require('../../../instrumentations') as typeof import('../../../instrumentations');
    const inst = readInstrumentationConfig(
      cfg.source,
      INSTRUMENTATIONS.map((e) => e.name),
    );
    const checks = await runChecks(cfg, inst.errors);
    checks.push(priceCheck());
    const { lines, unknown } = variableLines(cfg, ctx.env);
    for (const u of unknown) checks.push({ check: 'unknown variable', verdict: 'warn', detail: `${u} is set but agentops-otel does not read it`, fix: 'a typo? see the variable list above' });
    const ok = !checks.some((c) => c.verdict === 'FAIL');
    const eff = effective(cfg, inst.config.enabled, inst.config.prices);
    if (flag(args.values.json)) {
      await ctx.io.out(JSON.stringify({ variables: lines, effective: eff, checks, ok }) + '\n');
      return ok ? EXIT_OK : EXIT_FAILURE;
    }
    await ctx.io.out('Configuration (value and origin: env, file, or default)\n');
    await ctx.io.out(
      renderTable(
        [{ header: 'VARIABLE' }, { header: 'VALUE', max: 70 }, { header: 'ORIGIN' }],
        lines.map((l) => [l.variable, l.value, l.origin]),
      ).replace(/^/gm, '  '),
    );
    await ctx.io.out('\nEffective settings\n');
    const w = Math.max(...Object.keys(eff).map((k) => k.length));
    for (const [k, v] of Object.entries(eff)) await ctx.io.out(`  ${k.padEnd(w)}  ${v}\n`);
    await ctx.io.out('\nChecks\n');
    for (const c of checks) {
      await ctx.io.out(`  ${MARK[c.verdict]}  ${c.check}: ${c.detail}\n`);
      if (c.fix && c.verdict !== 'ok') await ctx.io.out(`        → ${c.fix}\n`);
    }
    const fails = checks.filter((c) => c.verdict === 'FAIL').length;
    const warns = checks.filter((c) => c.verdict === 'warn').length;
    await ctx.io.out(`\n${ok ? 'ok' : 'problems found'}: ${fails} failed, ${warns} warning(s)\n`);
    return ok ? EXIT_OK : EXIT_FAILURE;
  },
};
