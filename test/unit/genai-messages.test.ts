/**
 * The conventions' structured messages (GenAI semconv 1.42.0 schemas): each provider mapping, and
 * the bounded JSON they become. `conforms` checks what the schemas require of each message and part.
 */
import * as assert from 'node:assert/strict';
import * as AM from '../../instrumentations/anthropic/messages';
import * as AU from '../../instrumentations/anthropic/utils';
import * as BU from '../../instrumentations/bedrock/utils';
import { boundedJson } from '../../instrumentations/genai/messages';
import * as OM from '../../instrumentations/openai/messages';
import * as GU from '../../instrumentations/google-genai/utils';
import * as OU from '../../instrumentations/openai/utils';

type Obj = Record<string, unknown>;

/** Required fields per part type, from gen-ai-input-messages.json / gen-ai-output-messages.json. */
const REQUIRED: Record<string, string[]> = {
  text: ['content'],
  reasoning: ['content'],
  tool_call: ['name'],
  tool_call_response: ['response'],
  server_tool_call: ['name', 'server_tool_call'],
  blob: ['modality', 'content'],
  uri: ['modality', 'uri'],
  file: ['modality', 'file_id'],
};

function conforms(messages: unknown, output: boolean): void {
  assert.ok(Array.isArray(messages), 'an array of messages');
  for (const m of messages as Obj[]) {
    assert.equal(typeof m.role, 'string', JSON.stringify(m));
    assert.ok(Array.isArray(m.parts), JSON.stringify(m));
    if (output) assert.equal(typeof m.finish_reason, 'string', JSON.stringify(m));
    parts(m.parts);
  }
}

function parts(list: unknown): void {
  for (const p of list as Obj[]) {
    assert.equal(typeof p.type, 'string', JSON.stringify(p));
    for (const k of REQUIRED[p.type as string] ?? []) assert.ok(p[k] !== undefined && p[k] !== null, `${String(p.type)} needs ${k}: ${JSON.stringify(p)}`);
    if (p.type === 'text' || p.type === 'reasoning') assert.equal(typeof p.content, 'string');
  }
}

