/**
 * The MCP instrumentation's edges: client and server in one process (1.x SDK and v2 packages), an
 * @openai/agents run using an MCP server, a version of the SDK or of the v2 packages we do not
 * support, the instrumentation switched off by name, content capture off.
 */
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { REPO_ROOT, runNode, type ChildResult } from '../helpers/child';
import { startLlmServer } from '../helpers/llm-server';
import { attr, startOtlpReceiver, treeOf, type OtlpReceiver, type ReceivedSpan } from '../helpers/otlp-receiver';

let receiver: OtlpReceiver;

before(async () => {
  receiver = await startOtlpReceiver();
});
after(async () => {
  await receiver.close();
});

async function run(script: string, preload: 'require' | 'import' | 'none', env: Record<string, string> = {}, cwd?: string): Promise<{ res: ChildResult; spans: ReceivedSpan[] }> {
  receiver.reset();
  const res = await runNode(script, {
    preload,
    cwd,
    timeoutMs: 60000,
    env: { AGENTOPS_EXPORTERS: 'jaeger', OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: receiver.url, OTEL_BSP_SCHEDULE_DELAY: '100', ...env },
  });
  assert.equal(res.code, 0, `app failed: ${res.stderr}`);
  return { res, spans: [...receiver.spans] };
}

function mcpSpans(spans: ReceivedSpan[]): ReceivedSpan[] {
  return spans.filter((s) => attr(s, 'mcp.method.name') !== undefined);
}

function warnings(res: ChildResult): Array<Record<string, unknown>> {
  return res.logs.filter((l) => l.level === 'warn' || l.level === 'error');
}

describe('MCP client and server in one process (in-memory transport)', () => {
  for (const [script, preload] of [
    ['in-memory.cjs', 'require'],
    ['in-memory.mjs', 'import'],
    ['in-memory-v2.cjs', 'require'],
    ['in-memory-v2.mjs', 'import'],
  ] as const) {
    it(`${script}: one CLIENT and one SERVER span per request, the server span the child`, async () => {
      const { res, spans } = await run(`test/fixtures/mcp/${script}`, preload, { CALLS: '3' });
      assert.deepEqual(warnings(res), []);
      const clients = mcpSpans(spans).filter((s) => s.kind === 3);
      const servers = mcpSpans(spans).filter((s) => s.kind === 2);
      assert.deepEqual(clients.map((s) => s.name).sort(), ['initialize', 'tools/call add', 'tools/call add', 'tools/call add'], treeOf(spans).render());
      assert.equal(servers.length, clients.length, treeOf(spans).render());
      for (const c of clients) {
        const children = servers.filter((s) => s.parentSpanId === c.spanId);
        assert.equal(children.length, 1, treeOf(spans).render());
        assert.equal(children[0].traceId, c.traceId);
        assert.equal(attr(children[0], 'network.transport'), undefined, 'the in-memory transport is no network');
      }
    });
  }
});

describe('MCP tools of an @openai/agents run', () => {
  // @openai/agents 0.20 speaks MCP through the v2 client package (@modelcontextprotocol/client);
  // the fixture server is the 1.x SDK's.
  it('the agents tool event is the one tool event; the MCP call is a span of it, and the server span its child', async () => {
    const llm = await startLlmServer();
    try {
      const { res, spans } = await run('test/fixtures/mcp/agents-mcp.cjs', 'require', { LLM_BASE: llm.url, SERVER_PRELOAD: 'require', SESSION: '1' });
      assert.deepEqual(warnings(res), []);
      assert.match(res.stdout, /^final /m);
      const tree = treeOf(spans).render();
      const session = spans.find((s) => s.name === 'session');
      const tool = spans.find((s) => s.name === 'execute_tool add');
      const call = spans.find((s) => s.name === 'tools/call add' && s.kind === 3);
      const handled = spans.find((s) => s.name === 'tools/call add' && s.kind === 2);
      assert.ok(session && tool && call && handled, tree);
      assert.equal(attr(session, 'agentops.session.event_counts.tools'), 1n, tree);
      assert.equal(spans.filter((s) => attr(s, 'agentops.event.type') === 'tools').length, 1, tree);
      assert.equal(call.parentSpanId, tool.spanId, tree);
      assert.equal(handled.parentSpanId, call.spanId, tree);
      assert.equal(handled.traceId, session.traceId, tree);
    } finally {
      await llm.close();
    }
  });
});

/**
 * A directory with copies of the real MCP packages named (`@modelcontextprotocol/<name>`), whose
 * version setVersion changes, beside links to every other package, and the in-memory fixtures.
 */
