/**
 * LangChain.js (@langchain/core, @langchain/openai, `langchain`'s createAgent) and LangGraph.js,
 * pointed at the loopback LLM server, in child processes under the preload (CommonJS and ESM).
 * The model calls go through the openai SDK, which the preload also instruments: each must be one
 * LLM span, priced once.
 */
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { REPO_ROOT } from '../helpers/child';
import { makeRelabelledPackageApp } from '../helpers/framework-apps';
import { attr, treeOf, type ReceivedSpan } from '../helpers/otlp-receiver';
import { assertOneTrace, assertTotals, byKind, named, one, parentOf, providerTotals, runApp, spanTotals, type AppRun, useFrameworkServers } from './frameworks-support';

const servers = useFrameworkServers();

const DIR = path.join(REPO_ROOT, 'test', 'fixtures', 'frameworks');

function run(scenario: string, preload: 'require' | 'import' | 'none', env: Record<string, string> = {}): Promise<AppRun> {
  return runApp(servers, path.join(DIR, preload === 'import' ? 'langchain.mjs' : 'langchain.cjs'), preload, { SCENARIO: scenario, ...env }, { cwd: DIR });
}

const AGENT_TREE = [
  'session',
  '  invoke_agent writer',
  '  invoke_agent mathbot',
  '    chain model_request',
  '      chat gpt-4o-mini',
  '      chain RunnableLambda',
  '    chain tools',
  '      execute_tool add',
  '    chain model_request',
  '      chat gpt-4o-mini',
  '      chain RunnableLambda',
].join('\n');

/** LangGraph's createReactAgent: its graph is the agent, its nodes (agent, tools) chains under it. */
const REACT_AGENT_TREE = [
  'session',
  '  invoke_agent writer',
  '  invoke_agent mathbot',
  '    chain agent',
  '      chain RunnableSequence',
  '        chain prompt',
  '        chat gpt-4o-mini',
  '      chain RunnableLambda',
  '    chain tools',
  '      execute_tool add',
  '    chain agent',
  '      chain RunnableSequence',
  '        chain prompt',
  '        chat gpt-4o-mini',
  '      chain RunnableLambda',
].join('\n');

function sessionId(spans: ReceivedSpan[]): string {
  return String(attr(one(spans, 'session'), 'agentops.session.id'));
}

/** The LLM spans the openai instrumentation made (it knows the server and the fingerprint). */
function fromSdk(spans: ReceivedSpan[]): ReceivedSpan[] {
  return byKind(spans, 'llms').filter((s) => attr(s, 'openai.response.system_fingerprint') === 'fp_test' && attr(s, 'server.port') === BigInt(servers.server.port));
}

