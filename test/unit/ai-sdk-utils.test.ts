/** The AI SDK mapping (instrumentations/ai-sdk/utils.ts) on the shapes of specification v2 to v4. */
import * as assert from 'node:assert/strict';
import { defaultProvider, resolveModelId } from '../../instrumentations/ai-sdk/resolve';
import { embedOutcome, embedRequest, finishReasons, generateOutcome, languageRequest, providerName, servedBy, StreamPartsAccumulator, usageOf } from '../../instrumentations/ai-sdk/utils';

describe('AI SDK mapping', () => {
  it("names the provider from the model's provider id", () => {
    assert.equal(providerName('openai.responses'), 'openai');
    assert.equal(providerName('openai.chat'), 'openai');
    assert.equal(providerName('anthropic.messages'), 'anthropic');
    assert.equal(providerName('google.generative-ai'), 'gcp.gemini');
    assert.equal(providerName('google.vertex.chat'), 'gcp.vertex_ai');
    assert.equal(providerName('amazon-bedrock'), 'aws.bedrock');
    assert.equal(providerName('my-gateway.chat'), 'my-gateway');
    assert.equal(providerName(undefined), 'unknown');
  });

  it('reads usage of specification v3/v4 (objects) and v2 (numbers)', () => {
    assert.deepEqual(usageOf({ inputTokens: { total: 20, noCache: 14, cacheRead: 6, cacheWrite: 0 }, outputTokens: { total: 9, text: 7, reasoning: 2 } }), {
      inputTokens: 20,
      outputTokens: 9,
      cacheReadTokens: 6,
      cacheCreationTokens: undefined,
      reasoningTokens: 2,
    });
    assert.deepEqual(usageOf({ inputTokens: 12, outputTokens: 7, cachedInputTokens: 4 }), { inputTokens: 12, outputTokens: 7, cacheReadTokens: 4, reasoningTokens: undefined });
    assert.deepEqual(usageOf(undefined), { inputTokens: undefined, outputTokens: undefined, cacheReadTokens: undefined, reasoningTokens: undefined });
    assert.deepEqual(usageOf({ inputTokens: { total: -1 }, outputTokens: { total: Number.NaN } }).inputTokens, undefined);
  });

  it("prefers the provider's own finish reason over the unified one", () => {
    assert.deepEqual(finishReasons({ unified: 'tool-calls', raw: 'tool_calls' }), ['tool_calls']);
    assert.deepEqual(finishReasons({ unified: 'stop' }), ['stop']);
    assert.deepEqual(finishReasons('length'), ['length']);
    assert.deepEqual(finishReasons(null), []);
  });

  it('maps call options to request attributes, never content', () => {
    const req = languageRequest(
      { provider: 'openai.chat', modelId: 'gpt-4o-mini' },
      { prompt: [{ role: 'user', content: 'secret' }], maxOutputTokens: 100, temperature: 0.2, topK: 3, stopSequences: ['x'], responseFormat: { type: 'json' } },
      true,
    );
    assert.equal(req.provider, 'openai');
    assert.equal(req.requestModel, 'gpt-4o-mini');
    assert.deepEqual(req.attributes, {
      'gen_ai.request.model': 'gpt-4o-mini',
      'gen_ai.request.max_tokens': 100,
      'gen_ai.request.temperature': 0.2,
      'gen_ai.request.top_k': 3,
      'gen_ai.request.stop_sequences': ['x'],
      'gen_ai.output.type': 'json',
      'gen_ai.request.stream': true,
    });
    assert.ok(!JSON.stringify(req.attributes).includes('secret'));
  });

  it('reads a doGenerate result, with content only when captured', () => {
    const result = {
      content: [{ type: 'text', text: 'hi' }],
      finishReason: { unified: 'stop' },
      usage: { inputTokens: { total: 5 }, outputTokens: { total: 2, reasoning: 1 } },
      response: { id: 'r1', modelId: 'm-2024' },
    };
    const o = generateOutcome(result, true);
    assert.equal(o.responseModel, 'm-2024');
    assert.equal(o.responseId, 'r1');
    assert.deepEqual(o.completion, [{ type: 'text', text: 'hi' }]);
    assert.deepEqual(o.attributes, { 'gen_ai.usage.reasoning.output_tokens': 1 });
    assert.equal(generateOutcome(result, false).completion, undefined);
  });

  it('follows stream parts: metadata, text, tool calls, the finish part, an error part', () => {
    const acc = new StreamPartsAccumulator(true);
    for (const p of [
      { type: 'stream-start' },
      { type: 'response-metadata', id: 'resp_1', modelId: 'gpt-4o-mini-2024-07-18' },
      { type: 'text-delta', delta: 'Hel' },
      { type: 'text-delta', textDelta: 'lo' },
      { type: 'tool-call', toolCallId: 'c1', toolName: 'add', input: '{"a":1}' },
      { type: 'finish', finishReason: { unified: 'tool-calls' }, usage: { inputTokens: { total: 12, cacheRead: 4 }, outputTokens: { total: 7 } } },
    ])
      acc.add(p);
    const o = acc.outcome();
    assert.equal(o.responseId, 'resp_1');
    assert.deepEqual(o.finishReasons, ['tool-calls']);
    assert.deepEqual([o.usage.inputTokens, o.usage.outputTokens, o.usage.cacheReadTokens], [12, 7, 4]);
    assert.deepEqual(o.completion, [
      { type: 'text', text: 'Hello' },
      { type: 'tool-call', toolCallId: 'c1', toolName: 'add', input: '{"a":1}' },
    ]);
    assert.equal(acc.error, undefined);
    const failing = new StreamPartsAccumulator(false);
    failing.add({ type: 'error', error: new Error('boom') });
    assert.equal((failing.error as Error).message, 'boom');
    assert.equal(failing.outcome().completion, undefined);
  });

  it('reads a doEmbed result: tokens as input tokens, the dimension count', () => {
    assert.deepEqual(embedOutcome({ embeddings: [[1, 2, 3]], usage: { tokens: 8 } }), { responseModel: undefined, usage: { inputTokens: 8 }, attributes: { 'gen_ai.embeddings.dimension.count': 3 } });
  });

  it('prices an AI Gateway model by the provider and model its id names, and says the gateway carried it', () => {
    assert.deepEqual(servedBy({ provider: 'gateway', modelId: 'openai/gpt-4o-mini' }), { provider: 'openai', priceModels: ['gpt-4o-mini'], attributes: { 'agentops.ai_sdk.provider': 'gateway' } });
    assert.deepEqual(servedBy({ provider: 'gateway', modelId: 'anthropic/claude-3-5-haiku' }).provider, 'anthropic');
    for (const modelId of ['gpt-4o-mini', '/x', 'openai/', undefined]) assert.deepEqual(servedBy({ provider: 'gateway', modelId }), { provider: 'gateway', attributes: {} }, String(modelId));
    assert.deepEqual(servedBy({ provider: 'openai.chat', modelId: 'org/model' }), { provider: 'openai', attributes: {} });
    const req = languageRequest({ provider: 'gateway', modelId: 'openai/gpt-4o-mini' }, {}, false);
    assert.equal(req.requestModel, 'openai/gpt-4o-mini');
    assert.deepEqual(req.priceModels, ['gpt-4o-mini']);
    assert.equal(embedRequest({ provider: 'gateway', modelId: 'openai/text-embedding-3-small' }, {}).provider, 'openai');
  });
});

