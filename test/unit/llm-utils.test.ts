import * as assert from 'node:assert/strict';
import * as AU from '../../instrumentations/anthropic/utils';
import { costUsd, NO_OVERRIDES } from '../../src/shared/prices';
import { serverAttributes } from '../../instrumentations/genai/utils';
import * as OU from '../../instrumentations/openai/utils';

describe('openai mapping', () => {
  const server = serverAttributes('https://api.openai.com/v1');
  it('names Azure OpenAI clients by their own provider name', () => {
    class OpenAI {}
    class AzureOpenAI extends OpenAI {}
    assert.equal(OU.providerOf(new AzureOpenAI(), AzureOpenAI), 'azure.ai.openai');
    assert.equal(OU.providerOf(new OpenAI(), AzureOpenAI), 'openai');
    assert.equal(OU.providerOf(new OpenAI(), undefined), 'openai', 'an SDK without AzureOpenAI');
    assert.equal(OU.providerOf(undefined, AzureOpenAI), 'openai');
    const req = OU.chatRequest({ model: 'my-deployment' }, server);
    assert.equal(OU.withProvider(req, 'azure.ai.openai').provider, 'azure.ai.openai');
    assert.equal(OU.withProvider(req, 'openai'), req);
  });

  it('maps request parameters, server and content separately', () => {
    assert.deepEqual(server, { 'server.address': 'api.openai.com', 'server.port': 443 });
    const req = OU.chatRequest(
      { model: 'gpt-4o', messages: [{ role: 'user', content: 'hi' }], max_completion_tokens: 9, temperature: 0, stop: 'END', n: 2, stream: true, response_format: { type: 'json_object' } },
      server,
    );
    assert.equal(req.streaming, true);
    assert.deepEqual(req.prompt, [{ role: 'user', content: 'hi' }]);
    assert.deepEqual(req.attributes, {
      'gen_ai.request.model': 'gpt-4o',
      'gen_ai.request.max_tokens': 9,
      'gen_ai.request.temperature': 0,
      'gen_ai.request.stop_sequences': ['END'],
      'gen_ai.request.choice.count': 2,
      'gen_ai.output.type': 'json',
      'server.address': 'api.openai.com',
      'server.port': 443,
    });
    assert.ok(!JSON.stringify(req.attributes).includes('hi'), 'no content in attributes');
  });

  it('assembles a streamed chat completion, its tool calls and the final usage chunk', () => {
    const acc = new OU.ChatStreamAccumulator(true);
    acc.add({ id: 'c1', model: 'gpt-4o-2024-08-06', choices: [{ index: 0, delta: { role: 'assistant', content: 'He' } }] });
    acc.add({ id: 'c1', choices: [{ index: 0, delta: { content: 'y', tool_calls: [{ index: 0, id: 't1', type: 'function', function: { name: 'add', arguments: '{"a":' } }] } }] });
    acc.add({ id: 'c1', choices: [{ index: 0, delta: { tool_calls: [{ index: 0, function: { arguments: '1}' } }] }, finish_reason: 'tool_calls' }] });
    acc.add({ id: 'c1', choices: [], usage: { prompt_tokens: 5, completion_tokens: 3, prompt_tokens_details: { cached_tokens: 2 } } });
    const o = acc.outcome();
    assert.equal(o.responseId, 'c1');
    assert.equal(o.responseModel, 'gpt-4o-2024-08-06');
    assert.deepEqual(o.finishReasons, ['tool_calls']);
    assert.deepEqual(o.usage, { inputTokens: 5, outputTokens: 3, cacheReadTokens: 2 });
    assert.deepEqual(o.completion, [{ role: 'assistant', content: 'Hey', tool_calls: [{ id: 't1', type: 'function', function: { name: 'add', arguments: '{"a":1}' } }] }]);
    const blind = new OU.ChatStreamAccumulator(false);
    blind.add({ choices: [{ index: 0, delta: { content: 'secret' }, finish_reason: 'stop' }] });
    assert.equal(blind.outcome().completion, undefined);
    assert.deepEqual(blind.outcome().usage, { inputTokens: undefined, outputTokens: undefined, cacheReadTokens: undefined }, 'no usage chunk: no tokens, never guessed');
  });

  it('reads Responses API objects and the last response of a stream', () => {
    const acc = new OU.ResponsesStreamAccumulator();
    acc.add({ type: 'response.created', response: { id: 'r1', model: 'gpt-4.1', status: 'in_progress', usage: null } });
    acc.add({ type: 'response.output_text.delta', delta: 'x' });
    acc.add({
      type: 'response.incomplete',
      response: { id: 'r1', model: 'gpt-4.1', status: 'incomplete', incomplete_details: { reason: 'max_output_tokens' }, usage: { input_tokens: 3, output_tokens: 4 } },
    });
    const o = acc.outcome();
    assert.deepEqual(o.finishReasons, ['max_output_tokens']);
    assert.deepEqual(o.usage, { inputTokens: 3, outputTokens: 4, cacheReadTokens: undefined });
  });

  it('reads embeddings usage and dimensions', () => {
    const o = OU.embeddingsOutcome({ model: 'text-embedding-3-small', data: [{ embedding: [0.1, 0.2, 0.3] }], usage: { prompt_tokens: 4, total_tokens: 4 } });
    assert.equal(o.usage.inputTokens, 4);
    assert.equal(o.attributes?.['gen_ai.embeddings.dimension.count'], 3);
  });
});