describe('GenAI structured messages: OpenAI', () => {
  it('maps a Chat Completions history: system kept in the history, images, tool calls and results', () => {
    const c = OM.chatInput([
      { role: 'system', content: 'Be terse.' },
      {
        role: 'user',
        content: [
          { type: 'text', text: 'What is this?' },
          { type: 'image_url', image_url: { url: 'data:image/png;base64,iVBORw0K' } },
          { type: 'image_url', image_url: { url: 'https://x/y.png' } },
        ],
      },
      { role: 'assistant', content: null, tool_calls: [{ id: 'call_1', type: 'function', function: { name: 'lookup', arguments: '{"q":"png"}' } }] },
      { role: 'tool', tool_call_id: 'call_1', content: 'a picture' },
    ]);
    assert.equal(c.system, undefined);
    assert.deepEqual(c.messages, [
      { role: 'system', parts: [{ type: 'text', content: 'Be terse.' }] },
      {
        role: 'user',
        parts: [
          { type: 'text', content: 'What is this?' },
          { type: 'blob', modality: 'image', mime_type: 'image/png', content: 'iVBORw0K' },
          { type: 'uri', modality: 'image', uri: 'https://x/y.png' },
        ],
      },
      { role: 'assistant', parts: [{ type: 'tool_call', id: 'call_1', name: 'lookup', arguments: { q: 'png' } }] },
      { role: 'tool', parts: [{ type: 'tool_call_response', id: 'call_1', response: 'a picture' }] },
    ]);
    conforms(JSON.parse(boundedJson(c.messages, 10_000)), false);
  });

  it('maps choices, plain and streamed, with the conventions finish reasons', () => {
    const o = OU.chatOutcome({
      choices: [{ index: 0, finish_reason: 'tool_calls', message: { role: 'assistant', content: 'ok', tool_calls: [{ id: 't', function: { name: 'f', arguments: 'not json' } }] } }],
    });
    assert.deepEqual(o.output?.(), [
      {
        role: 'assistant',
        parts: [
          { type: 'text', content: 'ok' },
          { type: 'tool_call', id: 't', name: 'f', arguments: 'not json' },
        ],
        finish_reason: 'tool_call',
      },
    ]);
    const acc = new OU.ChatStreamAccumulator(true);
    acc.add({ choices: [{ index: 0, delta: { role: 'assistant', content: 'Hel' } }] });
    acc.add({ choices: [{ index: 0, delta: { content: 'lo' }, finish_reason: 'length' }] });
    const streamed = acc.outcome().output?.();
    assert.deepEqual(streamed, [{ role: 'assistant', parts: [{ type: 'text', content: 'Hello' }], finish_reason: 'length' }]);
    conforms(streamed, true);
    assert.equal(new OU.ChatStreamAccumulator(false).outcome().output, undefined, 'no content kept when capture is off');
  });

  it('maps the Responses API: instructions apart, function calls, reasoning summaries', () => {
    const c = OM.responsesInput(
      [
        {
          role: 'user',
          content: [
            { type: 'input_text', text: 'hi' },
            { type: 'input_image', file_id: 'file_1' },
          ],
        },
        { type: 'function_call', call_id: 'c1', name: 'f', arguments: '{}' },
        { type: 'function_call_output', call_id: 'c1', output: '42' },
      ],
      'Be kind.',
    );
    assert.deepEqual(c.system, [{ type: 'text', content: 'Be kind.' }]);
    assert.deepEqual(c.messages[0].parts, [
      { type: 'text', content: 'hi' },
      { type: 'file', modality: 'image', file_id: 'file_1' },
    ]);
    assert.deepEqual(c.messages[2], { role: 'tool', parts: [{ type: 'tool_call_response', id: 'c1', response: '42' }] });
    conforms(c.messages, false);
    const out = OU.responseOutcome({
      status: 'completed',
      output: [
        { type: 'reasoning', summary: [{ type: 'summary_text', text: 'thought' }] },
        { type: 'message', role: 'assistant', content: [{ type: 'output_text', text: 'Done' }] },
      ],
    }).output?.();
    assert.deepEqual(out, [
      {
        role: 'assistant',
        parts: [
          { type: 'reasoning', content: 'thought' },
          { type: 'text', content: 'Done' },
        ],
        finish_reason: 'stop',
      },
    ]);
    const cut = OU.responseOutcome({ status: 'incomplete', incomplete_details: { reason: 'max_output_tokens' }, output: [] }).output?.();
    assert.equal(cut?.[0].finish_reason, 'length');
    assert.deepEqual(OM.responsesInput('plain', undefined), { messages: [{ role: 'user', parts: [{ type: 'text', content: 'plain' }] }] });
  });
});

describe('GenAI structured messages: Anthropic', () => {
  it('maps system apart, tool use and results, images and thinking', () => {
    const req = AU.messagesRequest(
      {
        model: 'claude-sonnet-4-6',
        system: [{ type: 'text', text: 'You are terse.' }],
        messages: [
          {
            role: 'user',
            content: [
              { type: 'text', text: 'Look' },
              { type: 'image', source: { type: 'base64', media_type: 'image/jpeg', data: '/9j/' } },
            ],
          },
          {
            role: 'assistant',
            content: [
              { type: 'thinking', thinking: 'hmm' },
              { type: 'tool_use', id: 'tu_1', name: 'zoom', input: { level: 2 } },
            ],
          },
          { role: 'user', content: [{ type: 'tool_result', tool_use_id: 'tu_1', content: 'zoomed' }] },
        ],
      },
      {},
    );
    const c = req.content?.();
    assert.deepEqual(c?.system, [{ type: 'text', content: 'You are terse.' }]);
    assert.deepEqual(c?.messages, [
      {
        role: 'user',
        parts: [
          { type: 'text', content: 'Look' },
          { type: 'blob', modality: 'image', mime_type: 'image/jpeg', content: '/9j/' },
        ],
      },
      {
        role: 'assistant',
        parts: [
          { type: 'reasoning', content: 'hmm' },
          { type: 'tool_call', id: 'tu_1', name: 'zoom', arguments: { level: 2 } },
        ],
      },
      { role: 'user', parts: [{ type: 'tool_call_response', id: 'tu_1', response: 'zoomed' }] },
    ]);
    conforms(c?.messages, false);
    parts(c?.system);
  });

  it('maps a message and an assembled stream, stop reasons as the conventions name them', () => {
    assert.deepEqual(AU.messageOutcome({ role: 'assistant', content: [{ type: 'text', text: 'Hi' }], stop_reason: 'end_turn' }).output?.(), [
      { role: 'assistant', parts: [{ type: 'text', content: 'Hi' }], finish_reason: 'stop' },
    ]);
    const acc = new AU.MessagesStreamAccumulator(true);
    acc.add({ type: 'message_start', message: { id: 'm', model: 'claude-x', usage: {} } });
    acc.add({ type: 'content_block_start', index: 0, content_block: { type: 'tool_use', id: 'tu', name: 'add', input: {} } });
    acc.add({ type: 'content_block_delta', index: 0, delta: { type: 'input_json_delta', partial_json: '{"a":1}' } });
    acc.add({ type: 'message_delta', delta: { stop_reason: 'tool_use' }, usage: { output_tokens: 3 } });
    const out = acc.outcome().output?.();
    assert.deepEqual(out, [{ role: 'assistant', parts: [{ type: 'tool_call', id: 'tu', name: 'add', arguments: { a: 1 } }], finish_reason: 'tool_call' }]);
    conforms(out, true);
    assert.deepEqual(AM.messageOutput(undefined, [], 'max_tokens')[0].finish_reason, 'length');
  });
});

