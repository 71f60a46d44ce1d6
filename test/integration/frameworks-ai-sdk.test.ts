/**
 * The Vercel AI SDK (`ai`) with its OpenAI provider, pointed at the loopback LLM server, in child
 * processes under the preload (CommonJS and ESM). Two majors: 7.x (the current one, needs Node 22)
 * under its own name, and 6.x (installed as `ai-v6`, loaded as `ai` from an app directory, see
 * framework-apps.ts) on every Node.
 */
import * as assert from 'node:assert/strict';
import * as path from 'node:path';
import { makeAppDir } from '../helpers/framework-apps';
import { attr, treeOf, type ReceivedSpan } from '../helpers/otlp-receiver';
import {
  AI_SDK_FILES,
  aiSdkVariants,
  assertOneTrace,
  assertTotals,
  byKind,
  named,
  NODE_MAJOR,
  one,
  parentOf,
  providerTotals,
  runApp,
  spanTotals,
  type AppRun,
  useFrameworkServers,
} from './frameworks-support';

const servers = useFrameworkServers();

const VARIANTS = aiSdkVariants(servers.dirs);

function sessionSpan(spans: ReceivedSpan[]): ReceivedSpan {
  return one(spans, 'session');
}

function count(span: ReceivedSpan, key: string): number {
  return Number(attr(span, `agentops.session.event_counts.${key}`));
}