describe('anthropic mapping', () => {
  it('counts cache reads and writes into the input tokens and reports them apart', () => {
    assert.deepEqual(AU.usageOf({ input_tokens: 10, cache_read_input_tokens: 6, cache_creation_input_tokens: 2, output_tokens: 8 }), {
      inputTokens: 18,
      outputTokens: 8,
      cacheReadTokens: 6,
      cacheCreationTokens: 2,
    });
    assert.deepEqual(AU.usageOf({}), { inputTokens: undefined, outputTokens: undefined, cacheReadTokens: undefined, cacheCreationTokens: undefined });
  });

  it('assembles a raw stream: message_start usage, deltas, tool input JSON, message_delta stop reason', () => {
    const acc = new AU.MessagesStreamAccumulator(true);
    acc.add({ type: 'message_start', message: { id: 'm1', model: 'claude-sonnet-4-20250514', usage: { input_tokens: 7, output_tokens: 1 } } });
    acc.add({ type: 'content_block_start', index: 0, content_block: { type: 'text', text: '' } });
    acc.add({ type: 'content_block_delta', index: 0, delta: { type: 'text_delta', text: 'Hi' } });
    acc.add({ type: 'content_block_start', index: 1, content_block: { type: 'tool_use', id: 'tu1', name: 'add', input: {} } });
    acc.add({ type: 'content_block_delta', index: 1, delta: { type: 'input_json_delta', partial_json: '{"a":' } });
    acc.add({ type: 'content_block_delta', index: 1, delta: { type: 'input_json_delta', partial_json: '2}' } });
    acc.add({ type: 'message_delta', delta: { stop_reason: 'tool_use' }, usage: { output_tokens: 12 } });
    const o = acc.outcome();
    assert.equal(o.responseId, 'm1');
    assert.deepEqual(o.finishReasons, ['tool_use']);
    assert.deepEqual(o.usage, { inputTokens: 7, outputTokens: 12, cacheReadTokens: undefined, cacheCreationTokens: undefined });
    assert.deepEqual(o.completion, [
      {
        role: 'assistant',
        content: [
          { type: 'text', text: 'Hi' },
          { type: 'tool_use', id: 'tu1', name: 'add', input: { a: 2 } },
        ],
      },
    ]);
    assert.ok((costUsd(NO_OVERRIDES, o.responseModel, o.usage, 'anthropic') ?? 0) > 0);
  });
});