describe('GenAI structured messages: @google/genai', () => {
  const target = { vertex: false, server: {} };
  it('maps contents in each form the SDK takes, systemInstruction apart, model as assistant', () => {
    const c = GU.generateRequest(
      {
        model: 'gemini-2.5-flash',
        config: { systemInstruction: 'Be terse.' },
        contents: [
          { role: 'user', parts: [{ text: 'Look' }, { inlineData: { mimeType: 'image/png', data: 'iVBO' } }, { fileData: { mimeType: 'application/pdf', fileUri: 'gs://b/f.pdf' } }] },
          { role: 'model', parts: [{ text: 'hmm', thought: true }, { functionCall: { id: 'f1', name: 'zoom', args: { level: 2 } } }] },
          { role: 'user', parts: [{ functionResponse: { id: 'f1', name: 'zoom', response: { ok: true } } }] },
        ],
      },
      target,
      false,
    ).content?.();
    assert.deepEqual(c?.system, [{ type: 'text', content: 'Be terse.' }]);
    assert.deepEqual(c?.messages, [
      {
        role: 'user',
        parts: [
          { type: 'text', content: 'Look' },
          { type: 'blob', modality: 'image', mime_type: 'image/png', content: 'iVBO' },
          { type: 'uri', modality: 'document', mime_type: 'application/pdf', uri: 'gs://b/f.pdf' },
        ],
      },
      {
        role: 'assistant',
        parts: [
          { type: 'reasoning', content: 'hmm' },
          { type: 'tool_call', id: 'f1', name: 'zoom', arguments: { level: 2 } },
        ],
      },
      { role: 'user', parts: [{ type: 'tool_call_response', id: 'f1', response: { ok: true } }] },
    ]);
    conforms(c?.messages, false);
    assert.deepEqual(GU.generateRequest({ contents: ['a', { text: 'b' }] }, target, false).content?.().messages, [
      {
        role: 'user',
        parts: [
          { type: 'text', content: 'a' },
          { type: 'text', content: 'b' },
        ],
      },
    ]);
    assert.deepEqual(GU.generateRequest({ contents: 'plain' }, target, false).content?.().messages, [{ role: 'user', parts: [{ type: 'text', content: 'plain' }] }]);
  });

  it('maps candidates, plain and streamed, finish reasons as the conventions name them', () => {
    const out = GU.generateOutcome({
      candidates: [
        { content: { role: 'model', parts: [{ text: 'Hi' }] }, finishReason: 'MAX_TOKENS' },
        { content: { role: 'model', parts: [{ functionCall: { name: 'f', args: {} } }] }, finishReason: 'STOP' },
      ],
    }).output?.();
    assert.deepEqual(out, [
      { role: 'assistant', parts: [{ type: 'text', content: 'Hi' }], finish_reason: 'length' },
      { role: 'assistant', parts: [{ type: 'tool_call', id: undefined, name: 'f', arguments: {} }], finish_reason: 'tool_call' },
    ]);
    conforms(out, true);
    const acc = new GU.GenerateStreamAccumulator(true);
    acc.add({ candidates: [{ content: { role: 'model', parts: [{ text: 'He' }] } }] });
    acc.add({ candidates: [{ content: { role: 'model', parts: [{ text: 'llo' }] }, finishReason: 'SAFETY' }] });
    assert.deepEqual(acc.outcome().output?.(), [{ role: 'assistant', parts: [{ type: 'text', content: 'Hello' }], finish_reason: 'content_filter' }]);
  });
});

