/** The LangChain.js mapping (instrumentations/langchain/utils.ts) on the shapes its callbacks pass. */
import * as assert from 'node:assert/strict';
import { agentNameOf, isGraph, isHidden, modelOutcome, modelRequest, runName, toolOutput } from '../../instrumentations/langchain/utils';

describe('LangChain mapping', () => {
  it('names a run by its run name, else the serialized name or class', () => {
    assert.equal(runName({ id: ['langchain_core', 'runnables', 'RunnableSequence'] }, undefined), 'RunnableSequence');
    assert.equal(runName({ id: ['x'], name: 'named' }, undefined), 'named');
    assert.equal(runName({}, 'model_request'), 'model_request');
    assert.equal(runName(null, ''), 'run');
  });

  it('tells hidden runs, graph runs and agent runs', () => {
    assert.ok(isHidden(['graph:step:0', 'langsmith:hidden']));
    assert.ok(!isHidden(['seq:step:1']));
    assert.ok(isGraph({ id: ['langgraph', 'pregel', 'CompiledStateGraph'] }));
    assert.ok(!isGraph({ id: ['langchain_core', 'runnables', 'RunnableSequence'] }));
    assert.equal(agentNameOf({ ls_integration: 'langchain_create_agent', lc_agent_name: 'mathbot' }, 'LangGraph'), 'mathbot');
    assert.equal(agentNameOf({ ls_integration: 'langchain_create_agent' }, 'agent'), 'agent');
    assert.equal(agentNameOf({}, 'AgentExecutor'), 'AgentExecutor');
    assert.equal(agentNameOf({ langgraph_node: 'draft' }, 'draft'), undefined);
  });

  it("reads a model run's request from its invocation params and ls_* metadata", () => {
    const req = modelRequest(
      { id: ['langchain', 'chat_models', 'openai', 'ChatOpenAI'] },
      { invocation_params: { model: 'gpt-4o-mini', temperature: 0.5, max_tokens: 64, stream: true } },
      undefined,
      [[{ content: 'hi' }]],
      true,
    );
    assert.equal(req.provider, 'openai');
    assert.equal(req.requestModel, 'gpt-4o-mini');
    assert.equal(req.streaming, true);
    assert.deepEqual(req.attributes, { 'gen_ai.request.model': 'gpt-4o-mini', 'gen_ai.request.max_tokens': 64, 'gen_ai.request.temperature': 0.5 });
    assert.equal(modelRequest({}, {}, { ls_provider: 'google_vertexai', ls_model_name: 'gemini-2.0' }, [], true).provider, 'gcp.vertex_ai');
    assert.equal(modelRequest({}, {}, {}, ['p'], false).operation, 'text_completion');
  });

  it("reads usage from the messages' usage_metadata (summed), else from llmOutput.tokenUsage", () => {
    const message = {
      id: 'chatcmpl-1',
      content: 'hi',
      usage_metadata: { input_tokens: 12, output_tokens: 7, input_token_details: { cache_read: 4 } },
      response_metadata: { model_name: 'gpt-4o-mini-2024-07-18', finish_reason: 'stop' },
    };
    const o = modelOutcome(
      {
        generations: [
          [
            { text: 'hi', message },
            { text: 'hi', message },
          ],
        ],
      },
      true,
    );
    assert.deepEqual(o.usage, { inputTokens: 24, outputTokens: 14, cacheReadTokens: 8 });
    assert.equal(o.responseModel, 'gpt-4o-mini-2024-07-18');
    assert.equal(o.responseId, 'chatcmpl-1');
    assert.deepEqual(o.finishReasons, ['stop', 'stop']);
    const legacy = modelOutcome({ generations: [[{ text: 'x', generationInfo: { finish_reason: 'length' } }]], llmOutput: { tokenUsage: { promptTokens: 3, completionTokens: 2 } } }, false);
    assert.deepEqual(legacy.usage, { inputTokens: 3, outputTokens: 2, cacheReadTokens: undefined });
    assert.deepEqual(legacy.finishReasons, ['length']);
    assert.equal(legacy.completion, undefined);
    assert.deepEqual(modelOutcome(undefined, true).usage, { inputTokens: undefined, outputTokens: undefined, cacheReadTokens: undefined });
  });

  it("takes a tool message's content as the tool's result", () => {
    assert.equal(toolOutput({ content: '5', tool_call_id: 'c1' }), '5');
    assert.equal(toolOutput('5'), '5');
    assert.equal(toolOutput(null), null);
  });
});
