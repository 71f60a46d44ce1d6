/**
 * The bytes a batch of wire spans crosses the thread boundary in, and waits on disk in while the
 * export worker is behind. The structured clone of `postMessage` costs the app's thread about
 * 6 µs per span under load (it walks every attribute object generically and flattens strings);
 * this writer knows the span's shape, writes ASCII strings byte by byte into one reused buffer and
 * names each attribute key once per batch, and the worker can store a batch without decoding it.
 *
 * A batch stands alone: it carries its own key table, so a batch read back from a spool file
 * needs nothing else than the resource and scope definitions stored with it. Spans with events,
 * links or dropped counts (rare: they come from SDK spans only) travel as one V8-serialized blob.
 */
import { deserialize, serialize } from 'node:v8';
import type { AttributeValue, Attributes } from '@opentelemetry/api';
import type { WireSpan } from './wire';

const FORMAT_VERSION = 1;

const T_ASCII = 0;
const T_UTF8 = 1;
const T_INT = 2;
const T_DOUBLE = 3;
const T_TRUE = 4;
const T_FALSE = 5;
const T_ARRAY = 6;
const T_NULL = 7;
const T_UNDEFINED = 8;

const F_TRACE_STATE = 1;
const F_PARENT = 2;
const F_PARENT_REMOTE = 4;
const F_MESSAGE = 8;
const F_BLOB = 16;

const MAX_KEYS = 0xffff;
const INITIAL_BUFFER = 256 * 1024;
const MAX_KEPT_BUFFER = 4 * 1024 * 1024;
/** Longer strings are written by Buffer#write (one native call) rather than byte by byte. */
const SHORT_STRING = 256;

/** Collects spans into one batch's bytes on the app's thread. Not reentrant. */
export class BatchWriter {
  private buf = Buffer.allocUnsafeSlow(INITIAL_BUFFER);
  private pos = 0;
  private keys = new Map<string, number>();
  private keyList: string[] = [];
  private spans = 0;

  get count(): number {
    return this.spans;
  }

  /** Appends `w`; throws (writing nothing) when a value cannot be serialized at all. */
  add(w: WireSpan): void {
    const start = this.pos;
    try {
      if (w.e !== undefined || w.l !== undefined || w.da !== undefined || w.de !== undefined || w.dl !== undefined || !this.writeCompact(w)) {
        this.pos = start;
        this.writeBlob(w);
      }
    } catch (err) {
      this.pos = start;
      throw err;
    }
    this.spans++;
  }

  /** The batch so far, as a buffer of its own (transferable), and a fresh start. */
  take(): Uint8Array {
    let headerBytes = 9;
    for (const k of this.keyList) headerBytes += 5 + k.length * 3;
    const out = Buffer.allocUnsafeSlow(headerBytes + this.pos);
    const body = this.buf;
    const bodyLength = this.pos;
    this.buf = out;
    this.pos = 0;
    this.buf[this.pos++] = FORMAT_VERSION;
    this.u32(this.spans);
    this.u32(this.keyList.length);
    for (const k of this.keyList) this.str(k);
    body.copy(out, this.pos, 0, bodyLength);
    const length = this.pos + bodyLength;
    // One huge span must not pin its buffer for the life of the process.
    this.buf = body.length > MAX_KEPT_BUFFER ? Buffer.allocUnsafeSlow(INITIAL_BUFFER) : body;
    this.pos = 0;
    this.spans = 0;
    this.keys = new Map();
    this.keyList = [];
    return new Uint8Array(out.buffer, out.byteOffset, length);
  }

