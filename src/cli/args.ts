/**
 * Command-line parsing on node:util parseArgs: one spec per command gives the options, the
 * positionals and the help text, so --help and the parser never disagree. Every error is a
 * UsageError (exit code 2) with one line that names the problem and points at --help.
 */
import { parseArgs } from 'node:util';
import { UsageError } from './errors';

export interface OptionSpec {
  type: 'string' | 'boolean';
  short?: string;
  multiple?: boolean;
  /** Placeholder shown in the help, e.g. `<time>`. */
  value?: string;
  description: string;
}

export interface CommandSpec {
  name: string;
  summary: string;
  /** Positional part of the usage line, e.g. `<session-id>`. */
  args?: string;
  minPositionals?: number;
  maxPositionals?: number;
  /** Paragraphs printed after the usage line. */
  description?: string;
  options: Record<string, OptionSpec>;
  examples?: string[];
}

export const COMMON_OPTIONS: Record<string, OptionSpec> = {
  help: { type: 'boolean', short: 'h', description: 'Show this help and exit.' },
  verbose: { type: 'boolean', short: 'v', description: 'Print stack traces and debug logs on failure.' },
};

export interface ParsedArgs {
  values: Record<string, string | boolean | string[] | undefined>;
  positionals: string[];
}

export function allOptions(spec: CommandSpec): Record<string, OptionSpec> {
  return { ...spec.options, ...COMMON_OPTIONS };
}

export function parseCommandArgs(spec: CommandSpec, argv: string[]): ParsedArgs {
  const options: Record<string, { type: 'string' | 'boolean'; short?: string; multiple?: boolean }> = {};
  for (const [name, o] of Object.entries(allOptions(spec))) {
    options[name] = { type: o.type, ...(o.short ? { short: o.short } : {}), ...(o.multiple ? { multiple: true } : {}) };
  }
  let parsed: ReturnType<typeof parseArgs>;
  try {
    parsed = parseArgs({ args: argv, options, strict: true, allowPositionals: true });
  } catch (err) {
    throw new UsageError(`${spec.name}: ${parseErrorText(err)}`, `see agentops-otel ${spec.name} --help`);
  }
  const values = parsed.values as ParsedArgs['values'];
  const positionals = parsed.positionals;
  if (values.help === true) return { values, positionals };
  const min = spec.minPositionals ?? 0;
  const max = spec.maxPositionals ?? 0;
  if (positionals.length > max) {
    throw new UsageError(`${spec.name}: unexpected argument ${JSON.stringify(positionals[max])}`, `see agentops-otel ${spec.name} --help`);
  }
  if (positionals.length < min) {
    throw new UsageError(`${spec.name}: missing ${spec.args ?? 'argument'}`, `see agentops-otel ${spec.name} --help`);
  }
  return { values, positionals };
}

function parseErrorText(err: unknown): string {
  const e = err as { code?: string; message?: string };
  const quoted = /'([^']+)'/.exec(e.message ?? '')?.[1];
  switch (e.code) {
    case 'ERR_PARSE_ARGS_UNKNOWN_OPTION':
      return `unknown option ${quoted ?? ''}`.trim();
    case 'ERR_PARSE_ARGS_INVALID_OPTION_VALUE':
      // "Option '--since <value>' argument missing" or "Option '--json' does not take an argument"
      if (/argument missing/.test(e.message ?? '')) return `option ${(quoted ?? '').replace(/ <value>$/, '').replace(/^-\w, /, '')} needs a value`;
      return `option ${(quoted ?? '').replace(/^-\w, /, '')} takes no value`;
    case 'ERR_PARSE_ARGS_UNEXPECTED_POSITIONAL':
      return `unexpected argument ${quoted ?? ''}`.trim();
    default:
      return (e.message ?? String(err)).split('\n')[0];
  }
}

