/** An @openai/agents run (two agents, a handoff, a tool call) against the loopback LLM server, under the preload. */
import * as assert from 'node:assert/strict';
import { startLlmServer } from '../helpers/llm-server';
import { attr, treeOf, type ReceivedSpan } from '../helpers/otlp-receiver';
import { loopbackApps } from '../helpers/loopback-apps';

const apps = loopbackApps(startLlmServer, (llm) => ({ LLM_BASE: llm.url }));

async function run(app: string, preload: 'require' | 'import', env: Record<string, string>): Promise<{ spans: ReceivedSpan[]; stdout: string }> {
  const { res, spans } = await apps.run(`test/fixtures/llm/${app}`, preload, env);
  assert.match(res.stdout, /final Hello from the loopback last agent math/);
  return { spans, stdout: res.stdout };
}

const SESSION_TREE = ['session', '  invoke_agent triage', '    chat gpt-4.1', '    action handoff', '  invoke_agent math', '    chat gpt-4.1', '    execute_tool add', '    chat gpt-4.1'].join('\n');

for (const [app, preload] of [
  ['agents.cjs', 'require'],
  ['agents.mjs', 'import'],
] as const) {
  describe(`@openai/agents in ${app} under --${preload}`, () => {
    for (const stream of ['0', '1']) {
      it(`gives the agent/tool/LLM tree under the session (${stream === '1' ? 'streamed' : 'plain'} run)`, async () => {
        const { spans } = await run(app, preload, { SESSION: '1', STREAM: stream });
        const tree = treeOf(spans);
        assert.equal(tree.render(), SESSION_TREE);
        assert.equal(tree.roots.length, 1);
        const byName = (n: string): ReceivedSpan[] => spans.filter((s) => s.name === n);
        const [triage] = byName('invoke_agent triage');
        const [math] = byName('invoke_agent math');
        assert.deepEqual(attr(triage, 'agentops.agent.handoffs'), ['math']);
        assert.deepEqual(attr(math, 'agentops.agent.tools'), ['add']);
        const [handoff] = byName('action handoff');
        assert.equal(attr(handoff, 'agentops.handoff.from_agent'), 'triage');
        assert.equal(attr(handoff, 'agentops.handoff.to_agent'), 'math');
        const [tool] = byName('execute_tool add');
        assert.equal(attr(tool, 'gen_ai.tool.name'), 'add');
        assert.equal(attr(tool, 'gen_ai.tool.call.arguments'), '{"a":2,"b":3}');
        assert.equal(attr(tool, 'gen_ai.tool.call.result'), '5');
        for (const llmSpan of byName('chat gpt-4.1')) {
          assert.equal(attr(llmSpan, 'gen_ai.usage.input_tokens'), 20n);
          assert.equal(attr(llmSpan, 'gen_ai.usage.output_tokens'), 9n);
        }
        const session = byName('session')[0];
        assert.equal(attr(session, 'agentops.session.event_counts.llms'), 3n);
        assert.equal(attr(session, 'agentops.session.event_counts.tools'), 1n);
      });
    }
  });
}

describe('@openai/agents outside a session', () => {
  it('gives the same tree under a workflow span, and keeps tool content out when capture is off', async () => {
    const { spans } = await run('agents.cjs', 'require', { AGENTOPS_CAPTURE_CONTENT: 'false' });
    assert.equal(
      treeOf(spans).render(),
      ['Agent workflow', '  invoke_agent triage', '    chat gpt-4.1', '    handoff triage -> math', '  invoke_agent math', '    chat gpt-4.1', '    execute_tool add', '    chat gpt-4.1'].join('\n'),
    );
    const text = JSON.stringify(
      spans.map((s) => s.attributes),
      (_k, v: unknown) => (typeof v === 'bigint' ? v.toString() : v),
    );
    assert.ok(!text.includes('SECRET_PROMPT'));
    assert.ok(!text.includes('tool.call.arguments'));
    assert.ok(!text.includes('loopback'));
  });
});
