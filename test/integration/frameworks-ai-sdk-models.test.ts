/**
 * The Vercel AI SDK with a model given as a string id: resolved through the global provider, here
 * the real OpenAI provider or the real AI Gateway provider, both pointed at the loopback server in
 * their own wire formats; and the SDK's default, the gateway, with no credentials. And its
 * `ToolLoopAgent` class (`generate()`, `stream()`). Both majors, as in frameworks-ai-sdk.test.ts.
 */
import * as assert from 'node:assert/strict';
import * as path from 'node:path';
import { GATEWAY_PATH } from '../helpers/gateway-wire';
import { attr, treeOf } from '../helpers/otlp-receiver';
import { aiSdkVariants, assertOneTrace, assertTotals, byKind, named, NODE_MAJOR, one, providerTotals, runApp, spanTotals, type AppRun, useFrameworkServers } from './frameworks-support';

const servers = useFrameworkServers();

/** A ToolLoopAgent run with one tool call: the agent (a session agent beside the app's), its two model requests and its tool. */
const AGENT_TREE = ['session', '  invoke_agent writer', '  invoke_agent mathbot', '    chat gpt-4o-mini', '    execute_tool add', '    chat gpt-4o-mini'];

for (const v of aiSdkVariants(servers.dirs)) {
  const needs = NODE_MAJOR < v.minNode ? ` (skipped: ai ${v.major} needs Node >= ${v.minNode}, this is Node ${NODE_MAJOR})` : '';
  describe(`Vercel AI SDK ${v.major}.x: string model ids and agents${needs}`, function () {
    let dir: string;
    before(function () {
      if (needs !== '') this.skip();
      dir = v.dir();
    });

    const run = (scenario: string, preload: 'require' | 'import' | 'none', env: Record<string, string> = {}): Promise<AppRun> =>
      runApp(servers, path.join(dir, preload === 'import' ? 'ai-sdk.mjs' : 'ai-sdk.cjs'), preload, { SCENARIO: scenario, ...env }, { cwd: dir });

    for (const preload of ['require', 'import'] as const) {
      it(`a model given as a string id, resolved through the global provider: one LLM span per request, as for a model object (--${preload})`, async () => {
        const plain = await run('model-id', 'none');
        const traced = await run('model-id', preload);
        assert.deepEqual(traced.result, plain.result, 'the app receives the same with the preload');
        assert.deepEqual(traced.result, { text: 'Hello from the loopback', steps: 2, usage: { input: 40, output: 18 }, dims: 8 });
        const { spans } = traced;
        assert.equal(
          treeOf(spans).render(),
          [
            'session',
            '  invoke_agent writer',
            '    generateText',
            '      chat gpt-4o-mini',
            '      execute_tool add',
            '      chat gpt-4o-mini',
            '    embed',
            '      embeddings text-embedding-3-small',
          ].join('\n'),
        );
        assert.equal(byKind(spans, 'llms').length, traced.requests.length, 'one LLM span per model request');
        assertTotals(spanTotals(spans), providerTotals(traced.requests, 'gpt-4o-mini'));
        for (const s of byKind(spans, 'llms')) assert.equal(attr(s, 'gen_ai.provider.name'), 'openai');
        assert.equal(attr(one(spans, 'session'), 'agentops.session.event_counts.llms'), 3n);
      });
    }

    it('a string id through the AI Gateway provider (its wire format): one LLM span per request, priced as the model it names', async () => {
      const plain = await run('gateway', 'none');
      const traced = await run('gateway', 'require');
      assert.deepEqual(traced.result, plain.result);
      assert.deepEqual(traced.result, {
        generated: 'Hello from the gateway.',
        steps: 2,
        streamed: 'Hello from the gateway.',
        usage: [
          { input: 30, output: 12 },
          { input: 15, output: 6 },
        ],
      });
      const { spans } = traced;
      assert.equal(
        treeOf(spans).render(),
        [
          'session',
          '  invoke_agent writer',
          '    generateText',
          '      chat openai/gpt-4o-mini',
          '      execute_tool add',
          '      chat openai/gpt-4o-mini',
          '    streamText',
          '      chat openai/gpt-4o-mini',
        ].join('\n'),
      );
      assert.deepEqual(
        traced.requests.map((r) => r.path),
        [GATEWAY_PATH, GATEWAY_PATH, GATEWAY_PATH],
      );
      assert.equal(byKind(spans, 'llms').length, 3);
      const totals = spanTotals(spans);
      assertTotals(totals, providerTotals(traced.requests, 'gpt-4o-mini'));
      assert.ok(totals.cost > 0, 'priced');
      for (const s of byKind(spans, 'llms')) {
        assert.equal(attr(s, 'gen_ai.provider.name'), 'openai');
        assert.equal(attr(s, 'agentops.ai_sdk.provider'), 'gateway');
        assert.equal(attr(s, 'gen_ai.request.model'), 'openai/gpt-4o-mini');
        assert.equal(attr(s, 'gen_ai.usage.cache_read.input_tokens'), 3n);
      }
    });

    it("a string id with no global provider goes to the SDK's default, the AI Gateway: without credentials the app gets the SDK's error, and the LLM span says so", async () => {
      const plain = await run('gateway-default', 'none');
      const traced = await run('gateway-default', 'require');
      assert.deepEqual(traced.result, plain.result);
      assert.equal((traced.result as { error: string }).error, 'GatewayAuthenticationError');
      assert.equal(traced.requests.length, 0);
      const { spans } = traced;
      assert.equal(treeOf(spans).render(), ['session', '  invoke_agent writer', '    generateText', '      chat openai/gpt-4o-mini', '        error GatewayAuthenticationError'].join('\n'));
      const [call] = byKind(spans, 'llms');
      assert.equal(call.status.code, 2);
      assert.equal(attr(call, 'error.type'), 'GatewayAuthenticationError');
      assert.equal(one(spans, 'generateText').status.code, 2);
    });

    for (const [scenario, preload] of [
      ['agent', 'require'],
      ['agent', 'import'],
      ['agent-stream', 'require'],
    ] as const) {
      it(`ToolLoopAgent ${scenario === 'agent' ? 'generate()' : 'stream() with a string model id'}: an invoke_agent span with one LLM span per request and the tool span under it (--${preload})`, async () => {
        const plain = await run(scenario, 'none');
        const traced = await run(scenario, preload);
        assert.deepEqual(traced.result, plain.result);
        assert.equal((traced.result as { steps: number }).steps, 2);
        const { spans } = traced;
        assert.equal(treeOf(spans).render(), AGENT_TREE.join('\n'));
        assertOneTrace(spans, String(attr(one(spans, 'session'), 'agentops.session.id')));
        assert.equal(byKind(spans, 'llms').length, traced.requests.length, 'one LLM span per model request');
        assertTotals(spanTotals(spans), providerTotals(traced.requests, 'gpt-4o-mini'));
        const agent = one(spans, 'invoke_agent mathbot');
        assert.equal(attr(agent, 'gen_ai.operation.name'), 'invoke_agent');
        assert.equal(attr(agent, 'gen_ai.agent.name'), 'mathbot');
        assert.equal(attr(agent, 'agentops.ai_sdk.operation'), scenario === 'agent' ? 'agent.generate' : 'agent.stream');
        const tool = one(spans, 'execute_tool add');
        assert.equal(attr(tool, 'agentops.event.type'), 'tools');
        for (const s of [tool, ...byKind(spans, 'llms')]) assert.equal(attr(s, 'agentops.agent.id'), attr(agent, 'agentops.agent.id'));
        const session = one(spans, 'session');
        assert.equal(attr(session, 'agentops.session.event_counts.llms'), 2n);
        assert.equal(attr(session, 'agentops.session.event_counts.tools'), 1n);
        assert.equal(named(spans, 'generateText').length + named(spans, 'streamText').length, 0, 'the agent calls the SDK inside: no call span besides the agent');
      });
    }

    for (const scenario of ['agent', 'agent-stream']) {
      it(`ToolLoopAgent outside a session (${scenario}): the agent run is its own trace, an invoke_agent span with the same spans under it, ended when the run is`, async () => {
        const traced = await run(scenario, 'require', { NO_SESSION: '1' });
        const { spans } = traced;
        assert.equal(
          treeOf(spans).render(),
          AGENT_TREE.slice(2)
            .map((l) => l.slice(2))
            .join('\n'),
        );
        assertOneTrace(spans);
        assertTotals(spanTotals(spans), providerTotals(traced.requests, 'gpt-4o-mini'));
        const agent = one(spans, 'invoke_agent mathbot');
        assert.equal(attr(agent, 'gen_ai.agent.name'), 'mathbot');
        assert.equal(attr(agent, 'agentops.llm.stream.abandoned'), undefined);
      });
    }
  });
}
