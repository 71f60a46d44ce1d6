/**
 * Typed readers for configuration values. Each returns the default when the variable is unset
 * and throws a ConfigError that names the variable, the problem and the expected form otherwise.
 */
import { ConfigError } from './errors';
import type { ConfigSource } from './source';

function show(value: string): string {
  return JSON.stringify(value.length > 80 ? value.slice(0, 80) + '…' : value);
}

export function readInt(src: ConfigSource, name: string, def: number, min = 0, max = Number.MAX_SAFE_INTEGER): number {
  const raw = src.get(name);
  if (raw === undefined) return def;
  const t = raw.trim();
  if (!/^-?\d+$/.test(t)) throw new ConfigError(name, `${show(raw)} is not a whole number`, `an integer from ${min} to ${max}`);
  const n = Number(t);
  if (n < min || n > max) throw new ConfigError(name, `${t} is out of range`, `an integer from ${min} to ${max}`);
  return n;
}

const TRUE = new Set(['true', '1', 'yes', 'on']);
const FALSE = new Set(['false', '0', 'no', 'off']);

export function readBool(src: ConfigSource, name: string, def: boolean): boolean {
  const raw = src.get(name);
  if (raw === undefined) return def;
  const t = raw.trim().toLowerCase();
  if (TRUE.has(t)) return true;
  if (FALSE.has(t)) return false;
  throw new ConfigError(name, `${show(raw)} is not a boolean`, 'true or false (also 1/0, yes/no, on/off)');
}

export function readEnum<T extends string>(src: ConfigSource, name: string, allowed: readonly T[], def: T): T {
  const raw = src.get(name);
  if (raw === undefined) return def;
  const t = raw.trim().toLowerCase();
  const hit = allowed.find((a) => a.toLowerCase() === t);
  if (hit === undefined) throw new ConfigError(name, `${show(raw)} is not a known value`, `one of ${allowed.join(', ')}`);
  return hit;
}

export function readList(src: ConfigSource, name: string, def: string[]): string[] {
  const raw = src.get(name);
  if (raw === undefined) return def;
  return raw
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '');
}

export function readString(src: ConfigSource, name: string, def: string): string {
  return src.get(name) ?? def;
}

export function readUrl(src: ConfigSource, name: string, def: string, protocols: readonly string[]): string {
  const raw = src.get(name);
  if (raw === undefined) return def;
  let url: URL;
  try {
    url = new URL(raw.trim());
  } catch {
    throw new ConfigError(name, `${show(raw)} is not a URL`, `a URL such as ${def}`);
  }
  if (!protocols.includes(url.protocol)) {
    throw new ConfigError(name, `scheme ${url.protocol} is not supported`, `a URL with scheme ${protocols.join(' or ')}`);
  }
  return raw.trim();
}

/**
 * `k=v,k2=v2` with percent-decoding, as the OTEL_*_HEADERS and OTEL_RESOURCE_ATTRIBUTES variables use.
 * With `secret` (header variables, whose values are credentials) an error never quotes an entry:
 * a malformed one is often a bare token (`Bearer abc…` without `authorization=`).
 */
export function readKeyValues(src: ConfigSource, name: string, opts: { secret?: boolean } = {}): Record<string, string> {
  const raw = src.get(name);
  const out: Record<string, string> = {};
  if (raw === undefined) return out;
  let index = 0;
  for (const part of raw.split(',')) {
    index++;
    if (part.trim() === '') continue;
    const eq = part.indexOf('=');
    const which = opts.secret ? `#${index} (not shown: it may hold a secret)` : show(part.trim().replace(/=.*/, '=…'));
    if (eq <= 0) throw new ConfigError(name, `entry ${which} has no key=value form`, 'comma-separated key=value pairs, e.g. k1=v1,k2=v2');
    let key: string;
    let value: string;
    try {
      key = decodeURIComponent(part.slice(0, eq).trim());
      value = decodeURIComponent(part.slice(eq + 1).trim());
    } catch {
      throw new ConfigError(name, 'an entry has invalid percent-encoding', 'comma-separated key=value pairs, percent-encoded');
    }
    out[key] = value;
  }
  return out;
}