export function renderHelp(spec: CommandSpec): string {
  const lines: string[] = [];
  lines.push(`Usage: agentops-otel ${spec.name}${spec.args ? ` ${spec.args}` : ''} [options]`, '', spec.summary);
  if (spec.description) lines.push('', spec.description.trimEnd());
  lines.push('', 'Options:');
  const opts = Object.entries(allOptions(spec)).map(([name, o]) => {
    const flag = `${o.short ? `-${o.short}, ` : '    '}--${name}${o.type === 'string' ? ` ${o.value ?? '<value>'}` : ''}`;
    return [flag, o.description + (o.multiple ? ' Repeatable.' : '')] as const;
  });
  const w = Math.max(...opts.map(([f]) => f.length));
  for (const [f, d] of opts) lines.push(`  ${f.padEnd(w)}  ${d}`);
  if (spec.examples && spec.examples.length > 0) {
    lines.push('', 'Examples:');
    for (const e of spec.examples) lines.push(`  ${e}`);
  }
  lines.push('', 'Exit codes: 0 ok, 1 the operation or a check failed, 2 usage error.');
  return lines.join('\n') + '\n';
}

// --- value parsers --------------------------------------------------------------------------------

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const HEX32 = /^[0-9a-f]{32}$/i;

/** A session id: a UUID, or the 32-hex trace id Jaeger shows. Returns the lower-case UUID form. */
export function parseSessionId(raw: string, what = 'session id'): string {
  const t = raw.trim();
  if (UUID.test(t)) return t.toLowerCase();
  if (HEX32.test(t)) {
    const h = t.toLowerCase();
    return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
  }
  throw new UsageError(`${JSON.stringify(raw.length > 60 ? raw.slice(0, 60) + '…' : raw)} is not a ${what}`, 'expected a UUID such as 0b3c5f1e-6d2a-4c8b-9e7f-1a2b3c4d5e6f (or its 32 hex digits)');
}

const UNITS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, min: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000 };

/**
 * A point in time: `now`, a duration ago (`90s`, `15m`, `2h`, `7d`, `1w`), an ISO date or date-time
 * (`2024-05-01`, `2024-05-01T12:00:00Z`), or epoch milliseconds. Returns epoch milliseconds.
 */
export function parseTime(raw: string, option: string, now: number = Date.now()): number {
  const t = raw.trim();
  if (t === 'now') return now;
  const rel = /^(\d+(?:\.\d+)?)\s*(ms|s|min|m|h|d|w)$/i.exec(t);
  if (rel) return now - Number(rel[1]) * UNITS[rel[2].toLowerCase()];
  if (/^\d{12,}$/.test(t)) return Number(t);
  if (/^\d{4}-\d{2}-\d{2}/.test(t)) {
    const ms = Date.parse(t);
    if (Number.isFinite(ms)) return ms;
  }
  throw new UsageError(`${option}: ${JSON.stringify(raw)} is not a time`, 'expected a duration ago (30m, 2h, 7d), an ISO date/time (2024-05-01T12:00:00Z), epoch milliseconds, or now');
}

export function parseIntOption(raw: string | undefined, option: string, def: number, min: number, max: number): number {
  if (raw === undefined) return def;
  if (!/^\d+$/.test(raw.trim())) throw new UsageError(`${option}: ${JSON.stringify(raw)} is not a whole number`, `expected an integer from ${min} to ${max}`);
  const n = Number(raw.trim());
  if (n < min || n > max) throw new UsageError(`${option}: ${n} is out of range`, `expected an integer from ${min} to ${max}`);
  return n;
}

export function str(v: ParsedArgs['values'][string]): string | undefined {
  return typeof v === 'string' ? v : undefined;
}

export function list(v: ParsedArgs['values'][string]): string[] {
  if (Array.isArray(v)) return v;
  return typeof v === 'string' ? [v] : [];
}

export function flag(v: ParsedArgs['values'][string]): boolean {
  return v === true;
}
