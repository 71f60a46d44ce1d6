import { UNREADABLE, cleanString, safeValue } from '../../shared/safe-value';

/**
 * Makes arbitrary JavaScript values storable as PostgreSQL text and JSONB.
 *
 * PostgreSQL rejects NUL in text (22021) and `\u0000` in JSONB (22P05), and JSONB rejects the
 * `\udXXX` escapes JSON.stringify emits for lone surrogates (22P02); JSON.stringify itself throws
 * on BigInt and cycles. Every string is therefore cleaned *before* serialisation (afterwards a NUL
 * is six ordinary characters and can no longer be told from user text), and the walk never
 * throws: anything unreadable becomes a marker string. Pure functions; no I/O.
 */

export interface SanitizeLimits {
  /** Longest string kept, in UTF-16 code units; longer ones are cut and marked. */
  maxStringLength: number;
  /** Deepest nesting walked; deeper values become a marker. */
  maxDepth: number;
  /** Longest object key kept. */
  maxKeyLength: number;
}

export const DEFAULT_SANITIZE_LIMITS: SanitizeLimits = { maxStringLength: 256 * 1024, maxDepth: 32, maxKeyLength: 1024 };

export { CIRCULAR, MAX_DEPTH, UNREADABLE, truncationMarker } from '../../shared/safe-value';

type WellFormedString = string & { isWellFormed?: () => boolean };

/** NUL stripped, lone surrogates replaced by U+FFFD, cut to `max` code units (never inside a pair). */
export function sanitizeString(s: string, max: number = DEFAULT_SANITIZE_LIMITS.maxStringLength): string {
  return cleanString(s, max);
}

/** A JSON-safe copy of `value` (the shared safe-value walk; binary data kept as base64), `depth` levels down already. */
export function sanitizeValue(value: unknown, limits: SanitizeLimits = DEFAULT_SANITIZE_LIMITS, depth = 0): unknown {
  return safeValue(value, { ...limits, maxDepth: limits.maxDepth - depth, binary: 'base64' });
}

export function sanitizeKey(key: string, limits: SanitizeLimits = DEFAULT_SANITIZE_LIMITS): string {
  return cleanString(key, limits.maxKeyLength);
}

/** Key under which a capped object records what was left out. */
export const TRUNCATED_KEY = 'agentops.truncated';

/**
 * Serialises a flat record (span attributes) to JSON text of at most about `maxBytes`
 * characters. Entries are kept in order until the budget is spent; the rest are counted under
 * TRUNCATED_KEY so the reader knows the row is incomplete. Never throws.
 */
export function sanitizedObjectJson(record: unknown, maxBytes: number, limits: SanitizeLimits = DEFAULT_SANITIZE_LIMITS): string {
  if (record === null || typeof record !== 'object' || Array.isArray(record)) {
    return record === undefined || record === null ? '{}' : JSON.stringify({ value: sanitizeValue(record, limits) });
  }
  let keys: string[];
  try {
    keys = Object.keys(record);
  } catch {
    return '{}';
  }
  // Room for the marker itself, so the final text stays under the cap.
  const budget = maxBytes - 96;
  const fast = cleanFlatJson(record as Record<string, unknown>, keys, limits, budget);
  if (fast !== undefined) return fast;
  const parts: string[] = [];
  let size = 2;
  let dropped = 0;
  const seenKeys = new Set<string>();
  for (let i = 0; i < keys.length; i++) {
    const rawKey = keys[i];
    let v: unknown;
    try {
      v = (record as Record<string, unknown>)[rawKey];
    } catch {
      v = UNREADABLE;
    }
    if (v === undefined || typeof v === 'function' || typeof v === 'symbol') continue;
    const key = sanitizeKey(rawKey, limits);
    // Two raw keys can clean to the same text ("a\0" and "a"); duplicate JSON keys would make
    // JSONB keep only the last, silently, so the later one is kept under a distinct name.
    let unique = key;
    for (let n = 2; seenKeys.has(unique); n++) unique = `${key}#${n}`;
    const part = JSON.stringify(unique) + ':' + JSON.stringify(sanitizeValue(v, limits, 1));
    if (size + part.length + 1 > budget) {
      dropped++;
      continue;
    }
    seenKeys.add(unique);
    parts.push(part);
    size += part.length + 1;
  }
  if (dropped > 0) parts.push(JSON.stringify(TRUNCATED_KEY) + ':' + JSON.stringify({ droppedEntries: dropped, limitBytes: maxBytes }));
  return '{' + parts.join(',') + '}';
}

const LONE_SURROGATE_TEST = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

function cleanText(v: string, max: number): boolean {
  if (v.length > max || v.indexOf('\0') !== -1) return false;
  const w = v as WellFormedString;
  return typeof w.isWellFormed === 'function' ? w.isWellFormed() : !LONE_SURROGATE_TEST.test(v);
}

function cleanScalar(v: unknown, limits: SanitizeLimits): boolean {
  switch (typeof v) {
    case 'string':
      return cleanText(v, limits.maxStringLength);
    case 'number':
      return Number.isFinite(v);
    case 'boolean':
      return true;
    default:
      return false;
  }
}

/**
 * The common case, span attributes that need no cleaning (flat, finite numbers, clean strings
 * within the limits, short enough): JSON.stringify of the record is already the sanitized text,
 * at a fraction of the walk's cost. Undefined when any value needs the walk.
 */
function cleanFlatJson(record: Record<string, unknown>, keys: string[], limits: SanitizeLimits, budget: number): string | undefined {
  try {
    for (let i = 0; i < keys.length; i++) {
      const k = keys[i];
      if (!cleanText(k, limits.maxKeyLength)) return undefined;
      const v = record[k];
      if (cleanScalar(v, limits)) continue;
      if (!Array.isArray(v)) return undefined;
      for (let j = 0; j < v.length; j++) if (v[j] !== null && !cleanScalar(v[j], limits)) return undefined;
    }
    const json = JSON.stringify(record);
    return json.length <= budget ? json : undefined;
  } catch {
    return undefined;
  }
}

/** Same cap for a list (span events, links): items in order until the budget is spent, then a marker item. */
export function sanitizedArrayJson(items: readonly unknown[] | undefined, maxBytes: number, limits: SanitizeLimits = DEFAULT_SANITIZE_LIMITS): string {
  if (items === undefined || items === null || !Array.isArray(items) || items.length === 0) return '[]';
  const budget = maxBytes - 96;
  const parts: string[] = [];
  let size = 2;
  let dropped = 0;
  for (let i = 0; i < items.length; i++) {
    const part = JSON.stringify(sanitizeValue(items[i], limits, 1));
    if (size + part.length + 1 > budget) {
      dropped++;
      continue;
    }
    parts.push(part);
    size += part.length + 1;
  }
  if (dropped > 0) parts.push(JSON.stringify({ [TRUNCATED_KEY]: { droppedEntries: dropped, limitBytes: maxBytes } }));
  return '[' + parts.join(',') + ']';
}
