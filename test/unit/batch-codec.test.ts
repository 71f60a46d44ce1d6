import * as assert from 'node:assert/strict';
import { BatchWriter, readBatch } from '../../src/engine/batch-codec';
import type { WireSpan } from '../../src/engine/wire';
import { readWireFile, wireFileChunks } from '../../src/engine/wire-file';

function span(over: Partial<WireSpan> = {}): WireSpan {
  return {
    t: '0af7651916cd43dd8448eb211c80319c',
    s: 'b7ad6b7169203331',
    f: 1,
    p: '00f067aa0ba902b7',
    n: 'chat gpt-4o-mini',
    k: 2,
    st: [1764175605, 123456789],
    et: [1764175606, 987654321],
    c: 0,
    a: { 'service.name': 'agentops', 'gen_ai.usage.input_tokens': 20 },
    r: 0,
    sc: 3,
    ...over,
  };
}

function roundTrip(spans: WireSpan[]): WireSpan[] {
  const w = new BatchWriter();
  for (const s of spans) w.add(s);
  assert.equal(w.count, spans.length);
  const bytes = w.take();
  assert.equal(w.count, 0, 'take() starts a new batch');
  const back = readBatch(bytes);
  assert.equal(back.length, spans.length);
  return back;
}

describe('span batch codec', () => {
  it('reads back every field of a plain span, and every attribute value kind', () => {
    const a = {
      ascii: 'plain',
      empty: '',
      utf8: 'naïve 日本語 😀',
      lone: 'a\ud800b',
      long: 'x'.repeat(5000) + 'é',
      int: 42,
      negative: -7,
      big: 2 ** 40,
      minusZero: -0,
      double: 0.1,
      nan: NaN,
      inf: -Infinity,
      yes: true,
      no: false,
      strings: ['a', 'ü', ''],
      numbers: [1, 2.5, -0],
      withHoles: [1, null, undefined, 3],
      bools: [true, false],
      emptyList: [],
    };
    const [back] = roundTrip([span({ a, ts: 'vendor=a,other=b', pr: true, c: 2, m: 'failed: ✗' })]);
    assert.deepEqual(back, span({ a: { ...a, lone: 'a\ufffdb' }, ts: 'vendor=a,other=b', pr: true, c: 2, m: 'failed: ✗' }));
    assert.ok(Object.is(back.a.minusZero, -0));
    assert.ok(Object.is((back.a.numbers as number[])[2], -0));
    assert.ok(Number.isNaN(back.a.nan));
  });

  it('keeps a root span without parent, and many spans sharing keys, in order', () => {
    const spans = Array.from({ length: 300 }, (_, i) => span({ s: i.toString(16).padStart(16, '0'), p: i % 3 === 0 ? undefined : 'ab'.repeat(8), a: { i, [`k${i % 7}`]: `v${i}` } }));
    for (const s of spans) if (s.p === undefined) delete s.p;
    assert.deepEqual(roundTrip(spans), spans);
  });

  it('carries events, links and dropped counts (the SDK path) whole', () => {
    const s = span({
      e: [{ name: 'exception', time: [1, 2], attributes: { 'exception.message': 'boom' }, droppedAttributesCount: 0 }],
      l: [{ t: 'aa'.repeat(16), s: 'bb'.repeat(8), f: 1, a: { why: 'retry' } }],
      da: 3,
      dl: 1,
    });
    assert.deepEqual(roundTrip([s]), [s]);
  });

  it('an attribute value no span can hold is refused for that span alone; the batch goes on', () => {
    const w = new BatchWriter();
    w.add(span({ s: '1'.repeat(16) }));
    assert.throws(() => w.add(span({ s: '2'.repeat(16), e: [{ name: 'x', time: [0, 0], attributes: { f: (() => 1) as unknown as string } }] })), /could not be cloned/);
    w.add(span({ s: '3'.repeat(16), a: { big: 10n as unknown as number } }));
    const back = readBatch(w.take());
    assert.deepEqual(
      back.map((s) => s.s),
      ['1'.repeat(16), '3'.repeat(16)],
    );
    assert.equal(back[1].a.big as unknown, 10n, 'a bigint travels in the blob form');
  });

  it('a batch larger than the writer buffer (one 6 MB attribute) reads back whole, and the next batch too', () => {
    const big = 'p'.repeat(6_000_000);
    const w = new BatchWriter();
    w.add(span({ a: { big } }));
    assert.equal(readBatch(w.take())[0].a.big, big);
    w.add(span());
    assert.deepEqual(readBatch(w.take()), [span()]);
  });

  it('refuses bytes that are cut short, of another format, or trailing', () => {
    const w = new BatchWriter();
    w.add(span());
    const bytes = w.take();
    assert.throws(() => readBatch(bytes.subarray(0, bytes.length - 3)), /cut short/);
    assert.throws(() => readBatch(Buffer.concat([bytes, Buffer.from([0])])), /trailing/);
    const other = Buffer.from(bytes);
    other[0] = 99;
    assert.throws(() => readBatch(other), /not a span batch/);
  });
});

describe('wire spool file', () => {
  it('reads back its definitions and batches; a record cut short ends the file', () => {
    const w = new BatchWriter();
    w.add(span());
    const one = w.take();
    w.add(span({ s: 'c'.repeat(16) }));
    w.add(span({ s: 'd'.repeat(16) }));
    const two = w.take();
    const defs = {
      resources: [[0, { attributes: { 'service.name': 'svc' } }]] as Array<[number, { attributes: Record<string, string> }]>,
      scopes: [[3, { name: 'agentops', version: '1.0.0' }]] as Array<[number, { name: string; version: string }]>,
    };
    const body = Buffer.concat(
      wireFileChunks(defs, [
        { bytes: one, count: 1 },
        { bytes: two, count: 2 },
      ]),
    );
    const back = readWireFile(body);
    assert.deepEqual(back.defs, defs);
    assert.deepEqual(
      back.batches.map((b) => [b.count, readBatch(b.bytes).map((s) => s.s)]),
      [
        [1, ['b7ad6b7169203331']],
        [2, ['c'.repeat(16), 'd'.repeat(16)]],
      ],
    );
    const cut = readWireFile(body.subarray(0, body.length - 5));
    assert.equal(cut.batches.length, 1);
    assert.throws(() => readWireFile(Buffer.from([255, 255, 0, 0])), /cut short/);
  });
});
