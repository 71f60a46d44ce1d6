import * as assert from 'node:assert/strict';
import { BedrockInstrumentation } from '../../instrumentations/bedrock/instrumentation';
import * as U from '../../instrumentations/bedrock/utils';
import { observeAsyncIterable } from '../../instrumentations/genai/async-iterable';
import { costUsd, NO_OVERRIDES } from '../../src/shared/prices';
import { errorAttributes } from '../../instrumentations/genai/recorder';
import type { StreamEnd } from '../../instrumentations/genai/types';
import { InvokeStreamAccumulator } from '../../instrumentations/bedrock/invoke-stream';

const SERVER = { 'server.address': '127.0.0.1', 'server.port': 4000 };
const bytes = (v: unknown): Uint8Array => new Uint8Array(Buffer.from(JSON.stringify(v), 'utf8'));
const chunk = (v: unknown): unknown => ({ chunk: { bytes: bytes(v) } });

describe('bedrock mapping: model ids, prices and endpoints', () => {
  it('prices Bedrock ids from the source: regional and global profiles at their own prices, an ARN by its last segment', () => {
    for (const id of ['anthropic.claude-3-5-sonnet-20240620-v1:0', 'us.anthropic.claude-3-5-haiku-20241022-v1:0', 'global.amazon.nova-2-lite-v1:0']) assert.deepEqual(U.priceModels(id), [id], id);
    const arn = 'arn:aws:bedrock:us-east-1:123456789012:inference-profile/global.anthropic.claude-sonnet-4-5-20250929-v1:0';
    assert.deepEqual(U.priceModels(arn), [arn, 'global.anthropic.claude-sonnet-4-5-20250929-v1:0']);
    assert.deepEqual(U.priceModels(undefined), []);
    const million = { inputTokens: 1_000_000, outputTokens: 0 };
    // Claude Haiku 4.5: 1 USD per 1M input tokens globally, 10 % more in a Region (the source's figures).
    assert.equal(costUsd(NO_OVERRIDES, 'global.anthropic.claude-haiku-4-5-20251001-v1:0', million, 'aws.bedrock'), 1);
    assert.equal(costUsd(NO_OVERRIDES, 'eu.anthropic.claude-haiku-4-5-20251001-v1:0', million, 'aws.bedrock'), 1.1);
    assert.equal(costUsd(NO_OVERRIDES, 'amazon.nova-lite-v1:0', million, 'aws.bedrock'), 0.06);
    assert.equal(costUsd(NO_OVERRIDES, 'acme.unknown-model-v1:0', million, 'aws.bedrock'), undefined);
  });

  it('reads the ARN of a profile or model by its last segment', () => {
    assert.equal(U.baseModelId('arn:aws:bedrock:us-east-1:123456789012:inference-profile/us.meta.llama3-2-3b-instruct-v1:0'), 'us.meta.llama3-2-3b-instruct-v1:0');
    assert.equal(U.baseModelId('amazon.nova-micro-v1:0'), 'amazon.nova-micro-v1:0');
  });

  it('names the server of an explicit endpoint, else of the Region, never of a host it cannot know', () => {
    assert.deepEqual(U.endpointServer({ protocol: 'http:', hostname: '127.0.0.1', port: 4000, path: '/' }), SERVER);
    assert.deepEqual(U.endpointServer('https://vpce-1.bedrock-runtime.us-east-1.vpce.amazonaws.com'), { 'server.address': 'vpce-1.bedrock-runtime.us-east-1.vpce.amazonaws.com', 'server.port': 443 });
    assert.deepEqual(U.endpointServer({ protocol: 'https', hostname: '::1' }), { 'server.address': '::1', 'server.port': 443 });
    assert.deepEqual(U.endpointServer({ url: new URL('http://localhost:8080/') }), { 'server.address': 'localhost', 'server.port': 8080 });
    assert.deepEqual(U.endpointServer(undefined), {});
    assert.deepEqual(U.regionServer('eu-central-1', false, false), { 'server.address': 'bedrock-runtime.eu-central-1.amazonaws.com', 'server.port': 443 });
    assert.deepEqual(U.regionServer('us-gov-west-1', false, false), { 'server.address': 'bedrock-runtime.us-gov-west-1.amazonaws.com', 'server.port': 443 });
    for (const [region, fips, dual] of [
      ['us-east-1', true, false],
      ['us-east-1', false, true],
      ['cn-north-1', false, false],
      ['us-iso-east-1', false, false],
      [undefined, false, false],
    ] as const) {
      assert.deepEqual(U.regionServer(region, fips, dual), {}, String(region));
    }
  });
});