describe('GenAI structured messages: Bedrock', () => {
  it('maps Converse messages, system apart, images as blobs, tool use and results', () => {
    const req = BU.converseRequest(
      {
        modelId: 'amazon.nova-lite-v1:0',
        system: [{ text: 'Be brief.' }, { cachePoint: { type: 'default' } }],
        messages: [
          { role: 'user', content: [{ text: 'Look' }, { image: { format: 'png', source: { bytes: new Uint8Array([1, 2, 3]) } } }] },
          { role: 'assistant', content: [{ reasoningContent: { reasoningText: { text: 'hmm' } } }, { toolUse: { toolUseId: 't1', name: 'zoom', input: { level: 2 } } }] },
          { role: 'user', content: [{ toolResult: { toolUseId: 't1', content: [{ text: 'zoomed' }] } }] },
        ],
      },
      {},
      false,
    );
    const c = req.content?.();
    assert.deepEqual(c?.system, [{ type: 'text', content: 'Be brief.' }]);
    assert.deepEqual(c?.messages[0].parts[1], { type: 'blob', modality: 'image', mime_type: 'image/png', content: 'AQID' });
    assert.deepEqual(c?.messages[1].parts, [
      { type: 'reasoning', content: 'hmm' },
      { type: 'tool_call', id: 't1', name: 'zoom', arguments: { level: 2 } },
    ]);
    assert.deepEqual(c?.messages[2].parts, [{ type: 'tool_call_response', id: 't1', response: [{ text: 'zoomed' }] }]);
    conforms(c?.messages, false);
    const out = BU.converseOutcome({ stopReason: 'tool_use', output: { message: { role: 'assistant', content: [{ toolUse: { toolUseId: 't2', name: 'f', input: {} } }] } } }).output?.();
    assert.deepEqual(out, [{ role: 'assistant', parts: [{ type: 'tool_call', id: 't2', name: 'f', arguments: {} }], finish_reason: 'tool_call' }]);
  });

  it('maps InvokeModel bodies per family: Anthropic Messages, Llama prompt and generation', () => {
    const anthropic = BU.invokeRequest('anthropic.claude-3-haiku-20240307-v1:0', 'anthropic', { system: 'Be brief.', messages: [{ role: 'user', content: 'hi' }] }, {}, false).content?.();
    assert.deepEqual(anthropic, { messages: [{ role: 'user', parts: [{ type: 'text', content: 'hi' }] }], system: [{ type: 'text', content: 'Be brief.' }] });
    assert.deepEqual(BU.invokeRequest('meta.llama3-8b-instruct-v1:0', 'llama', { prompt: 'hello' }, {}, false).content?.(), {
      messages: [{ role: 'user', parts: [{ type: 'text', content: 'hello' }] }],
    });
    assert.deepEqual(BU.invokeOutcome('llama', { generation: 'Hi!', stop_reason: 'length' }).output?.(), [{ role: 'assistant', parts: [{ type: 'text', content: 'Hi!' }], finish_reason: 'length' }]);
  });
});

describe('boundedJson', () => {
  it('stays valid JSON within the limit by cutting the longest texts first', () => {
    const messages = [
      {
        role: 'user',
        parts: [
          { type: 'text', content: 'x'.repeat(100_000) },
          { type: 'text', content: 'short' },
        ],
      },
    ];
    const json = boundedJson(messages, 1000);
    assert.ok(json.length <= 1000, String(json.length));
    const back = JSON.parse(json) as Array<{ parts: Array<{ content: string }> }>;
    assert.equal(back[0].parts[1].content, 'short');
    assert.match(back[0].parts[0].content, /…\[truncated\]$/);
  });

  it('survives hostile values (cycles, throwing getters, BigInt) without throwing', () => {
    const cyclic: Obj = { a: 1 };
    cyclic.self = cyclic;
    const hostile = Object.defineProperty({}, 'boom', {
      enumerable: true,
      get: () => {
        throw new Error('no');
      },
    });
    for (const v of [cyclic, hostile, { n: 10n }, [cyclic, hostile]]) {
      const json = boundedJson([{ role: 'tool', parts: [{ type: 'tool_call_response', response: v }] }], 200);
      assert.ok(json.length <= 200);
    }
  });
});
