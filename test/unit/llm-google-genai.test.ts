import * as assert from 'node:assert/strict';
import { costUsd, NO_OVERRIDES } from '../../src/shared/prices';
import { observeAsyncIterator } from '../../instrumentations/genai/stream';
import type { StreamEnd } from '../../instrumentations/genai/types';
import { serverAttributes } from '../../instrumentations/genai/utils';
import { GoogleGenAIInstrumentation } from '../../instrumentations/google-genai/instrumentation';
import * as GU from '../../instrumentations/google-genai/utils';

const gemini: GU.CallTarget = { vertex: false, server: serverAttributes('https://generativelanguage.googleapis.com/') };

describe('google-genai mapping', () => {
  it('names the provider by backend, as the GenAI conventions do', () => {
    assert.equal(GU.providerName(false), 'gcp.gemini');
    assert.equal(GU.providerName(true), 'gcp.vertex_ai');
  });

  it('reads the model id out of resource names', () => {
    assert.equal(GU.modelId('gemini-2.5-flash'), 'gemini-2.5-flash');
    assert.equal(GU.modelId('models/gemini-2.5-flash'), 'gemini-2.5-flash');
    assert.equal(GU.modelId('projects/p/locations/us-central1/publishers/google/models/gemini-2.0-flash-001'), 'gemini-2.0-flash-001');
    assert.equal(GU.modelId('tunedModels/123'), 'tunedModels/123');
    assert.equal(GU.modelId(''), undefined);
    assert.equal(GU.modelId(42), undefined);
  });

  it('maps request parameters from config, server and content separately', () => {
    const req = GU.generateRequest(
      {
        model: 'models/gemini-2.5-pro',
        contents: [{ role: 'user', parts: [{ text: 'hi' }] }],
        config: { systemInstruction: 'be brief', temperature: 0, maxOutputTokens: 9, topP: 0.5, topK: 3, stopSequences: ['END'], candidateCount: 2, seed: 7, responseMimeType: 'application/json' },
      },
      gemini,
      true,
    );
    assert.equal(req.provider, 'gcp.gemini');
    assert.equal(req.operation, 'generate_content');
    assert.equal(req.requestModel, 'gemini-2.5-pro');
    assert.equal(req.streaming, true);
    assert.deepEqual(req.prompt, { systemInstruction: 'be brief', contents: [{ role: 'user', parts: [{ text: 'hi' }] }] });
    assert.deepEqual(req.attributes, {
      'gen_ai.request.model': 'gemini-2.5-pro',
      'gen_ai.request.max_tokens': 9,
      'gen_ai.request.temperature': 0,
      'gen_ai.request.top_p': 0.5,
      'gen_ai.request.top_k': 3,
      'gen_ai.request.stop_sequences': ['END'],
      'gen_ai.request.seed': 7,
      'gen_ai.request.choice.count': 2,
      'gen_ai.output.type': 'json',
      'gen_ai.request.stream': true,
      'server.address': 'generativelanguage.googleapis.com',
      'server.port': 443,
    });
    assert.ok(!JSON.stringify(req.attributes).includes('hi'), 'no content in attributes');
    const plain = GU.generateRequest({ model: 'gemini-2.5-flash', contents: 'hello' }, { vertex: true, server: {} }, false);
    assert.equal(plain.provider, 'gcp.vertex_ai');
    assert.equal(plain.prompt, 'hello');
    assert.deepEqual(plain.attributes, { 'gen_ai.request.model': 'gemini-2.5-flash' });
  });

  it('counts usageMetadata as GenAI usage: cached tokens inside the input, tool-use prompt as input, thinking as output', () => {
    assert.deepEqual(GU.usageOf({ promptTokenCount: 11, candidatesTokenCount: 6, thoughtsTokenCount: 5, cachedContentTokenCount: 4, toolUsePromptTokenCount: 2, totalTokenCount: 24 }), {
      usage: { inputTokens: 13, outputTokens: 11, cacheReadTokens: 4 },
      reasoningTokens: 5,
    });
    assert.deepEqual(GU.usageOf({ promptTokenCount: 3, candidatesTokenCount: 0, cachedContentTokenCount: 0 }), {
      usage: { inputTokens: 3, outputTokens: 0, cacheReadTokens: undefined },
      reasoningTokens: undefined,
    });
    assert.deepEqual(
      GU.usageOf(undefined),
      { usage: { inputTokens: undefined, outputTokens: undefined, cacheReadTokens: undefined }, reasoningTokens: undefined },
      'no usage: no tokens, never guessed',
    );
  });

  it('reads a GenerateContentResponse: model version, response id, finish reasons, candidates', () => {
    const o = GU.generateOutcome({
      candidates: [
        { content: { role: 'model', parts: [{ text: 'a' }] }, finishReason: 'STOP', index: 0 },
        { content: { role: 'model', parts: [{ text: 'b' }] }, finishReason: 'MAX_TOKENS', index: 1 },
      ],
      modelVersion: 'gemini-2.5-flash-002',
      responseId: 'r1',
      usageMetadata: { promptTokenCount: 2, candidatesTokenCount: 3, thoughtsTokenCount: 1 },
    });
    assert.equal(o.responseModel, 'gemini-2.5-flash-002');
    assert.equal(o.responseId, 'r1');
    assert.deepEqual(o.finishReasons, ['STOP', 'MAX_TOKENS']);
    assert.deepEqual(o.usage, { inputTokens: 2, outputTokens: 4, cacheReadTokens: undefined });
    assert.deepEqual(o.attributes, { 'gen_ai.usage.reasoning.output_tokens': 1 });
    assert.deepEqual(o.completion, [
      { role: 'model', parts: [{ text: 'a' }] },
      { role: 'model', parts: [{ text: 'b' }] },
    ]);
    assert.deepEqual(GU.generateOutcome({}).finishReasons, []);
  });

  it('assembles a stream: text pieces joined, function calls kept, usage from the last chunk, time to first chunk', () => {
    let t = 1000;
    const acc = new GU.GenerateStreamAccumulator(true, 1000, () => t);
    t = 1250;
    acc.add({
      candidates: [{ content: { role: 'model', parts: [{ text: 'Hel' }] }, index: 0 }],
      modelVersion: 'gemini-2.5-flash',
      responseId: 'r1',
      usageMetadata: { promptTokenCount: 11, totalTokenCount: 11 },
    });
    t = 1400;
    acc.add({ candidates: [{ content: { role: 'model', parts: [{ text: 'lo' }] }, index: 0 }], usageMetadata: { promptTokenCount: 11, totalTokenCount: 11 } });
    acc.add({
      candidates: [{ content: { role: 'model', parts: [{ functionCall: { name: 'add', args: { a: 1 } } }] }, finishReason: 'STOP', index: 0 }],
      usageMetadata: { promptTokenCount: 11, candidatesTokenCount: 6, thoughtsTokenCount: 5, cachedContentTokenCount: 4 },
    });
    const o = acc.outcome();
    assert.equal(o.responseModel, 'gemini-2.5-flash');
    assert.equal(o.responseId, 'r1');
    assert.deepEqual(o.finishReasons, ['STOP']);
    assert.deepEqual(o.usage, { inputTokens: 11, outputTokens: 11, cacheReadTokens: 4 });
    assert.deepEqual(o.completion, [{ role: 'model', parts: [{ text: 'Hello' }, { functionCall: { name: 'add', args: { a: 1 } } }] }]);
    assert.deepEqual(o.attributes, { 'gen_ai.usage.reasoning.output_tokens': 5, 'gen_ai.response.time_to_first_chunk': 0.25 });

    const blind = new GU.GenerateStreamAccumulator(false);
    blind.add({ candidates: [{ content: { role: 'model', parts: [{ text: 'secret' }] }, finishReason: 'STOP' }] });
    assert.equal(blind.outcome().completion, undefined);
    assert.deepEqual(blind.outcome().finishReasons, ['STOP']);
    assert.equal(blind.outcome().attributes?.['gen_ai.response.time_to_first_chunk'], undefined, 'no start time, no measure');
    assert.deepEqual(new GU.GenerateStreamAccumulator(true).outcome().usage, { inputTokens: undefined, outputTokens: undefined, cacheReadTokens: undefined });
  });

  it('keeps thought text apart from the answer when joining pieces', () => {
    const acc = new GU.GenerateStreamAccumulator(true);
    acc.add({ candidates: [{ content: { role: 'model', parts: [{ text: 'hmm', thought: true }] } }] });
    acc.add({ candidates: [{ content: { role: 'model', parts: [{ text: ' ok', thought: true }, { text: 'Yes' }] } }] });
    acc.add({ candidates: [{ content: { role: 'model', parts: [{ text: '.' }] } }] });
    assert.deepEqual(acc.outcome().completion, [{ role: 'model', parts: [{ text: 'hmm ok', thought: true }, { text: 'Yes.' }] }]);
  });

  it('maps embeddings: requested and returned dimensions, Vertex token counts summed', () => {
    const req = GU.embedRequest({ model: 'text-embedding-004', contents: ['a', 'b'], config: { outputDimensionality: 64 } }, gemini);
    assert.equal(req.operation, 'embeddings');
    assert.equal(req.streaming, false);
    assert.deepEqual(req.prompt, ['a', 'b']);
    assert.equal(req.attributes['gen_ai.embeddings.dimension.count'], 64);
    const gem = GU.embedOutcome({ embeddings: [{ values: [0.1, 0.2, 0.3] }, { values: [0.4, 0.5, 0.6] }] });
    assert.equal(gem.usage.inputTokens, undefined, 'the Gemini API reports no embedding tokens');
    assert.equal(gem.attributes?.['gen_ai.embeddings.dimension.count'], 3);
    const vertex = GU.embedOutcome({
      embeddings: [
        { values: [1], statistics: { tokenCount: 5 } },
        { values: [2], statistics: { tokenCount: 7 } },
      ],
    });
    assert.equal(vertex.usage.inputTokens, 12);
  });

  it('prices Gemini usage like any model: overrides first, then the source, cached input at its rate', () => {
    const o = GU.generateOutcome({ modelVersion: 'gemini-x', usageMetadata: { promptTokenCount: 11, candidatesTokenCount: 6, thoughtsTokenCount: 5, cachedContentTokenCount: 4 } });
    assert.equal(costUsd({ 'gemini-x': { input: 1, output: 2, cacheRead: 0.5 } }, o.responseModel, o.usage, 'gcp.gemini'), 0.000031);
    assert.equal(costUsd(NO_OVERRIDES, o.responseModel, o.usage, 'gcp.gemini'), undefined, 'unknown to the source: no cost');
    // gemini-2.5-flash: 0.30 in, 0.03 cached, 2.50 out per 1M (thinking tokens are output tokens).
    const cost = costUsd(NO_OVERRIDES, 'gemini-2.5-flash', o.usage, 'gcp.vertex_ai');
    assert.ok(cost !== undefined && Math.abs(cost - (7 * 0.3 + 4 * 0.03 + 11 * 2.5) / 1e6) < 1e-12, String(cost));
  });
});