describe('bedrock mapping: Converse', () => {
  const input = {
    modelId: 'us.anthropic.claude-3-5-haiku-20241022-v1:0',
    system: [{ text: 'sys' }],
    messages: [{ role: 'user', content: [{ text: 'hi' }] }],
    inferenceConfig: { maxTokens: 100, temperature: 0, topP: 0.5, stopSequences: ['X', 'Y'] },
    guardrailConfig: { guardrailIdentifier: 'gr-1', guardrailVersion: '1' },
  };

  it('maps the request: parameters and server apart from the content', () => {
    const req = U.converseRequest(input, SERVER, true);
    assert.equal(req.provider, 'aws.bedrock');
    assert.equal(req.operation, 'chat');
    assert.equal(req.requestModel, input.modelId);
    assert.equal(req.streaming, true);
    assert.deepEqual(req.priceModels, [input.modelId]);
    assert.deepEqual(req.prompt, { system: input.system, messages: input.messages });
    assert.deepEqual(req.attributes, {
      'gen_ai.request.model': input.modelId,
      'gen_ai.request.max_tokens': 100,
      'gen_ai.request.temperature': 0,
      'gen_ai.request.top_p': 0.5,
      'gen_ai.request.stop_sequences': ['X', 'Y'],
      'aws.bedrock.guardrail.id': 'gr-1',
      'gen_ai.request.stream': true,
      ...SERVER,
    });
    assert.equal(U.converseRequest({ modelId: 'm', messages: [] }, {}, false).attributes['gen_ai.request.stream'], undefined);
    assert.deepEqual(U.converseRequest(undefined, {}, false).attributes, {});
  });

  it('counts cache reads and writes into the input tokens and reports them apart', () => {
    const out = U.converseOutcome({
      output: { message: { role: 'assistant', content: [{ text: 'ok' }] } },
      stopReason: 'max_tokens',
      usage: { inputTokens: 10, outputTokens: 3, totalTokens: 21, cacheReadInputTokens: 6, cacheWriteInputTokens: 2 },
      $metadata: { requestId: 'r-1', httpStatusCode: 200 },
    });
    assert.deepEqual(out.usage, { inputTokens: 18, outputTokens: 3, cacheReadTokens: 6, cacheCreationTokens: 2 });
    assert.deepEqual(out.finishReasons, ['max_tokens']);
    assert.deepEqual(out.completion, [{ role: 'assistant', content: [{ text: 'ok' }] }]);
    assert.deepEqual(out.attributes, { 'aws.request.id': 'r-1' });
    assert.deepEqual(U.converseUsage({ inputTokens: 4, outputTokens: 1, cacheReadInputTokens: 0 }), { inputTokens: 4, outputTokens: 1, cacheReadTokens: undefined, cacheCreationTokens: undefined });
    assert.deepEqual(U.converseOutcome(null).usage, { inputTokens: undefined, outputTokens: undefined, cacheReadTokens: undefined, cacheCreationTokens: undefined });
  });

  it('assembles a ConverseStream: text, reasoning and tool use deltas, stop reason, metadata usage', () => {
    const acc = new U.ConverseStreamAccumulator(true);
    for (const e of [
      { messageStart: { role: 'assistant' } },
      { contentBlockDelta: { contentBlockIndex: 0, delta: { reasoningContent: { text: 'think' } } } },
      { contentBlockDelta: { contentBlockIndex: 1, delta: { text: 'Hel' } } },
      { contentBlockDelta: { contentBlockIndex: 1, delta: { text: 'lo' } } },
      { contentBlockStart: { contentBlockIndex: 2, start: { toolUse: { toolUseId: 't1', name: 'add' } } } },
      { contentBlockDelta: { contentBlockIndex: 2, delta: { toolUse: { input: '{"a":' } } } },
      { contentBlockDelta: { contentBlockIndex: 2, delta: { toolUse: { input: '2}' } } } },
      { contentBlockStop: { contentBlockIndex: 2 } },
      { messageStop: { stopReason: 'tool_use' } },
      { metadata: { usage: { inputTokens: 5, outputTokens: 7, cacheReadInputTokens: 1 }, metrics: { latencyMs: 9 } } },
      { unknownEvent: {} },
    ]) {
      acc.add(e);
    }
    const out = acc.outcome();
    assert.deepEqual(out.usage, { inputTokens: 6, outputTokens: 7, cacheReadTokens: 1, cacheCreationTokens: undefined });
    assert.deepEqual(out.finishReasons, ['tool_use']);
    assert.deepEqual(out.completion, [
      { role: 'assistant', content: [{ reasoningContent: { reasoningText: { text: 'think' } } }, { text: 'Hello' }, { toolUse: { toolUseId: 't1', name: 'add', input: { a: 2 } } }] },
    ]);
    const off = new U.ConverseStreamAccumulator(false);
    off.add({ contentBlockDelta: { contentBlockIndex: 0, delta: { text: 'secret' } } });
    off.add({ metadata: { usage: { inputTokens: 1, outputTokens: 1 } } });
    assert.equal(off.outcome().completion, undefined);
    assert.equal(off.outcome().usage.inputTokens, 1);
  });
});