for (const v of VARIANTS) {
  const needs = NODE_MAJOR < v.minNode ? ` (skipped: ai ${v.major} needs Node >= ${v.minNode}, this is Node ${NODE_MAJOR})` : '';
  describe(`Vercel AI SDK ${v.major}.x${needs}`, function () {
    let dir: string;
    before(function () {
      if (needs !== '') this.skip();
      dir = v.dir();
    });

    const run = (scenario: string, preload: 'require' | 'import' | 'none', env: Record<string, string> = {}, execArgv?: string[]): Promise<AppRun> =>
      runApp(servers, path.join(dir, preload === 'import' ? 'ai-sdk.mjs' : 'ai-sdk.cjs'), preload, { SCENARIO: scenario, ...env }, { cwd: dir, execArgv });

    for (const preload of ['require', 'import'] as const) {
      it(`generateText with a tool over two steps: one LLM span per request, one tool span, under the call under the agent (--${preload})`, async () => {
        const plain = await run('generate-tools', 'none');
        const traced = await run('generate-tools', preload);
        assert.deepEqual(traced.result, plain.result, 'the app receives the same with the preload');
        assert.deepEqual(traced.result, { text: 'Hello from the loopback', steps: 2, toolResults: [5], usage: { input: 40, output: 18 } });
        const { spans } = traced;
        assert.equal(treeOf(spans).render(), ['session', '  invoke_agent writer', '    generateText', '      chat gpt-4o-mini', '      execute_tool add', '      chat gpt-4o-mini'].join('\n'));
        assertOneTrace(spans, String(attr(sessionSpan(spans), 'agentops.session.id')));
        const llmSpans = byKind(spans, 'llms');
        assert.equal(llmSpans.length, traced.requests.length, 'one LLM span per model request');
        assertTotals(spanTotals(spans), providerTotals(traced.requests, 'gpt-4o-mini'));
        for (const s of llmSpans) {
          assert.equal(attr(s, 'gen_ai.provider.name'), 'openai');
          assert.equal(attr(s, 'gen_ai.request.model'), 'gpt-4o-mini');
          assert.equal(attr(s, 'gen_ai.response.model'), 'gpt-4o-mini-2024-07-18');
          assert.equal(attr(s, 'gen_ai.response.id'), 'resp_test1');
        }
        assert.deepEqual(
          llmSpans.map((s) => attr(s, 'gen_ai.response.finish_reasons')),
          [['tool-calls'], ['stop']],
        );
        const tool = one(spans, 'execute_tool add');
        assert.equal(attr(tool, 'gen_ai.tool.name'), 'add');
        assert.equal(attr(tool, 'agentops.event.type'), 'tools');
        assert.equal(attr(tool, 'agentops.event.returns'), '5');
        const session = sessionSpan(spans);
        assert.equal(count(session, 'llms'), 2);
        assert.equal(count(session, 'tools'), 1);
        const call = one(spans, 'generateText');
        assert.equal(attr(call, 'agentops.ai_sdk.steps'), 2n);
        assert.equal(attr(call, 'agentops.agent.id'), attr(one(spans, 'invoke_agent writer'), 'agentops.agent.id'));
      });

      it(`streamText (chat completions) with a tool: the same tree, the spans end when the stream is read (--${preload})`, async () => {
        const plain = await run('stream', 'none');
        const traced = await run('stream', preload);
        assert.deepEqual(traced.result, plain.result);
        assert.deepEqual(traced.result, { text: 'Hello from the loopback', steps: 2, usage: { input: 24, output: 14 } });
        const { spans } = traced;
        assert.equal(treeOf(spans).render(), ['session', '  invoke_agent writer', '    streamText', '      chat gpt-4o-mini', '      execute_tool add', '      chat gpt-4o-mini'].join('\n'));
        assert.equal(byKind(spans, 'llms').length, traced.requests.length);
        assertTotals(spanTotals(spans), providerTotals(traced.requests, 'gpt-4o-mini'));
        for (const s of byKind(spans, 'llms')) {
          assert.equal(attr(s, 'gen_ai.request.stream'), true);
          assert.equal(attr(s, 'gen_ai.usage.cache_read.input_tokens'), 4n);
          assert.equal(attr(s, 'agentops.llm.stream.abandoned'), undefined);
        }
        assert.equal(attr(one(spans, 'streamText'), 'agentops.llm.stream.abandoned'), undefined);
      });
    }

    it("streamText with the app's own end callback: the call span ends when the stream does", async () => {
      const plain = await run('stream-on-end', 'none');
      const traced = await run('stream-on-end', 'require');
      assert.deepEqual(traced.result, plain.result);
      assert.deepEqual(traced.result, { text: 'Hello from the loopback', ended: v.major >= 7 });
      const { spans } = traced;
      assert.equal(treeOf(spans).render(), ['session', '  invoke_agent writer', '    streamText', '      chat gpt-4o-mini'].join('\n'));
      assert.equal(attr(one(spans, 'streamText'), 'agentops.llm.stream.abandoned'), undefined);
    });

    it('generateObject and streamObject: one call span and one LLM span each', async () => {
      const plain = await run('object', 'none');
      const traced = await run('object', 'require');
      assert.deepEqual(traced.result, plain.result);
      assert.deepEqual((traced.result as { final: unknown }).final, { city: 'Paris', temp: 21 });
      const { spans } = traced;
      assert.equal(treeOf(spans).render(), ['session', '  invoke_agent writer', '    generateObject', '      chat gpt-4o-mini', '    streamObject', '      chat gpt-4o-mini'].join('\n'));
      assert.equal(byKind(spans, 'llms').length, 2);
      assertTotals(spanTotals(spans), providerTotals(traced.requests, 'gpt-4o-mini'));
      assert.equal(attr(named(spans, 'chat gpt-4o-mini')[0], 'gen_ai.output.type'), 'json');
    });

    it('embed and embedMany: an embeddings span per provider request, input tokens and cost', async () => {
      const plain = await run('embed', 'none');
      const traced = await run('embed', 'require');
      assert.deepEqual(traced.result, plain.result);
      const { spans } = traced;
      assert.equal(
        treeOf(spans).render(),
        ['session', '  invoke_agent writer', '    embed', '      embeddings text-embedding-3-small', '    embedMany', '      embeddings text-embedding-3-small'].join('\n'),
      );
      assert.equal(byKind(spans, 'llms').length, traced.requests.length);
      assertTotals(spanTotals(spans), providerTotals(traced.requests, 'text-embedding-3-small'));
      for (const s of byKind(spans, 'llms')) assert.equal(attr(s, 'gen_ai.embeddings.dimension.count'), 8n);
      assert.equal(count(sessionSpan(spans), 'llms'), 2);
    });

    it('a throwing tool: its span is ERROR, the SDK gets the error and carries on as without the preload', async () => {
      const plain = await run('tool-error', 'none');
      const traced = await run('tool-error', 'require');
      assert.deepEqual(traced.result, plain.result);
      assert.deepEqual((traced.result as { errors: string[] }).errors, ['adder is broken']);
      const { spans } = traced;
      const tool = one(spans, 'execute_tool add');
      assert.equal(tool.status.code, 2);
      assert.equal(parentOf(spans, one(spans, 'error Error'))?.spanId, tool.spanId);
      assert.equal(byKind(spans, 'llms').length, traced.requests.length);
      assert.equal(count(sessionSpan(spans), 'errors'), 1);
    });

    it('the app also turns on experimental_telemetry: still one priced LLM span per request, and a tool the app records nests under the tool span', async () => {
      const plain = await run('telemetry', 'none');
      const traced = await run('telemetry', 'require');
      assert.deepEqual(traced.result, plain.result);
      const { spans } = traced;
      assert.equal(byKind(spans, 'llms').length, traced.requests.length);
      assertTotals(spanTotals(spans), providerTotals(traced.requests, 'gpt-4o-mini'));
      assert.equal(count(sessionSpan(spans), 'llms'), 2);
      const lookup = one(spans, 'execute_tool lookup');
      assert.equal(parentOf(spans, lookup)?.spanId, one(spans, 'execute_tool add').spanId);
      for (const s of byKind(spans, 'llms')) assert.equal(parentOf(spans, s)?.name, 'generateText');
      assertOneTrace(spans, String(attr(sessionSpan(spans), 'agentops.session.id')));
      if (v.major === 6) assert.ok(named(spans, 'ai.generateText').length === 1, 'the SDK made its own spans too');
    });

    if (v.major === 6) {
      it("with the AI SDK instrumentation off, a tool the app records under the SDK's own ai.toolCall span lands under the agent", async () => {
        const { spans } = await run('telemetry', 'require', { AGENTOPS_INSTRUMENTATIONS_DISABLED: 'ai-sdk' });
        const lookup = one(spans, 'execute_tool lookup');
        assert.equal(parentOf(spans, lookup)?.name, 'invoke_agent writer');
        assert.equal(named(spans, 'generateText').length, 0);
        assert.ok(named(spans, 'ai.toolCall').length === 1);
      });
    }

    it('an LLM call a tool makes with the openai SDK nests under the tool span, priced once like the rest', async () => {
      const plain = await run('nested', 'none');
      const traced = await run('nested', 'require');
      assert.deepEqual(traced.result, plain.result);
      const { spans } = traced;
      assert.equal(
        treeOf(spans).render(),
        ['session', '  invoke_agent writer', '    generateText', '      chat gpt-4o-mini', '      execute_tool add', '        chat gpt-4o-mini', '      chat gpt-4o-mini'].join('\n'),
      );
      assert.equal(byKind(spans, 'llms').length, traced.requests.length);
      assertTotals(spanTotals(spans), providerTotals(traced.requests, 'gpt-4o-mini'));
      assert.equal(attr(one(spans, 'session'), 'agentops.session.event_counts.llms'), 3n);
    });

    it('a stream the app leaves early: the call and LLM spans still end', async () => {
      const traced = await run('abandon', 'require', {}, ['--expose-gc']);
      assert.deepEqual(traced.result, { started: true });
      const { spans } = traced;
      // Ended when the result was garbage-collected (the app runs with --expose-gc and collects).
      assert.equal(attr(one(spans, 'streamText'), 'agentops.llm.stream.abandoned'), true);
      const [llmSpan] = byKind(spans, 'llms');
      assert.equal(byKind(spans, 'llms').length, 1);
      // 6.x reads the model's stream to its end by itself; 7.x stops reading when the app does.
      if (v.major === 6) assert.equal(attr(llmSpan, 'gen_ai.usage.output_tokens'), 7n);
      else assert.equal(attr(llmSpan, 'agentops.llm.stream.abandoned'), true);
    });

    it('with content capture off, no prompt, completion or tool data reaches a span', async () => {
      for (const env of [{}, { NO_SESSION: '1' }] as Array<Record<string, string>>) {
        const { spans } = await run('generate-tools', 'require', { AGENTOPS_CAPTURE_CONTENT: 'false', ...env });
        assert.ok(byKind(spans, 'llms').length === 2);
        const text = JSON.stringify(
          spans.map((s) => [s.attributes, s.events, s.status]),
          (_k, x: unknown) => (typeof x === 'bigint' ? x.toString() : x),
        );
        for (const secret of ['SECRET_PROMPT_ai', 'loopback', '"a":2', 'tool.call.arguments', 'tool.call.result', 'event.params', 'event.returns']) assert.ok(!text.includes(secret), secret);
      }
    });

    it('outside a session: the call is its own trace, with the same spans under it', async () => {
      const traced = await run('generate-tools', 'require', { NO_SESSION: '1' });
      const { spans } = traced;
      assert.equal(treeOf(spans).render(), ['generateText', '  chat gpt-4o-mini', '  execute_tool add', '  chat gpt-4o-mini'].join('\n'));
      assertOneTrace(spans);
      assertTotals(spanTotals(spans), providerTotals(traced.requests, 'gpt-4o-mini'));
    });
  });
}