function versionedCopy(copied: string[]): { dir: string; setVersion(version: string): void } {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'agentops-otel-mcp-version-'));
  const modules = path.join(dir, 'node_modules');
  const scope = path.join(REPO_ROOT, 'node_modules', '@modelcontextprotocol');
  fs.mkdirSync(path.join(modules, '@modelcontextprotocol'), { recursive: true });
  for (const name of fs.readdirSync(path.join(REPO_ROOT, 'node_modules'))) {
    if (name === '@modelcontextprotocol' || name === '.bin') continue;
    fs.symlinkSync(path.join(REPO_ROOT, 'node_modules', name), path.join(modules, name));
  }
  for (const name of fs.readdirSync(scope)) {
    const to = path.join(modules, '@modelcontextprotocol', name);
    if (copied.includes(name)) fs.cpSync(path.join(scope, name), to, { recursive: true });
    else fs.symlinkSync(path.join(scope, name), to);
  }
  for (const f of fs.readdirSync(path.join(REPO_ROOT, 'test', 'fixtures', 'mcp')).filter((n) => n.startsWith('in-memory'))) {
    fs.copyFileSync(path.join(REPO_ROOT, 'test', 'fixtures', 'mcp', f), path.join(dir, f));
  }
  const setVersion = (version: string): void => {
    for (const name of copied) {
      const file = path.join(modules, '@modelcontextprotocol', name, 'package.json');
      const pkg = JSON.parse(fs.readFileSync(file, 'utf8')) as { version: string };
      pkg.version = version;
      fs.writeFileSync(file, JSON.stringify(pkg, null, 2));
    }
  };
  return { dir, setVersion };
}

/** The unsupported-version cases: the packages copied, the versions they claim, the fixture, what the warnings say is supported. */
const UNSUPPORTED = [
  { what: 'the SDK', copied: ['sdk'], versions: ['2.0.0-beta.1', '1.1.0'], fixture: 'in-memory', supported: '>=1.2.0 <2' },
  { what: 'the v2 packages', copied: ['client', 'server'], versions: ['3.0.0', '2.0.0-beta.1'], fixture: 'in-memory-v2', supported: '>=2.0.0 <3' },
];

for (const c of UNSUPPORTED) {
  describe(`MCP: a version of ${c.what} we do not support`, () => {
    let dir: string;
    let setVersion: (version: string) => void;
    before(() => {
      ({ dir, setVersion } = versionedCopy(c.copied));
    });
    after(() => {
      fs.rmSync(dir, { recursive: true, force: true });
    });

    for (const version of c.versions) {
      for (const [script, preload] of [
        [`${c.fixture}.cjs`, 'require'],
        [`${c.fixture}.mjs`, 'import'],
      ] as const) {
        it(`${version}, ${script}: one warning per package naming it and the version; the app runs untouched and untraced`, async () => {
          setVersion(version);
          const base = await run(path.join(dir, script), 'none', { CALLS: '2' }, dir);
          const { res, spans } = await run(path.join(dir, script), preload, { CALLS: '2' }, dir);
          assert.equal(res.stdout, base.res.stdout);
          assert.equal(mcpSpans(spans).length, 0);
          const warned = warnings(res);
          assert.deepEqual(
            warned.map((w) => w.module).sort(),
            c.copied.map((name) => `@modelcontextprotocol/${name}`),
            JSON.stringify(warned),
          );
          const escape = (text: string): string => text.replace(/[.()]/g, '\\$&');
          for (const w of warned) {
            assert.match(String(w.msg), new RegExp(`^${String(w.module)} ${escape(version)} is not a supported version ${escape(`(supported: ${c.supported})`)}`));
            assert.equal(w.version, version);
          }
        });
      }
    }
  });
}

describe('MCP instrumentation options', () => {
  for (const script of ['in-memory.cjs', 'in-memory-v2.cjs']) {
    it(`is switched off by name (mcp): ${script}`, async () => {
      const base = await run(`test/fixtures/mcp/${script}`, 'none', { CALLS: '2' });
      const { res, spans } = await run(`test/fixtures/mcp/${script}`, 'require', { CALLS: '2', AGENTOPS_INSTRUMENTATIONS_DISABLED: 'mcp' });
      assert.equal(res.stdout, base.res.stdout);
      assert.equal(spans.length, 0);
      assert.deepEqual(warnings(res), []);
    });
  }

  it('keeps tool arguments, results and error messages out of spans when content capture is off', async () => {
    const { res, spans } = await run('test/fixtures/mcp/client.cjs', 'require', {
      SCENARIOS: 'add,bad-args',
      SESSION: '1',
      SERVER_PRELOAD: 'require',
      AGENTOPS_CAPTURE_CONTENT: 'false',
    });
    assert.deepEqual(warnings(res), []);
    const calls = mcpSpans(spans).filter((s) => s.name === 'tools/call add');
    assert.equal(calls.length, 4, treeOf(spans).render());
    for (const span of calls) {
      for (const key of ['gen_ai.tool.call.arguments', 'gen_ai.tool.call.result', 'agentops.event.params', 'agentops.event.returns'])
        assert.equal(attr(span, key), undefined, `${key} on ${span.name}`);
    }
    const failed = calls.filter((s) => s.status.code === 2);
    assert.equal(failed.length, 2);
    for (const span of failed) {
      assert.equal(attr(span, 'error.type'), '-32603');
      assert.equal(span.status.message ?? '', '', 'no error message: it can quote the arguments');
    }
    const text = JSON.stringify(
      spans.map((s) => [s.attributes, s.events, s.status]),
      (_k, v: unknown) => (typeof v === 'bigint' ? String(v) : v),
    );
    assert.ok(!text.includes('not an object'), 'the bad arguments appear nowhere');
  });
});