  /** False when an attribute holds something only the blob form can carry. */
  private writeCompact(w: WireSpan): boolean {
    this.ensure(48);
    let flags = 0;
    if (w.ts !== undefined) flags |= F_TRACE_STATE;
    if (w.p !== undefined) flags |= F_PARENT;
    if (w.pr === true) flags |= F_PARENT_REMOTE;
    if (w.m !== undefined) flags |= F_MESSAGE;
    this.buf[this.pos++] = flags;
    this.str(w.t);
    this.str(w.s);
    if (w.ts !== undefined) this.str(w.ts);
    if (w.p !== undefined) this.str(w.p);
    this.str(w.n);
    if (w.m !== undefined) this.str(w.m);
    this.ensure(48);
    this.buf[this.pos++] = w.f & 0xff;
    this.buf[this.pos++] = w.k & 0xff;
    this.buf[this.pos++] = w.c & 0xff;
    this.f64(w.st[0]);
    this.f64(w.st[1]);
    this.f64(w.et[0]);
    this.f64(w.et[1]);
    this.u32(w.r);
    this.u32(w.sc);
    const countAt = this.pos;
    this.pos += 2;
    let n = 0;
    const a = w.a;
    for (const key in a) {
      if (!Object.prototype.hasOwnProperty.call(a, key)) continue;
      let id = this.keys.get(key);
      if (id === undefined) {
        if (this.keyList.length >= MAX_KEYS) return false;
        id = this.keyList.length;
        this.keys.set(key, id);
        this.keyList.push(key);
      }
      this.ensure(3);
      this.buf[this.pos++] = id & 0xff;
      this.buf[this.pos++] = id >>> 8;
      if (!this.value(a[key], true)) return false;
      if (++n > MAX_KEYS) return false;
    }
    this.buf[countAt] = n & 0xff;
    this.buf[countAt + 1] = n >>> 8;
    return true;
  }

  private writeBlob(w: WireSpan): void {
    const bytes = serialize(w);
    this.ensure(5 + bytes.length);
    this.buf[this.pos++] = F_BLOB;
    this.u32(bytes.length);
    bytes.copy(this.buf, this.pos);
    this.pos += bytes.length;
  }

  private value(v: AttributeValue | null | undefined, top: boolean): boolean {
    this.ensure(9);
    switch (typeof v) {
      case 'string':
        this.str(v);
        return true;
      case 'number':
        if (Number.isInteger(v) && v >= -0x80000000 && v <= 0x7fffffff && !Object.is(v, -0)) {
          this.buf[this.pos++] = T_INT;
          this.pos = this.buf.writeInt32LE(v, this.pos);
        } else {
          this.buf[this.pos++] = T_DOUBLE;
          this.pos = this.buf.writeDoubleLE(v, this.pos);
        }
        return true;
      case 'boolean':
        this.buf[this.pos++] = v ? T_TRUE : T_FALSE;
        return true;
      case 'undefined':
        this.buf[this.pos++] = T_UNDEFINED;
        return true;
      default:
        if (v === null) {
          this.buf[this.pos++] = T_NULL;
          return true;
        }
        if (!top || !Array.isArray(v)) return false;
        this.buf[this.pos++] = T_ARRAY;
        this.u32(v.length);
        for (const x of v as unknown[]) if (!this.value(x as AttributeValue, false)) return false;
        return true;
    }
  }

  private str(s: string): void {
    const len = s.length;
    if (len <= SHORT_STRING) {
      this.ensure(5 + len);
      const at = this.pos;
      let p = at + 5;
      const buf = this.buf;
      let ascii = true;
      for (let i = 0; i < len; i++) {
        const c = s.charCodeAt(i);
        if (c > 0x7f) {
          ascii = false;
          break;
        }
        buf[p++] = c;
      }
      if (ascii) {
        buf[at] = T_ASCII;
        this.pos = at + 1;
        this.u32(len);
        this.pos = p;
        return;
      }
    }
    this.ensure(5 + len * 3);
    const at = this.pos;
    const n = this.buf.write(s, at + 5, 'utf8');
    this.buf[at] = T_UTF8;
    this.pos = at + 1;
    this.u32(n);
    this.pos += n;
  }

  private u32(n: number): void {
    const b = this.buf;
    b[this.pos++] = n & 0xff;
    b[this.pos++] = (n >>> 8) & 0xff;
    b[this.pos++] = (n >>> 16) & 0xff;
    b[this.pos++] = (n >>> 24) & 0xff;
  }

  private f64(n: number): void {
    this.pos = this.buf.writeDoubleLE(n, this.pos);
  }

  private ensure(n: number): void {
    if (this.pos + n <= this.buf.length) return;
    const next = Buffer.allocUnsafeSlow(Math.max(this.buf.length * 2, this.pos + n));
    this.buf.copy(next, 0, 0, this.pos);
    this.buf = next;
  }
}

