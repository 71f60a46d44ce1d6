import * as assert from 'node:assert/strict';
import { safeJson, toAttributeText, truncateText } from '../../src/shared/serialize';

describe('serialize: arbitrary values into bounded JSON text', () => {
  it('writes ordinary values as JSON.stringify would', () => {
    const v = { a: 1, b: 'x', c: [true, null, 2.5], d: { e: 'ü' } };
    assert.equal(safeJson(v, 1000), JSON.stringify(v));
    assert.equal(toAttributeText('plain', 100), 'plain');
  });

  it('survives hostile values', () => {
    const circular: Record<string, unknown> = { name: 'c' };
    circular.self = circular;
    const throwing = {
      ok: 1,
      get bad(): never {
        throw new Error('getter');
      },
    };
    const v = {
      circular,
      big: 10n ** 30n,
      nan: NaN,
      inf: -Infinity,
      sym: Symbol('s'),
      fn() {},
      buf: Buffer.from('abc'),
      date: new Date(0),
      bad: new Date(NaN),
      throwing,
      err: new TypeError('t'),
      map: new Map([['k', 1]]),
      set: new Set([1]),
    };
    const out = JSON.parse(safeJson(v, 10000));
    assert.deepEqual(out.circular, { name: 'c', self: '[Circular]' });
    assert.equal(out.big, '1000000000000000000000000000000');
    assert.equal(out.nan, 'NaN');
    assert.equal(out.inf, '-Infinity');
    assert.ok(!('sym' in out) && !('fn' in out), 'symbol and function properties are dropped like JSON.stringify does');
    assert.equal(out.buf, '[Binary 3 bytes]');
    assert.equal(out.date, '1970-01-01T00:00:00.000Z');
    assert.equal(out.bad, null);
    assert.deepEqual(out.throwing, { ok: 1, bad: '[Unreadable]' });
    assert.deepEqual(out.err, { name: 'TypeError', message: 't' });
    assert.deepEqual(out.map, { k: 1 });
    assert.deepEqual(out.set, [1]);
    assert.equal(safeJson(Symbol('x'), 100), '"Symbol(x)"');
  });

  it('keeps shared (non-circular) references', () => {
    const shared = { x: 1 };
    assert.equal(safeJson({ a: shared, b: shared }, 100), '{"a":{"x":1},"b":{"x":1}}');
  });

  it('bounds the output of huge and deep values', () => {
    const huge = 'x'.repeat(10_000_000);
    assert.ok(safeJson({ huge }, 1000).length <= 1000);
    assert.ok(toAttributeText(huge, 1000).length <= 1000);
    let deep: unknown = 'leaf';
    for (let i = 0; i < 10_000; i++) deep = { d: deep };
    assert.match(safeJson(deep, 100_000), /"\[MaxDepth\]"/);
    const wide: Record<string, number> = {};
    for (let i = 0; i < 5000; i++) wide[`k${i}`] = i;
    assert.match(safeJson(wide, 1_000_000), /"…":"4000 more keys"/);
  });

  it('never cuts a surrogate pair in half', () => {
    const s = 'ab' + '😀'.repeat(10);
    for (let max = 14; max < 22; max++) {
      const t = truncateText(s, max);
      assert.ok(t.length <= max);
      assert.ok(!/[\ud800-\udbff](?![\udc00-\udfff])/.test(t), `lone high surrogate at max=${max}`);
    }
  });
});
