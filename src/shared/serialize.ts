/**
 * Turns arbitrary app values (params, returns, prompts) into bounded JSON text for span
 * attributes. It must survive anything an app can hand us (circular graphs, BigInt, getters
 * that throw, 10 MB strings) and must not spend time in proportion to input it will cut away,
 * so it writes JSON itself with a budget instead of calling JSON.stringify on the whole value.
 */
const TRUNCATED = '…[truncated]';
const MAX_DEPTH = 32;
const MAX_KEYS = 1000;

/** Cuts `text` to at most `max` characters without splitting a surrogate pair, marking the cut. */
export function truncateText(text: string, max: number): string {
  if (text.length <= max) return text;
  let end = Math.max(0, max - TRUNCATED.length);
  const code = text.charCodeAt(end - 1);
  if (code >= 0xd800 && code <= 0xdbff) end--;
  return text.slice(0, end) + TRUNCATED;
}

/** Strings stay as they are (cut to `max`); everything else becomes compact JSON text. */
export function toAttributeText(value: unknown, max: number): string {
  if (typeof value === 'string') return truncateText(value, max);
  return safeJson(value, max);
}

class Budget {
  parts: string[] = [];
  used = 0;
  constructor(readonly max: number) {}
  get full(): boolean {
    return this.used >= this.max;
  }
  push(s: string): void {
    this.parts.push(s);
    this.used += s.length;
  }
}

/** JSON text of `value`, at most about `max` characters; never throws. */
export function safeJson(value: unknown, max: number): string {
  const b = new Budget(max);
  try {
    write(value, b, new Set(), 0);
  } catch {
    return '"[unserializable]"';
  }
  const out = b.parts.join('');
  return out.length > max ? truncateText(out, max) : out;
}

function write(value: unknown, b: Budget, seen: Set<object>, depth: number): void {
  if (b.full) return;
  switch (typeof value) {
    case 'string':
      b.push(JSON.stringify(value.length > b.max ? truncateText(value, b.max) : value));
      return;
    case 'number':
      b.push(Number.isFinite(value) ? String(value) : JSON.stringify(String(value)));
      return;
    case 'boolean':
      b.push(value ? 'true' : 'false');
      return;
    case 'bigint':
      b.push(JSON.stringify(value.toString()));
      return;
    case 'undefined':
      b.push('null');
      return;
    case 'symbol':
      b.push(JSON.stringify(value.toString()));
      return;
    case 'function':
      b.push(JSON.stringify(`[Function ${value.name || 'anonymous'}]`));
      return;
  }
  if (value === null) {
    b.push('null');
    return;
  }
  const obj = value as object;
  if (seen.has(obj)) {
    b.push('"[Circular]"');
    return;
  }
  if (depth >= MAX_DEPTH) {
    b.push('"[Depth]"');
    return;
  }
  if (obj instanceof Date) {
    b.push(Number.isNaN(obj.getTime()) ? 'null' : JSON.stringify(obj.toISOString()));
    return;
  }
  if (Buffer.isBuffer(obj) || obj instanceof Uint8Array) {
    b.push(JSON.stringify(`[Binary ${obj.byteLength} bytes]`));
    return;
  }
  if (obj instanceof Error) {
    seen.add(obj);
    writeEntries([['name', obj.name], ['message', obj.message]], b, seen, depth);
    seen.delete(obj);
    return;
  }
  seen.add(obj);
  try {
    if (Array.isArray(obj)) {
      b.push('[');
      for (let i = 0; i < obj.length && !b.full; i++) {
        if (i > 0) b.push(',');
        if (i >= MAX_KEYS) {
          b.push(JSON.stringify(`[${obj.length - i} more]`));
          break;
        }
        write(readSafely(() => obj[i]), b, seen, depth + 1);
      }
      b.push(']');
      return;
    }
    if (obj instanceof Map) {
      writeEntries([...obj.entries()].slice(0, MAX_KEYS).map(([k, v]) => [String(k), v]), b, seen, depth);
      return;
    }
    if (obj instanceof Set) {
      write([...obj.values()].slice(0, MAX_KEYS), b, seen, depth);
      return;
    }
    const toJSON = readSafely(() => (obj as { toJSON?: unknown }).toJSON);
    if (typeof toJSON === 'function') {
      write(readSafely(() => (toJSON as () => unknown).call(obj)), b, seen, depth + 1);
      return;
    }
    let keys: string[];
    try {
      keys = Object.keys(obj);
    } catch {
      b.push('"[Unreadable]"');
      return;
    }
    writeEntries(
      keys.slice(0, MAX_KEYS).map((k) => [k, readSafely(() => (obj as Record<string, unknown>)[k])]),
      b,
      seen,
      depth,
      keys.length - MAX_KEYS,
    );
  } finally {
    seen.delete(obj);
  }
}

function writeEntries(entries: [string, unknown][], b: Budget, seen: Set<object>, depth: number, more = 0): void {
  b.push('{');
  let first = true;
  for (const [k, v] of entries) {
    if (b.full) break;
    if (typeof v === 'function' || typeof v === 'symbol' || v === undefined) continue;
    if (!first) b.push(',');
    first = false;
    b.push(JSON.stringify(k));
    b.push(':');
    write(v, b, seen, depth + 1);
  }
  if (more > 0 && !b.full) b.push(`${first ? '' : ','}"…":"${more} more keys"`);
  b.push('}');
}

function readSafely(get: () => unknown): unknown {
  try {
    return get();
  } catch {
    return '[Throws]';
  }
}
