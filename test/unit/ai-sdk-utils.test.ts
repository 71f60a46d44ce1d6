/** The AI SDK mapping (instrumentations/ai-sdk/utils.ts) on the shapes of specification v2 to v4. */
import * as assert from 'node:assert/strict';
import { embedOutcome, finishReasons, generateOutcome, languageRequest, providerName, StreamPartsAccumulator, usageOf } from '../../instrumentations/ai-sdk/utils';

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
});
