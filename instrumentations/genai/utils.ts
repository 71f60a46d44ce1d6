/** Small pure helpers shared by the provider mappings. */
import { ATTR_SERVER_ADDRESS, ATTR_SERVER_PORT } from '@opentelemetry/semantic-conventions';
import type { AttributeMap } from './types';

export function num(v: unknown): number | undefined {
  return typeof v === 'number' && Number.isFinite(v) ? v : undefined;
}

export function count(v: unknown): number | undefined {
  return typeof v === 'number' && Number.isFinite(v) && v >= 0 ? v : undefined;
}

export function str(v: unknown): string | undefined {
  return typeof v === 'string' && v !== '' ? v : undefined;
}

export function strList(v: unknown): string[] | undefined {
  if (typeof v === 'string') return [v];
  if (Array.isArray(v)) {
    const out = v.filter((x): x is string => typeof x === 'string');
    return out.length > 0 ? out : undefined;
  }
  return undefined;
}

/** `server.address` / `server.port` from an SDK client's base URL (default ports filled in). */
export function serverAttributes(baseURL: unknown): AttributeMap {
  if (typeof baseURL !== 'string' || baseURL === '') return {};
  try {
    const url = new URL(baseURL);
    const port = url.port !== '' ? Number(url.port) : url.protocol === 'https:' ? 443 : url.protocol === 'http:' ? 80 : undefined;
    return { [ATTR_SERVER_ADDRESS]: url.hostname.replace(/^\[|\]$/g, ''), [ATTR_SERVER_PORT]: port };
  } catch {
    return {};
  }
}

/** Drops undefined values (and empty arrays), so attribute maps compare cleanly in tests. */
export function compact(attrs: AttributeMap): AttributeMap {
  const out: AttributeMap = {};
  for (const [k, v] of Object.entries(attrs)) {
    if (v === undefined) continue;
    if (Array.isArray(v) && v.length === 0) continue;
    out[k] = v;
  }
  return out;
}

/** Provider payloads are read loosely: anything that is not an object reads as an empty one. */
export type Obj = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

export function obj(v: unknown): Obj {
  return v !== null && typeof v === 'object' ? v : {};
}
