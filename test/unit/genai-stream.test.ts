import * as assert from 'node:assert/strict';
import { observeApiPromise, observeStream } from '../../instrumentations/genai/stream';
import type { StreamEnd } from '../../instrumentations/genai/types';

/** The shape of the SDKs' Stream: `iterator` is called once by `Symbol.asyncIterator`. */
class FakeStream<T> {
  controller = new AbortController();
  constructor(public iterator: () => AsyncIterator<T>) {}
  [Symbol.asyncIterator](): AsyncIterator<T> {
    return this.iterator();
  }
}

function streamOf<T>(items: T[], failAfter?: number): FakeStream<T> {
  return new FakeStream(async function* () {
    let i = 0;
    for (const item of items) {
      if (failAfter !== undefined && i++ === failAfter) throw new Error('boom');
      yield item;
    }
  });
}

function watch<T>(s: FakeStream<T>): { chunks: T[]; ends: Array<[StreamEnd, unknown]> } {
  const seen = { chunks: [] as T[], ends: [] as Array<[StreamEnd, unknown]> };
  assert.equal(observeStream<T>(s, { onChunk: (c) => seen.chunks.push(c), onEnd: (how, err) => seen.ends.push([how, err]) }), true);
  return seen;
}

describe('genai stream observation', () => {
  it('passes the same chunk objects through and ends once when consumed', async () => {
    const items = [{ a: 1 }, { a: 2 }, { a: 3 }];
    const s = streamOf(items);
    const seen = watch(s);
    const got: unknown[] = [];
    for await (const c of s) got.push(c);
    assert.equal(got.length, 3);
    got.forEach((c, i) => assert.equal(c, items[i]));
    assert.deepEqual(seen.chunks, items);
    assert.deepEqual(seen.ends, [['done', undefined]]);
  });

  it('reports a break as abandoned, and an error as error with the same error rethrown', async () => {
    const s = streamOf([1, 2, 3, 4]);
    const seen = watch(s);
    for await (const c of s) if (c === 2) break;
    assert.deepEqual(seen.ends, [['abandoned', undefined]]);

    const f = streamOf([1, 2, 3], 1);
    const seenF = watch(f);
    await assert.rejects(async () => {
      for await (const _c of f) {
        // read until it fails
      }
    }, /boom/);
    assert.equal(seenF.ends.length, 1);
    assert.equal(seenF.ends[0][0], 'error');
    assert.match(String(seenF.ends[0][1]), /boom/);
  });

  it('treats a stream aborted through its controller as abandoned', async () => {
    const s = new FakeStream<number>(async function* (this: void) {
      yield 1;
    });
    const seen = watch(s);
    s.controller.abort();
    for await (const _c of s) {
      // drain
    }
    assert.deepEqual(seen.ends, [['abandoned', undefined]]);
  });

  it('never lets a failing hook reach the caller', async () => {
    const s = streamOf([1, 2]);
    observeStream<number>(s, {
      onChunk: () => {
        throw new Error('ours');
      },
      onEnd: () => {
        throw new Error('ours too');
      },
    });
    const got: number[] = [];
    for await (const c of s) got.push(c);
    assert.deepEqual(got, [1, 2]);
  });
});

/** The shape of an SDK APIPromise: lazy parse over a shared responsePromise. */
class FakeApiPromise extends Promise<unknown> {
  parsedPromise: Promise<unknown> | undefined;
  constructor(
    public responsePromise: Promise<{ body: unknown }>,
    public parseResponse: (client: unknown, props: { body: unknown }) => Promise<unknown> = async (_c, p) => p.body,
  ) {
    super((resolve) => resolve(null));
  }
  static override get [Symbol.species]() {
    return Promise;
  }
  parse(): Promise<unknown> {
    this.parsedPromise ??= this.responsePromise.then((p) => this.parseResponse(null, p));
    return this.parsedPromise;
  }
  asResponse(): Promise<unknown> {
    return this.responsePromise.then((p) => p.body);
  }
  override then<A = unknown, B = never>(ok?: ((v: unknown) => A | PromiseLike<A>) | null, ko?: ((e: unknown) => B | PromiseLike<B>) | null): Promise<A | B> {
    return this.parse().then(ok, ko);
  }
}

describe('genai APIPromise observation', () => {
  it('sees the parsed result once, and the caller gets the same value', async () => {
    const body = { id: 'x' };
    const p = new FakeApiPromise(Promise.resolve({ body }));
    const results: unknown[] = [];
    assert.equal(observeApiPromise(p, { onResult: (v) => results.push(v), onError: assert.fail, onUnparsed: assert.fail }), true);
    assert.equal(await p, body);
    assert.equal(await p, body);
    assert.deepEqual(results, [body]);
  });

  it('sees a failed request, and the caller gets the very same error', async () => {
    const err = new Error('429');
    const p = new FakeApiPromise(Promise.reject(err));
    const errors: unknown[] = [];
    observeApiPromise(p, { onResult: assert.fail, onError: (e) => errors.push(e), onUnparsed: assert.fail });
    await assert.rejects(
      async () => p,
      (e) => e === err,
    );
    assert.deepEqual(errors, [err]);
  });

  it('ends a call read only through asResponse()', async () => {
    const p = new FakeApiPromise(Promise.resolve({ body: 'raw' }));
    const unparsed: unknown[] = [];
    observeApiPromise(p, { onResult: assert.fail, onError: assert.fail, onUnparsed: (r) => unparsed.push(r) });
    assert.equal(await p.asResponse(), 'raw');
    await new Promise((r) => setImmediate(r));
    assert.deepEqual(unparsed, ['raw']);
    assert.ok(!Object.keys(p).includes('asResponse'), 'the override is not enumerable');
  });

  it('declines what is not an APIPromise', () => {
    assert.equal(observeApiPromise(Promise.resolve(1), { onResult: assert.fail, onError: assert.fail, onUnparsed: assert.fail }), false);
    assert.equal(observeStream({}, { onChunk: assert.fail, onEnd: assert.fail }), false);
  });
});