/** Reads a batch back; throws on bytes that are not a whole batch of this format. */
export function readBatch(bytes: Uint8Array): WireSpan[] {
  return new BatchReader(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength)).read();
}

class BatchReader {
  private pos = 0;
  private keys: string[] = [];

  constructor(private readonly buf: Buffer) {}

  read(): WireSpan[] {
    if (this.buf[this.pos++] !== FORMAT_VERSION) throw new Error('not a span batch of this release');
    const count = this.u32();
    const keyCount = this.u32();
    for (let i = 0; i < keyCount; i++) this.keys.push(this.str());
    const out: WireSpan[] = [];
    for (let i = 0; i < count; i++) out.push(this.span());
    if (this.pos !== this.buf.length) throw new Error('span batch has trailing bytes');
    return out;
  }

  private span(): WireSpan {
    const flags = this.byte();
    if (flags === F_BLOB) {
      const n = this.u32();
      this.need(n);
      const w = deserialize(this.buf.subarray(this.pos, this.pos + n)) as WireSpan;
      this.pos += n;
      return w;
    }
    const t = this.str();
    const s = this.str();
    const ts = flags & F_TRACE_STATE ? this.str() : undefined;
    const p = flags & F_PARENT ? this.str() : undefined;
    const name = this.str();
    const m = flags & F_MESSAGE ? this.str() : undefined;
    this.need(3 + 32 + 8 + 2);
    const f = this.buf[this.pos++];
    const k = this.buf[this.pos++];
    const c = this.buf[this.pos++];
    const st: [number, number] = [this.f64(), this.f64()];
    const et: [number, number] = [this.f64(), this.f64()];
    const r = this.u32();
    const sc = this.u32();
    const n = this.buf[this.pos] | (this.buf[this.pos + 1] << 8);
    this.pos += 2;
    const a: Attributes = {};
    for (let i = 0; i < n; i++) {
      this.need(2);
      const key = this.keys[this.buf[this.pos] | (this.buf[this.pos + 1] << 8)];
      this.pos += 2;
      if (key === undefined) throw new Error('span batch names an unknown attribute key');
      a[key] = this.value() as AttributeValue;
    }
    const w: WireSpan = { t, s, f, n: name, k, st, et, c, a, r, sc };
    if (ts !== undefined) w.ts = ts;
    if (p !== undefined) w.p = p;
    if (flags & F_PARENT_REMOTE) w.pr = true;
    if (m !== undefined) w.m = m;
    return w;
  }

  private value(): AttributeValue | null | undefined {
    const tag = this.byte();
    switch (tag) {
      case T_ASCII:
      case T_UTF8:
        this.pos--;
        return this.str();
      case T_INT:
        this.need(4);
        this.pos += 4;
        return this.buf.readInt32LE(this.pos - 4);
      case T_DOUBLE:
        return this.f64();
      case T_TRUE:
        return true;
      case T_FALSE:
        return false;
      case T_NULL:
        return null;
      case T_UNDEFINED:
        return undefined;
      case T_ARRAY: {
        const n = this.u32();
        const out: unknown[] = [];
        for (let i = 0; i < n; i++) out.push(this.value());
        return out as AttributeValue;
      }
      default:
        throw new Error(`span batch holds an unknown value tag ${tag}`);
    }
  }

  private str(): string {
    const tag = this.byte();
    if (tag !== T_ASCII && tag !== T_UTF8) throw new Error(`span batch holds an unknown string tag ${tag}`);
    const n = this.u32();
    this.need(n);
    const s = this.buf.toString(tag === T_ASCII ? 'latin1' : 'utf8', this.pos, this.pos + n);
    this.pos += n;
    return s;
  }

  private byte(): number {
    this.need(1);
    return this.buf[this.pos++];
  }

  private u32(): number {
    this.need(4);
    this.pos += 4;
    return this.buf.readUInt32LE(this.pos - 4);
  }

  private f64(): number {
    this.need(8);
    this.pos += 8;
    return this.buf.readDoubleLE(this.pos - 8);
  }

  private need(n: number): void {
    if (this.pos + n > this.buf.length) throw new Error('span batch is cut short');
  }
}