describe('async iterator observation (in place)', () => {
  async function* gen(items: number[], failAt?: number): AsyncGenerator<number> {
    for (const [i, item] of items.entries()) {
      if (i === failAt) throw new TypeError('terminated');
      yield item;
    }
  }

  function watch(it: unknown): { chunks: number[]; ends: Array<[StreamEnd, unknown]> } {
    const seen = { chunks: [] as number[], ends: [] as Array<[StreamEnd, unknown]> };
    assert.equal(observeAsyncIterator<number>(it, { onChunk: (c) => seen.chunks.push(c), onEnd: (how, err) => seen.ends.push([how, err]) }), true);
    return seen;
  }

  it('keeps the very object, the same chunks, and ends once when read to the end', async () => {
    const it = gen([1, 2, 3]);
    const seen = watch(it);
    const got: number[] = [];
    for await (const c of it) got.push(c);
    assert.deepEqual(got, [1, 2, 3]);
    assert.deepEqual(seen.chunks, [1, 2, 3]);
    assert.deepEqual(seen.ends, [['done', undefined]]);
    assert.equal(Object.keys(it).length, 0, 'methods added to a native generator are not enumerable');
  });

  it('reports a break as abandoned, and an error as error with the same error rethrown', async () => {
    const it = gen([1, 2, 3]);
    const seen = watch(it);
    for await (const c of it) if (c === 1) break;
    assert.deepEqual(seen.ends, [['abandoned', undefined]]);

    const bad = gen([1, 2, 3], 1);
    const seenBad = watch(bad);
    let caught: unknown;
    try {
      for await (const _c of bad) void _c;
    } catch (err) {
      caught = err;
    }
    assert.ok(caught instanceof TypeError && caught.message === 'terminated');
    assert.equal(seenBad.ends.length, 1);
    assert.equal(seenBad.ends[0][0], 'error');
    assert.equal(seenBad.ends[0][1], caught);
  });

  it('replaces own methods keeping their enumerability, adds none the iterator lacks, and declines non-iterators', async () => {
    const inner = gen([7]);
    const custom = {
      next: () => inner.next(),
      [Symbol.asyncIterator]() {
        return this;
      },
    };
    const seen = watch(custom);
    assert.deepEqual(Object.keys(custom), ['next']);
    assert.equal('return' in custom, false);
    for await (const c of custom) void c;
    assert.deepEqual(seen.chunks, [7]);
    assert.equal(observeAsyncIterator({ next() {} }, { onChunk() {}, onEnd() {} }), false);
    assert.equal(observeAsyncIterator(null, { onChunk() {}, onEnd() {} }), false);
  });
});