describe('bedrock mapping: InvokeModel bodies', () => {
  it('decodes JSON bodies given as text or bytes (any view of a buffer), and nothing else', () => {
    assert.deepEqual(U.decodeJson('{"a":1}'), { a: 1 });
    const buf = Buffer.from('xx{"b":2}yy', 'utf8');
    assert.deepEqual(U.decodeJson(new Uint8Array(buf.buffer, buf.byteOffset + 2, buf.length - 4)), { b: 2 });
    for (const bad of ['not json', '[1]', 'null', 42, undefined, { a: 1 }]) assert.equal(U.decodeJson(bad), undefined, String(bad));
  });

  it('tells the body family by model id (with region prefix or ARN), else by the body', () => {
    assert.equal(U.bodyFamily('anthropic.claude-3-haiku-20240307-v1:0', undefined), 'anthropic');
    assert.equal(U.bodyFamily('us.anthropic.claude-3-5-haiku-20241022-v1:0', undefined), 'anthropic');
    assert.equal(U.bodyFamily('arn:aws:bedrock:us-east-1::foundation-model/amazon.nova-pro-v1:0', undefined), 'nova');
    assert.equal(U.bodyFamily('us.meta.llama3-2-3b-instruct-v1:0', undefined), 'llama');
    assert.equal(U.bodyFamily('arn:aws:bedrock:us-east-1:1:application-inference-profile/abc', { anthropic_version: 'bedrock-2023-05-31', messages: [] }), 'anthropic');
    assert.equal(U.bodyFamily('arn:aws:bedrock:us-east-1:1:provisioned-model/abc', { schemaVersion: 'messages-v1', messages: [] }), 'nova');
    assert.equal(U.bodyFamily(undefined, { prompt: 'p', max_gen_len: 5 }), 'llama');
    assert.equal(U.bodyFamily('mistral.mistral-large-2402-v1:0', { prompt: 'p', max_tokens: 5 }), 'other');
    assert.equal(U.bodyFamily('amazon.titan-text-express-v1', undefined), 'other');
  });

  it('maps each family’s request parameters and prompt', () => {
    const a = U.invokeRequest(
      'anthropic.claude-3-haiku-20240307-v1:0',
      'anthropic',
      { anthropic_version: 'bedrock-2023-05-31', max_tokens: 9, temperature: 1, top_p: 0.9, top_k: 5, stop_sequences: ['S'], system: 'sys', messages: [{ role: 'user', content: 'hi' }] },
      {},
      false,
    );
    assert.equal(a.operation, 'chat');
    assert.deepEqual(a.prompt, { system: 'sys', messages: [{ role: 'user', content: 'hi' }] });
    assert.deepEqual(a.attributes, {
      'gen_ai.request.model': 'anthropic.claude-3-haiku-20240307-v1:0',
      'gen_ai.request.max_tokens': 9,
      'gen_ai.request.temperature': 1,
      'gen_ai.request.top_p': 0.9,
      'gen_ai.request.top_k': 5,
      'gen_ai.request.stop_sequences': ['S'],
    });
    const n = U.invokeRequest(
      'amazon.nova-lite-v1:0',
      'nova',
      { messages: [{ role: 'user', content: [{ text: 'hi' }] }], inferenceConfig: { max_new_tokens: 7, temperature: 0.1, top_p: 0.2, topK: 3, stopSequences: ['Z'] } },
      {},
      true,
    );
    assert.deepEqual(n.attributes, {
      'gen_ai.request.model': 'amazon.nova-lite-v1:0',
      'gen_ai.request.max_tokens': 7,
      'gen_ai.request.temperature': 0.1,
      'gen_ai.request.top_p': 0.2,
      'gen_ai.request.top_k': 3,
      'gen_ai.request.stop_sequences': ['Z'],
      'gen_ai.request.stream': true,
    });
    const l = U.invokeRequest('meta.llama3-8b-instruct-v1:0', 'llama', { prompt: 'Once', max_gen_len: 20, temperature: 0.5, top_p: 0.7 }, {}, false);
    assert.equal(l.operation, 'text_completion');
    assert.equal(l.prompt, 'Once');
    assert.equal(l.attributes['gen_ai.request.max_tokens'], 20);
    assert.equal(U.invokeRequest('amazon.titan-embed-text-v2:0', 'other', { inputText: 'x' }, {}, false).operation, 'embeddings');
    assert.equal(U.invokeRequest('mistral.mistral-small-2402-v1:0', 'other', { prompt: 'x', max_tokens: 3 }, {}, false).operation, 'text_completion');
    assert.equal(U.invokeRequest('cohere.command-r-v1:0', 'other', undefined, {}, false).operation, 'chat');
  });

  it('reads each family’s response body', () => {
    const a = U.invokeOutcome('anthropic', {
      id: 'msg_1',
      model: 'claude-3-haiku-20240307',
      role: 'assistant',
      content: [{ type: 'text', text: 'ok' }],
      stop_reason: 'end_turn',
      usage: { input_tokens: 11, cache_read_input_tokens: 5, cache_creation_input_tokens: 3, output_tokens: 9 },
    });
    assert.equal(a.responseModel, 'claude-3-haiku-20240307');
    assert.equal(a.responseId, 'msg_1');
    assert.deepEqual(a.usage, { inputTokens: 19, outputTokens: 9, cacheReadTokens: 5, cacheCreationTokens: 3 });
    assert.deepEqual(a.finishReasons, ['end_turn']);
    const n = U.invokeOutcome('nova', {
      output: { message: { role: 'assistant', content: [{ text: 'ok' }] } },
      stopReason: 'end_turn',
      usage: { inputTokens: 14, outputTokens: 6, cacheReadInputTokenCount: 4 },
    });
    assert.deepEqual(n.usage, { inputTokens: 18, outputTokens: 6, cacheReadTokens: 4, cacheCreationTokens: undefined });
    assert.deepEqual(n.completion, [{ role: 'assistant', content: [{ text: 'ok' }] }]);
    const l = U.invokeOutcome('llama', { generation: 'ok', prompt_token_count: 16, generation_token_count: 7, stop_reason: 'length' });
    assert.deepEqual(l.usage, { inputTokens: 16, outputTokens: 7 });
    assert.deepEqual(l.finishReasons, ['length']);
    assert.deepEqual(l.completion, [{ role: 'assistant', content: 'ok' }]);
    assert.deepEqual(U.invokeOutcome('llama', { generation_count: 3 }).usage, { inputTokens: undefined, outputTokens: 3 });
    assert.deepEqual(U.invokeOutcome('other', { outputs: [{ text: 'ok' }] }).usage, {});
    assert.deepEqual(U.invokeOutcome('anthropic', undefined).usage, { inputTokens: undefined, outputTokens: undefined, cacheReadTokens: undefined, cacheCreationTokens: undefined });
  });

  it('assembles InvokeModel streams per family; the model’s own usage wins over the invocation metrics', () => {
    const metrics = { 'amazon-bedrock-invocationMetrics': { inputTokenCount: 99, outputTokenCount: 98, invocationLatency: 1, firstByteLatency: 1 } };
    const anthropic = new InvokeStreamAccumulator('anthropic', true);
    for (const e of [
      { type: 'message_start', message: { id: 'msg_2', model: 'claude-3-haiku-20240307', usage: { input_tokens: 11, cache_read_input_tokens: 5, output_tokens: 1 } } },
      { type: 'content_block_start', index: 0, content_block: { type: 'text', text: '' } },
      { type: 'content_block_delta', index: 0, delta: { type: 'text_delta', text: 'Hi' } },
      { type: 'message_delta', delta: { stop_reason: 'end_turn' }, usage: { output_tokens: 9 } },
      { type: 'message_stop', ...metrics },
    ]) {
      anthropic.add(chunk(e));
    }
    const a = anthropic.outcome();
    assert.deepEqual(a.usage, { inputTokens: 16, outputTokens: 9, cacheReadTokens: 5, cacheCreationTokens: undefined });
    assert.equal(a.responseId, 'msg_2');
    assert.deepEqual(a.completion, [{ role: 'assistant', content: [{ type: 'text', text: 'Hi' }] }]);

    const nova = new InvokeStreamAccumulator('nova', true);
    for (const e of [
      { messageStart: { role: 'assistant' } },
      { contentBlockDelta: { delta: { text: 'Yo' }, contentBlockIndex: 0 } },
      { messageStop: { stopReason: 'end_turn' } },
      { metadata: { usage: { inputTokens: 14, outputTokens: 6 } }, ...metrics },
    ]) {
      nova.add(chunk(e));
    }
    assert.deepEqual(nova.outcome().usage, { inputTokens: 14, outputTokens: 6, cacheReadTokens: undefined, cacheCreationTokens: undefined });
    assert.deepEqual(nova.outcome().completion, [{ role: 'assistant', content: [{ text: 'Yo' }] }]);

    const llama = new InvokeStreamAccumulator('llama', true);
    for (const e of [
      { generation: 'A', prompt_token_count: 16, generation_token_count: 1, stop_reason: null },
      { generation: 'B', prompt_token_count: null, generation_token_count: 2, stop_reason: null },
      { generation: '', prompt_token_count: null, generation_token_count: 7, stop_reason: 'stop', ...metrics },
    ]) {
      llama.add(chunk(e));
    }
    const { output, ...rest } = llama.outcome();
    assert.deepEqual(rest, { finishReasons: ['stop'], usage: { inputTokens: 16, outputTokens: 7 }, completion: [{ role: 'assistant', content: 'AB' }] });
    assert.deepEqual(output?.(), [{ role: 'assistant', parts: [{ type: 'text', content: 'AB' }], finish_reason: 'stop' }]);

    const other = new InvokeStreamAccumulator('other', true);
    other.add(chunk({ outputs: [{ text: 'x' }] }));
    other.add(chunk({ outputs: [{ text: '' }], 'amazon-bedrock-invocationMetrics': { inputTokenCount: 21, outputTokenCount: 13, cacheReadInputTokenCount: 4 } }));
    assert.deepEqual(other.outcome().usage, { inputTokens: 25, outputTokens: 13, cacheReadTokens: 4, cacheCreationTokens: undefined });

    // Not chunks (an error event the SDK would throw, garbage bytes): ignored.
    const quiet = new InvokeStreamAccumulator('llama', false);
    quiet.add({ chunk: { bytes: new Uint8Array([0xff, 0x00]) } });
    quiet.add({ internalServerException: { message: 'x' } });
    quiet.add(chunk({ generation: 'secret', prompt_token_count: 2, generation_token_count: 1 }));
    assert.deepEqual(quiet.outcome(), { finishReasons: [], usage: { inputTokens: 2, outputTokens: 1 }, completion: undefined });
  });
});

