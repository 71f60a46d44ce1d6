/**
 * The one walk that makes an arbitrary app value safe to keep: a JSON-ready copy holding only
 * null, booleans, finite numbers, clean strings, arrays and plain (null-prototype) objects. Span
 * attributes, PostgreSQL rows and log lines all go through it, with their own limits.
 *
 * It survives anything an app can hand over (cycles, BigInt, getters and toJSON that throw,
 * 10 MB strings, `__proto__` keys) and never throws. Strings are cleaned of what PostgreSQL
 * refuses (NUL, lone surrogates) before anything else sees them. With a budget, it stops walking
 * once the copy would exceed it, so its time does not grow with input that would be cut away.
 */

export interface SafeValueOptions {
  /** Longest string kept, in UTF-16 code units; longer ones are cut and marked. */
  maxStringLength: number;
  /** Deepest nesting walked; deeper values become MAX_DEPTH. */
  maxDepth: number;
  /** Longest object key kept. */
  maxKeyLength: number;
  /** Entries kept per array or object; the rest are counted in a "…" entry. */
  maxItems?: number;
  /** Approximate length of the JSON text after which the walk adds nothing more. */
  budget?: number;
  /** Binary data as base64 text (its content kept) or as a size marker (the default). */
  binary?: 'base64' | 'size';
  /** Applied to every cleaned string, keys included (secret masking, say). */
  mapString?: (s: string) => string;
  /** The form an Error takes. Default: its name and message. */
  error?: (err: Error, text: (s: string) => string) => Record<string, unknown>;
}

export const CIRCULAR = '[Circular]';
export const MAX_DEPTH = '[MaxDepth]';
export const UNREADABLE = '[Unreadable]';

type WellFormedString = string & { isWellFormed?: () => boolean; toWellFormed?: () => string };
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g;

function toWellFormed(s: string): string {
  const w = s as WellFormedString;
  if (typeof w.isWellFormed === 'function') return w.isWellFormed() ? s : w.toWellFormed!();
  return s.replace(LONE_SURROGATE, '\uFFFD');
}

export function truncationMarker(removed: number): string {
  return `…[truncated ${removed} chars]`;
}

/** NUL stripped, lone surrogates replaced by U+FFFD, cut to `max` code units (never inside a pair). */
export function cleanString(s: string, max: number): string {
  let out = s;
  if (out.length > max) {
    let cut = max;
    const c = out.charCodeAt(cut - 1);
    if (c >= 0xd800 && c <= 0xdbff) cut--;
    out = out.slice(0, cut) + truncationMarker(s.length - cut);
  }
  if (out.indexOf('\0') !== -1) out = out.replace(/\0/g, '');
  return toWellFormed(out);
}

/** A safe copy of `value` (see the file's comment); never throws. */
export function safeValue(value: unknown, options: SafeValueOptions): unknown {
  const w = new Walk(options);
  try {
    return w.value(value, 0);
  } catch {
    return UNREADABLE;
  }
}

class Walk {
  private used = 0;
  private readonly ancestors: object[] = [];
  private readonly budget: number;
  private readonly maxItems: number;

  constructor(private readonly o: SafeValueOptions) {
    this.budget = o.budget ?? Infinity;
    this.maxItems = o.maxItems ?? Infinity;
  }

  text(s: string, max = this.o.maxStringLength): string {
    const clean = cleanString(s, max);
    const out = this.o.mapString === undefined ? clean : this.o.mapString(clean);
    this.used += out.length + 2;
    return out;
  }

  value(value: unknown, depth: number): unknown {
    switch (typeof value) {
      case 'string':
        return this.text(value);
      case 'number':
        this.used += 8;
        // JSON would turn these into null and lose the fact that they were there.
        return Number.isFinite(value) ? value : String(value);
      case 'boolean':
        this.used += 5;
        return value;
      case 'bigint':
        return this.text(value.toString());
      case 'undefined':
        this.used += 4;
        return null;
      case 'symbol':
        return this.text(value.toString());
      case 'function':
        return `[Function${value.name ? ' ' + this.text(value.name, 200) : ''}]`;
    }
    if (value === null) {
      this.used += 4;
      return null;
    }
    const obj = value as object;
    if (this.ancestors.includes(obj)) return CIRCULAR;
    if (depth >= this.o.maxDepth) return MAX_DEPTH;
    this.ancestors.push(obj);
    try {
      return this.object(obj, depth);
    } catch {
      return UNREADABLE;
    } finally {
      this.ancestors.pop();
    }
  }

  private object(obj: object, depth: number): unknown {
    if (Array.isArray(obj)) return this.items(obj.length, (i) => obj[i], depth);
    if (obj instanceof Date) return Number.isNaN(obj.getTime()) ? null : obj.toISOString();
    if (ArrayBuffer.isView(obj)) {
      if (this.o.binary !== 'base64') return `[Binary ${obj.byteLength} bytes]`;
      return this.text(`base64:${Buffer.from(obj.buffer, obj.byteOffset, obj.byteLength).toString('base64')}`);
    }
    if (obj instanceof Error) {
      const form = this.o.error?.(obj, (s) => this.text(s)) ?? { name: this.text(String(obj.name)), message: this.text(String(obj.message)) };
      return Object.assign(Object.create(null) as Record<string, unknown>, form);
    }
    if (obj instanceof Map) {
      const pairs = [...obj.entries()];
      return this.entries(
        pairs.map(([k]) => String(k)),
        (_, i) => pairs[i][1],
        depth,
      );
    }
    if (obj instanceof Set) {
      const values = [...obj];
      return this.items(values.length, (i) => values[i], depth);
    }
    const toJSON = (obj as { toJSON?: unknown }).toJSON;
    if (typeof toJSON === 'function') {
      const replaced: unknown = toJSON.call(obj);
      if (replaced !== obj) return this.value(replaced, depth + 1);
    }
    const keys = Object.keys(obj);
    return this.entries(keys, (k) => (obj as Record<string, unknown>)[k], depth);
  }

  private items(n: number, get: (i: number) => unknown, depth: number): unknown[] {
    const out: unknown[] = [];
    for (let i = 0; i < n && this.used < this.budget; i++) {
      if (i >= this.maxItems) {
        out.push(`[${n - i} more]`);
        break;
      }
      out.push(
        this.value(
          read(() => get(i)),
          depth + 1,
        ),
      );
    }
    return out;
  }

  private entries(keys: string[], get: (k: string, i: number) => unknown, depth: number): Record<string, unknown> {
    // Null prototype: a key named "__proto__" is data, not the copy's prototype.
    const out = Object.create(null) as Record<string, unknown>;
    for (let i = 0; i < keys.length && this.used < this.budget; i++) {
      if (i >= this.maxItems) {
        out['…'] = `${keys.length - i} more keys`;
        break;
      }
      const v = read(() => get(keys[i], i));
      // JSON.stringify leaves these out of objects; so does the copy, rather than keeping noise.
      if (v === undefined || typeof v === 'function' || typeof v === 'symbol') continue;
      out[this.text(keys[i], this.o.maxKeyLength)] = this.value(v, depth + 1);
    }
    return out;
  }
}

function read(get: () => unknown): unknown {
  try {
    return get();
  } catch {
    return UNREADABLE;
  }
}