describe('google-genai patching of the real SDK module', () => {
  const sdk = require('@google/genai') as { GoogleGenAI: new (o: object) => { models: Record<string, unknown> }; Models: { prototype: object } };

  it('wraps the per-instance methods of clients made after the patch, once, and unpatch stops it', () => {
    const before = new sdk.GoogleGenAI({ apiKey: 'k' });
    const inst = new GoogleGenAIInstrumentation({ enabled: false });
    inst.patch(sdk as never);
    inst.patch(sdk as never);
    try {
      const after = new sdk.GoogleGenAI({ apiKey: 'k' });
      for (const m of ['generateContent', 'generateContentStream', 'embedContent']) {
        assert.equal(typeof after.models[m], 'function', m);
        assert.notEqual(after.models[m], before.models[m], `${m} is wrapped`);
        assert.ok(Object.prototype.propertyIsEnumerable.call(after.models, m), `${m} is an own enumerable property, as assigned by the SDK`);
      }
      // The rest of Models is untouched.
      assert.equal(after.models.generateImages === undefined, false);
    } finally {
      inst.unpatch(sdk as never);
    }
    for (const m of ['generateContent', 'generateContentStream', 'embedContent']) assert.equal(Object.getOwnPropertyDescriptor(sdk.Models.prototype, m), undefined, m);
    const later = new sdk.GoogleGenAI({ apiKey: 'k' });
    assert.equal(String(later.models.generateContent), String(before.models.generateContent), "the SDK's own function again");
  });
});