describe('genai: observing a plain async iterable in place', () => {
  function source(values: unknown[], failAt?: number): { [Symbol.asyncIterator](): AsyncGenerator<unknown> } {
    return {
      async *[Symbol.asyncIterator]() {
        for (let i = 0; i < values.length; i++) {
          if (i === failAt) throw new Error('cut');
          yield values[i];
        }
      },
    };
  }
  function watch(iterable: unknown): { seen: unknown[]; ends: Array<[StreamEnd, unknown]> } {
    const log = { seen: [] as unknown[], ends: [] as Array<[StreamEnd, unknown]> };
    assert.equal(observeAsyncIterable(iterable, { onChunk: (c) => log.seen.push(c), onEnd: (how, err) => log.ends.push([how, err]) }), true);
    return log;
  }

  it('passes every value through, on the same object, and ends once when read to the end', async () => {
    const values = [{ a: 1 }, 'b', 3];
    const it = source(values);
    const descBefore = Object.getOwnPropertyDescriptor(it, Symbol.asyncIterator);
    const log = watch(it);
    assert.equal(Object.getOwnPropertyDescriptor(it, Symbol.asyncIterator)?.enumerable, descBefore?.enumerable);
    const got: unknown[] = [];
    for await (const v of it) got.push(v);
    assert.deepEqual(got, values);
    assert.equal(got[0], values[0], 'the very objects');
    assert.deepEqual(log.seen, values);
    assert.deepEqual(log.ends, [['done', undefined]]);
  });

  it('reports a caller leaving early as abandoned, and an error as the error the caller gets', async () => {
    const a = source([1, 2, 3]);
    const la = watch(a);
    for await (const v of a) if (v === 2) break;
    assert.deepEqual(la.ends, [['abandoned', undefined]]);
    const b = source([1, 2, 3], 1);
    const lb = watch(b);
    await assert.rejects(async () => {
      for await (const _v of b) void _v;
    }, /cut/);
    assert.equal(lb.ends.length, 1);
    assert.equal(lb.ends[0][0], 'error');
    assert.match(String(lb.ends[0][1]), /cut/);
  });

  it('leaves what it cannot observe untouched', () => {
    for (const v of [null, undefined, 1, 'str', {}, { [Symbol.asyncIterator]: 'no' }]) assert.equal(observeAsyncIterable(v, { onChunk: () => undefined, onEnd: () => undefined }), false);
    const frozen = Object.freeze(source([1]));
    assert.equal(observeAsyncIterable(frozen, { onChunk: () => undefined, onEnd: () => undefined }), false);
  });
});