describe('AI SDK model ids', () => {
  const model = (spec: string) => ({ specificationVersion: spec, provider: 'p', modelId: 'm' });

  it('resolves a string id through the provider, as the SDK does, language or embedding model', () => {
    const seen: string[] = [];
    const provider = Object.assign((id: string) => model(id), {
      languageModel: (id: string) => (seen.push(`language ${id}`), model('v3')),
      embeddingModel: (id: string) => (seen.push(`embedding ${id}`), model('v4')),
    });
    assert.equal((resolveModelId('gpt-4o', 'language', provider) as { specificationVersion: string }).specificationVersion, 'v3');
    assert.equal((resolveModelId('emb', 'embedding', provider) as { specificationVersion: string }).specificationVersion, 'v4');
    assert.deepEqual(seen, ['language gpt-4o', 'embedding emb']);
    const object = model('v2');
    assert.equal(resolveModelId(object, 'language', provider), object);
  });

  it('leaves the string for the SDK when it does not resolve cleanly: no provider, a throw, a model the SDK would not take', () => {
    for (const provider of [
      undefined,
      null,
      'text',
      {},
      { languageModel: 'x' },
      {
        languageModel: () => {
          throw new Error('no such model');
        },
      },
      { languageModel: () => model('v1') },
      { languageModel: () => undefined },
    ]) {
      assert.equal(resolveModelId('gpt-4o', 'language', provider), 'gpt-4o');
    }
  });

  it('takes the global provider first, else the gateway', () => {
    const g = globalThis as { AI_SDK_DEFAULT_PROVIDER?: unknown };
    const gateway = { name: 'gateway' };
    assert.equal(defaultProvider(gateway), gateway);
    g.AI_SDK_DEFAULT_PROVIDER = { name: 'global' };
    try {
      assert.equal(defaultProvider(gateway), g.AI_SDK_DEFAULT_PROVIDER);
    } finally {
      delete g.AI_SDK_DEFAULT_PROVIDER;
    }
  });
});