describe('LangChain.js', () => {
  /** The agent runs: `langchain`'s createAgent, and LangGraph's prebuilt createReactAgent (invoked, and streamed after withConfig). */
  const AGENT_RUNS = [
    { title: 'createAgent', scenario: 'agent', preload: 'require', tree: AGENT_TREE },
    { title: 'createAgent', scenario: 'agent', preload: 'import', tree: AGENT_TREE },
    { title: "LangGraph's createReactAgent", scenario: 'react-agent', preload: 'require', tree: REACT_AGENT_TREE },
    { title: "LangGraph's createReactAgent", scenario: 'react-agent', preload: 'import', tree: REACT_AGENT_TREE },
    { title: "LangGraph's createReactAgent, streamed", scenario: 'react-agent-stream', preload: 'require', tree: REACT_AGENT_TREE },
  ] as const;

  for (const r of AGENT_RUNS) {
    it(`${r.title} with a tool: an agent, its graph nodes, one tool span, one LLM span per request priced once (--${r.preload})`, async () => {
      const plain = await run(r.scenario, 'none');
      const traced = await run(r.scenario, r.preload);
      assert.deepEqual(traced.result, plain.result, 'the app receives the same with the preload');
      assert.deepEqual(traced.result, { answer: '5', messages: 3 });
      const { spans } = traced;
      assert.equal(treeOf(spans).render(), r.tree);
      assertOneTrace(spans, sessionId(spans));
      assert.equal(byKind(spans, 'llms').length, traced.requests.length, 'one LLM span per model request');
      assert.equal(fromSdk(spans).length, traced.requests.length, "each is the openai SDK call's span");
      assertTotals(spanTotals(spans), providerTotals(traced.requests, 'gpt-4o-mini'));
      const agent = one(spans, 'invoke_agent mathbot');
      assert.equal(attr(agent, 'gen_ai.operation.name'), 'invoke_agent');
      assert.equal(attr(agent, 'gen_ai.agent.name'), 'mathbot');
      const tool = one(spans, 'execute_tool add');
      assert.equal(attr(tool, 'gen_ai.tool.name'), 'add');
      assert.equal(attr(tool, 'agentops.event.type'), 'tools');
      assert.equal(attr(tool, 'agentops.agent.id'), attr(agent, 'agentops.agent.id'));
      assert.equal(attr(tool, 'agentops.event.returns'), '5');
      const session = one(spans, 'session');
      assert.equal(attr(session, 'agentops.session.event_counts.llms'), 2n);
      assert.equal(attr(session, 'agentops.session.event_counts.tools'), 1n);
      for (const s of byKind(spans, 'llms')) assert.equal(attr(s, 'agentops.agent.id'), attr(agent, 'agentops.agent.id'));
    });
  }

  it('a chain (prompt | model | parser): chain spans with the LLM span of the SDK call under the sequence', async () => {
    const plain = await run('chain', 'none');
    const traced = await run('chain', 'require');
    assert.deepEqual(traced.result, plain.result);
    const { spans } = traced;
    assert.equal(
      treeOf(spans).render(),
      ['session', '  invoke_agent writer', '    chain RunnableSequence', '      chain ChatPromptTemplate', '      chat gpt-4o-mini', '      chain StrOutputParser'].join('\n'),
    );
    assert.equal(fromSdk(spans).length, 1);
    assertTotals(spanTotals(spans), providerTotals(traced.requests, 'gpt-4o-mini'));
    assert.equal(attr(one(spans, 'chain RunnableSequence'), 'agentops.agent.id'), attr(one(spans, 'invoke_agent writer'), 'agentops.agent.id'));
  });

  it('a streamed model call and an embeddings call: one span each, under the agent', async () => {
    for (const scenario of ['stream', 'embed']) {
      const plain = await run(scenario, 'none');
      const traced = await run(scenario, 'require');
      assert.deepEqual(traced.result, plain.result);
      const { spans } = traced;
      assert.equal(byKind(spans, 'llms').length, 1, treeOf(spans).render());
      assert.equal(parentOf(spans, byKind(spans, 'llms')[0])?.name, 'invoke_agent writer');
      assertTotals(spanTotals(spans), providerTotals(traced.requests, 'gpt-4o-mini'));
    }
  });

  it("with the openai SDK not instrumented, each model run is still one LLM span, from LangChain's own usage", async () => {
    const traced = await run('agent', 'require', { AGENTOPS_INSTRUMENTATIONS_DISABLED: 'openai' });
    const { spans } = traced;
    assert.equal(treeOf(spans).render(), AGENT_TREE);
    assert.equal(fromSdk(spans).length, 0);
    assert.equal(byKind(spans, 'llms').length, traced.requests.length);
    assertTotals(spanTotals(spans), providerTotals(traced.requests, 'gpt-4o-mini'));
    for (const s of byKind(spans, 'llms')) {
      assert.equal(attr(s, 'gen_ai.provider.name'), 'openai');
      assert.equal(attr(s, 'gen_ai.response.model'), 'gpt-4o-mini-2024-07-18');
      assert.equal(attr(s, 'gen_ai.usage.cache_read.input_tokens'), 4n);
    }
  });

  it('a throwing tool: its span is ERROR with the error event under it, the agent goes on as without the preload', async () => {
    const plain = await run('tool-error', 'none');
    const traced = await run('tool-error', 'require');
    assert.deepEqual(traced.result, plain.result);
    const { spans } = traced;
    const tool = one(spans, 'execute_tool add');
    assert.equal(tool.status.code, 2);
    assert.equal(parentOf(spans, one(spans, 'error Error'))?.spanId, tool.spanId);
    assertTotals(spanTotals(spans), providerTotals(traced.requests, 'gpt-4o-mini'));
  });

  it('a LangGraph graph: a chain span for the graph and each node, the model calls under their nodes', async () => {
    const plain = await run('graph', 'none');
    const traced = await run('graph', 'require');
    assert.deepEqual(traced.result, plain.result);
    const { spans } = traced;
    assert.equal(
      treeOf(spans).render(),
      ['session', '  invoke_agent writer', '    chain LangGraph', '      chain draft', '        chat gpt-4o-mini', '      chain review', '        chat gpt-4o-mini'].join('\n'),
    );
    assertTotals(spanTotals(spans), providerTotals(traced.requests, 'gpt-4o-mini'));
  });

  it("with content capture off, no prompt, completion or tool data reaches a span (also from LangChain's own usage path)", async () => {
    for (const env of [{}, { NO_SESSION: '1' }, { AGENTOPS_INSTRUMENTATIONS_DISABLED: 'openai' }] as Array<Record<string, string>>) {
      for (const scenario of ['agent', 'chain']) {
        const { spans } = await run(scenario, 'require', { AGENTOPS_CAPTURE_CONTENT: 'false', ...env });
        assert.ok(byKind(spans, 'llms').length >= 1);
        const text = JSON.stringify(
          spans.map((s) => [s.attributes, s.events, s.status]),
          (_k, x: unknown) => (typeof x === 'bigint' ? x.toString() : x),
        );
        for (const secret of ['SECRET_PROMPT_lc', 'what is 2+3', 'loopback', '"a":2', 'tool.call.arguments', 'tool.call.result', 'event.params', 'event.returns', 'llm.prompt', 'llm.completion'])
          assert.ok(!text.includes(secret), `${scenario} ${JSON.stringify(env)}: ${secret}`);
      }
    }
  });

  for (const r of AGENT_RUNS.filter((x) => x.preload === 'require' && x.scenario !== 'react-agent-stream')) {
    it(`outside a session: the agent run (${r.title}) is its own trace, an invoke_agent span with the same spans under it`, async () => {
      const traced = await run(r.scenario, 'require', { NO_SESSION: '1' });
      const { spans } = traced;
      assert.equal(
        treeOf(spans).render(),
        r.tree
          .split('\n')
          .slice(2)
          .map((l) => l.slice(2))
          .join('\n'),
      );
      assertOneTrace(spans);
      assertTotals(spanTotals(spans), providerTotals(traced.requests, 'gpt-4o-mini'));
      assert.equal(named(spans, 'execute_tool add')[0].status.code, 0);
      const agent = one(spans, 'invoke_agent mathbot');
      assert.equal(attr(agent, 'gen_ai.operation.name'), 'invoke_agent');
      assert.equal(attr(agent, 'gen_ai.agent.name'), 'mathbot');
    });
  }

  it('a @langchain/core major we do not support: one warning naming the package and version, the app runs untouched', async () => {
    const { dir, nodePath } = makeRelabelledPackageApp(['frameworks/langchain-plain.cjs'], '@langchain/core', '0.3.80');
    servers.dirs.push(dir);
    const opts = { cwd: dir, execArgv: ['--preserve-symlinks'] };
    const plain = await runApp(servers, path.join(dir, 'langchain-plain.cjs'), 'none', { NODE_PATH: nodePath }, opts);
    const traced = await runApp(servers, path.join(dir, 'langchain-plain.cjs'), 'require', { NODE_PATH: nodePath }, opts);
    assert.deepEqual(traced.result, plain.result);
    assert.deepEqual(traced.result, { value: 42 });
    const warnings = traced.res.logs.filter((l) => typeof l.msg === 'string' && l.msg.includes('not supported'));
    assert.equal(warnings.length, 1, JSON.stringify(traced.res.logs));
    assert.match(String(warnings[0].msg), /^@langchain\/core 0\.3\.80 is not supported/);
    assert.equal(traced.spans.length, 0);
    // The same app with the package's real version is traced: the gate is what kept it out.
    const real = makeRelabelledPackageApp(
      ['frameworks/langchain-plain.cjs'],
      '@langchain/core',
      JSON.parse(fs.readFileSync(path.join(REPO_ROOT, 'node_modules/@langchain/core/package.json'), 'utf8')).version as string,
    );
    servers.dirs.push(real.dir);
    const supported = await runApp(servers, path.join(real.dir, 'langchain-plain.cjs'), 'require', { NODE_PATH: real.nodePath }, { cwd: real.dir, execArgv: ['--preserve-symlinks'] });
    assert.equal(named(supported.spans, 'chain RunnableLambda').length, 1);
  });
});