describe('genai: error attributes of AWS SDK errors', () => {
  it('takes the HTTP status from $metadata and the type from the error class', () => {
    class ThrottlingException extends Error {
      $metadata = { httpStatusCode: 429, requestId: 'r' };
    }
    assert.deepEqual(errorAttributes(new ThrottlingException('slow down')), { 'error.type': 'ThrottlingException', 'http.response.status_code': 429 });
    assert.deepEqual(errorAttributes(new Error('Truncated event message received.')), { 'error.type': 'Error' });
  });
});

describe('bedrock instrumentation: patching the client', () => {
  const sdk = require('@aws-sdk/client-bedrock-runtime') as { BedrockRuntimeClient: { prototype: Record<string, unknown> } };
  const proto = sdk.BedrockRuntimeClient.prototype;

  it('wraps send once, as an own property over the inherited one, and restores the inheritance', () => {
    const inherited = Object.getPrototypeOf(proto).send;
    assert.equal(Object.prototype.hasOwnProperty.call(proto, 'send'), false);
    const inst = new BedrockInstrumentation({ enabled: false });
    inst.patch(sdk);
    const wrapped = proto.send;
    assert.notEqual(wrapped, inherited);
    inst.patch(sdk);
    assert.equal(proto.send, wrapped, 'patched once');
    assert.equal(Object.getPrototypeOf(proto).send, inherited, 'the Smithy client every AWS client shares is untouched');
    // Not a Bedrock LLM command: the SDK's own behaviour, here its TypeError for a client without config.
    const bare = Object.create(proto) as { send(c: unknown): unknown };
    let theirs: Error | undefined;
    try {
      (inherited as (c: unknown) => unknown).call(bare, { input: {} });
    } catch (err) {
      theirs = err as Error;
    }
    assert.ok(theirs instanceof TypeError);
    assert.throws(
      () => bare.send({ input: {} }),
      (err: Error) => err.constructor === theirs!.constructor && err.message === theirs!.message,
    );
    inst.unpatch(sdk);
    assert.equal(Object.prototype.hasOwnProperty.call(proto, 'send'), false);
    assert.equal(proto.send, inherited);
  });
});