describe('Vercel AI SDK of a major we do not support', () => {
  it('gets one warning naming the package and version, and runs untouched', async () => {
    // The version gate reads the version from the package's package.json: this app's `ai` says 5.0.0.
    const dir = makeAppDir(AI_SDK_FILES, [
      { name: 'ai', alias: 'ai-v6', version: '5.0.0' },
      { name: '@ai-sdk/openai', alias: '@ai-sdk/openai-v3' },
      { name: 'openai', alias: 'openai' },
    ]);
    servers.dirs.push(dir);
    const plain = await runApp(servers, path.join(dir, 'ai-sdk.cjs'), 'none', { SCENARIO: 'generate-tools' }, { cwd: dir });
    const traced = await runApp(servers, path.join(dir, 'ai-sdk.cjs'), 'require', { SCENARIO: 'generate-tools' }, { cwd: dir });
    assert.deepEqual(traced.result, plain.result);
    const warnings = traced.res.logs.filter((l) => typeof l.msg === 'string' && l.msg.includes('not supported'));
    assert.equal(warnings.length, 1, JSON.stringify(traced.res.logs));
    assert.match(String(warnings[0].msg), /^ai 5\.0\.0 is not supported/);
    assert.equal(named(traced.spans, 'generateText').length, 0);
    assert.equal(byKind(traced.spans, 'llms').length, 0);
  });
});
