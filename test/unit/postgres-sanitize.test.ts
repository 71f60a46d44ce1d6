import * as assert from 'node:assert/strict';
import { CIRCULAR, TRUNCATED_KEY, sanitizeString, sanitizeValue, sanitizedArrayJson, sanitizedObjectJson } from '../../src/exporters/postgres/sanitize';

describe('postgres sanitize', () => {
  it('strips NUL from strings before serialisation', () => {
    assert.equal(sanitizeString('a\u0000b\u0000'), 'ab');
    const json = sanitizedObjectJson({ 'k\u0000ey': 'v\u0000al' }, 1 << 20);
    assert.equal(json, '{"key":"val"}');
    assert.ok(!json.includes('\\u0000'));
  });

  it('replaces lone surrogates with U+FFFD and keeps valid pairs', () => {
    assert.equal(sanitizeString('x\uD800y'), 'x\uFFFDy');
    assert.equal(sanitizeString('\uDC00'), '\uFFFD');
    assert.equal(sanitizeString('😀'), '😀');
    assert.ok(!sanitizedObjectJson({ s: 'a\uD800' }, 1 << 20).includes('\\ud800'));
  });

  it('converts BigInt, NaN, Infinity, functions, symbols, Dates and errors', () => {
    const v = sanitizeValue({ b: 10n ** 30n, n: NaN, i: Infinity, m: -Infinity, f() {}, s: Symbol('x'), d: new Date(0), e: new TypeError('boom'), list: [1n, undefined, () => 1] }) as Record<
      string,
      unknown
    >;
    assert.equal(v.b, '1000000000000000000000000000000');
    assert.equal(v.n, 'NaN');
    assert.equal(v.i, 'Infinity');
    assert.equal(v.m, '-Infinity');
    assert.ok(!('f' in v) && !('s' in v), 'functions and symbols in objects are dropped');
    assert.equal(v.d, '1970-01-01T00:00:00.000Z');
    assert.deepEqual({ ...(v.e as object) }, { name: 'TypeError', message: 'boom' });
    assert.deepEqual(v.list, ['1', null, '[Function]']);
  });

  it('takes span attributes that need no cleaning as they are, and cleans any that do', () => {
    const clean = { 'gen_ai.request.model': 'gpt-4o', 'gen_ai.usage.input_tokens': 12, ok: true, list: ['a', 'b'], nums: [1, 2.5], 'emoji 😀': 'x😀' };
    assert.equal(sanitizedObjectJson(clean, 1 << 20), JSON.stringify(clean));
    // One value that needs the walk sends the whole record through it.
    assert.equal(sanitizedObjectJson({ ...clean, bad: 'a\u0000b' }, 1 << 20), JSON.stringify({ ...clean, bad: 'ab' }));
    assert.equal(sanitizedObjectJson({ a: 1, n: NaN }, 1 << 20), '{"a":1,"n":"NaN"}');
    assert.equal(sanitizedObjectJson({ s: 'x'.repeat(20) }, 1 << 20, { maxStringLength: 10, maxDepth: 32, maxKeyLength: 1024 }), JSON.stringify({ s: 'x'.repeat(10) + '…[truncated 10 chars]' }));
    assert.equal(sanitizedObjectJson({ s: 'x\uD800' }, 1 << 20), JSON.stringify({ s: 'x\uFFFD' }));
    const big = { a: 'x'.repeat(500), b: 'y'.repeat(500) };
    assert.match(sanitizedObjectJson(big, 700), /agentops\.truncated/, 'over the byte cap: entries dropped and marked');
  });

  it('marks cycles but keeps shared references', () => {
    const shared = { x: 1 };
    const o: Record<string, unknown> = { a: shared, b: shared };
    o.self = o;
    const json = JSON.stringify(sanitizeValue(o));
    assert.equal(json, `{"a":{"x":1},"b":{"x":1},"self":"${CIRCULAR}"}`);
    const arr: unknown[] = [1];
    arr.push(arr);
    assert.equal(JSON.stringify(sanitizeValue(arr)), `[1,"${CIRCULAR}"]`);
  });

  it('survives throwing getters and __proto__ keys', () => {
    const o = Object.defineProperty({ ok: 1 }, 'bad', {
      enumerable: true,
      get: () => {
        throw new Error('no');
      },
    });
    assert.equal(JSON.stringify(sanitizeValue(o)), '{"ok":1,"bad":"[Unreadable]"}');
    const p = JSON.parse('{"__proto__": {"polluted": true}}');
    const out = sanitizeValue(p) as Record<string, unknown>;
    assert.equal(JSON.stringify(out), '{"__proto__":{"polluted":true}}');
    assert.equal(({} as Record<string, unknown>).polluted, undefined);
  });

  it('truncates long strings with a marker and never splits a surrogate pair', () => {
    const s = sanitizeString('a'.repeat(100), 10);
    assert.ok(s.startsWith('a'.repeat(10) + '…[truncated 90 chars]'));
    const pair = sanitizeString('aaaa😀bbbb', 5);
    assert.ok(pair.startsWith('aaaa…'), pair);
    assert.ok(!/[\uD800-\uDBFF](?![\uDC00-\uDFFF])/.test(pair));
  });

  it('caps attribute JSON per span and says so', () => {
    const attrs: Record<string, string> = {};
    for (let i = 0; i < 10_000; i++) attrs[`k${i}`] = 'x'.repeat(100);
    const json = sanitizedObjectJson(attrs, 64 * 1024);
    assert.ok(json.length <= 64 * 1024, `${json.length}`);
    const parsed = JSON.parse(json);
    assert.ok(parsed.k0 !== undefined);
    assert.ok(parsed[TRUNCATED_KEY].droppedEntries > 9000);
  });

  it('keeps both values when two keys clean to the same text', () => {
    const parsed = JSON.parse(sanitizedObjectJson({ a: 1, 'a\u0000': 2 }, 1 << 20));
    assert.deepEqual(parsed, { a: 1, 'a#2': 2 });
  });

  it('caps arrays (events) with a marker item', () => {
    const items = Array.from({ length: 1000 }, (_, i) => ({ name: `e${i}`, payload: 'y'.repeat(200) }));
    const parsed = JSON.parse(sanitizedArrayJson(items, 8 * 1024));
    assert.ok(parsed.length < 100);
    assert.ok(parsed[parsed.length - 1][TRUNCATED_KEY].droppedEntries > 900);
    assert.equal(sanitizedArrayJson(undefined, 1024), '[]');
  });
});
