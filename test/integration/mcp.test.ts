/**
 * The real MCP SDKs, @modelcontextprotocol/sdk 1.x and the v2 packages (@modelcontextprotocol/client,
 * @modelcontextprotocol/server, @modelcontextprotocol/node): a client app and the fixture MCP server
 * in two processes, both under the preload (CommonJS `--require` and ESM `--import`), over stdio and
 * over streamable HTTP, both exporting to the loopback OTLP receiver; a v2 client with a 1.x server
 * and the other way round too.
 */
import * as assert from 'node:assert/strict';
import { runNode, type ChildResult } from '../helpers/child';
import { attr, startOtlpReceiver, treeOf, type OtlpReceiver, type ReceivedSpan } from '../helpers/otlp-receiver';

const KIND_SERVER = 2;
const KIND_CLIENT = 3;
const STATUS_UNSET = 0;
const STATUS_ERROR = 2;

/** What the default scenario list sends, in order, after `initialize`; the tools/call ones are ToolEvents. */
const REQUESTS = [
  'initialize',
  'tools/list',
  'tools/call add',
  'tools/call echo_meta',
  'tools/call echo_meta',
  'tools/call tool_error',
  'tools/call add',
  'prompts/get greet',
  'fixture/inspect',
  'fixture/inspect',
  'fixture/none',
];
const TOOL_CALLS = REQUESTS.filter((r) => r.startsWith('tools/call')).length;

let receiver: OtlpReceiver;

before(async () => {
  receiver = await startOtlpReceiver();
});
after(async () => {
  await receiver.close();
});

interface Setup {
  client: string;
  server: string;
  preload: 'require' | 'import';
  transport: 'stdio' | 'http';
}

/** The SDK generation of a fixture (the v2 ones are named `*-v2.*`). */
function isV2(script: string): boolean {
  return script.includes('-v2.');
}

/**
 * The JSON-RPC code the server answers a call with bad arguments with: 1.x's McpServer reports
 * the failed validation as a tool error (-32603), v2's as invalid params (-32602).
 */
function badArgsCode(s: Setup): string {
  return isV2(s.server) ? '-32602' : '-32603';
}

/** The class of the error the client gets for a JSON-RPC error: McpError in 1.x, ProtocolError in v2. */
function errorClass(s: Setup): string {
  return isV2(s.client) ? 'ProtocolError' : 'McpError';
}

interface Run {
  res: ChildResult;
  spans: ReceivedSpan[];
  /** The app's lines: what it got for each request. */
  lines: string[];
}

async function runApp(s: Setup, preload: 'require' | 'import' | 'none', env: Record<string, string> = {}): Promise<Run> {
  receiver.reset();
  const res = await runNode(`test/fixtures/mcp/${s.client}`, {
    preload,
    timeoutMs: 60000,
    env: {
      MCP_TRANSPORT: s.transport,
      SERVER_SCRIPT: s.server,
      SERVER_PRELOAD: preload,
      AGENTOPS_EXPORTERS: 'jaeger',
      OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: receiver.url,
      OTEL_BSP_SCHEDULE_DELAY: '100',
      ...env,
    },
  });
  assert.equal(res.code, 0, `app failed: ${res.stderr}`);
  // Both processes flush before they exit, and the server exits before the client does.
  return { res, spans: [...receiver.spans], lines: res.stdout.split('\n').filter((l) => l.startsWith('{')) };
}

function show(span: ReceivedSpan): string {
  return `${span.name} (kind ${span.kind}): ${JSON.stringify(span.attributes, (_k, v: unknown) => (typeof v === 'bigint' ? Number(v) : v))}`;
}

function byStart(spans: ReceivedSpan[]): ReceivedSpan[] {
  return [...spans].sort((a, b) => (a.startTimeUnixNano < b.startTimeUnixNano ? -1 : a.startTimeUnixNano > b.startTimeUnixNano ? 1 : 0));
}

function mcpSpans(spans: ReceivedSpan[], kind: number): ReceivedSpan[] {
  return byStart(spans.filter((s) => s.kind === kind && attr(s, 'mcp.method.name') !== undefined));
}

/** Our warnings and errors: there must be none. */
function ownWarnings(res: ChildResult): unknown[] {
  return res.logs.filter((l) => l.level === 'warn' || l.level === 'error');
}

/** Each SERVER span is the child of exactly one CLIENT span of the same request, in its trace. */
function pairs(spans: ReceivedSpan[]): Array<{ client: ReceivedSpan; server: ReceivedSpan }> {
  const clients = mcpSpans(spans, KIND_CLIENT);
  const servers = mcpSpans(spans, KIND_SERVER);
  const tree = treeOf(spans).render();
  assert.deepEqual(
    clients.map((s) => s.name),
    REQUESTS,
    tree,
  );
  assert.equal(servers.length, REQUESTS.length, tree);
  return clients.map((client) => {
    const children = servers.filter((s) => s.parentSpanId === client.spanId);
    assert.equal(children.length, 1, `one SERVER span under ${show(client)}\n${tree}`);
    const server = children[0];
    assert.equal(server.traceId, client.traceId, show(server));
    assert.equal(server.name, client.name, show(server));
    assert.notEqual(server.resource['process.pid'], client.resource['process.pid'], 'the two spans come from the two processes');
    assert.equal(attr(server, 'jsonrpc.request.id'), attr(client, 'jsonrpc.request.id'), show(server));
    return { client, server };
  });
}

const SETUPS: Setup[] = [
  { client: 'client.cjs', server: 'server.cjs', preload: 'require', transport: 'stdio' },
  { client: 'client.mjs', server: 'server.mjs', preload: 'import', transport: 'stdio' },
  { client: 'client.cjs', server: 'server.cjs', preload: 'require', transport: 'http' },
  { client: 'client.mjs', server: 'server.mjs', preload: 'import', transport: 'http' },
  { client: 'client-v2.cjs', server: 'server-v2.cjs', preload: 'require', transport: 'stdio' },
  { client: 'client-v2.mjs', server: 'server-v2.mjs', preload: 'import', transport: 'stdio' },
  { client: 'client-v2.cjs', server: 'server-v2.cjs', preload: 'require', transport: 'http' },
  { client: 'client-v2.mjs', server: 'server-v2.mjs', preload: 'import', transport: 'http' },
  // The two generations talk to each other: the context travels the same way.
  { client: 'client-v2.cjs', server: 'server.cjs', preload: 'require', transport: 'stdio' },
  { client: 'client.mjs', server: 'server-v2.mjs', preload: 'import', transport: 'http' },
];

function sdkTitle(s: Setup): string {
  const [client, server] = [s.client, s.server].map((f) => (isV2(f) ? 'v2' : '1.x'));
  return client === server ? `SDK ${client}` : `SDK ${client} client, ${server} server`;
}

for (const setup of SETUPS) {
  const title = `${setup.transport === 'http' ? 'streamable HTTP' : 'stdio'}, ${setup.preload === 'import' ? 'ESM (--import)' : 'CommonJS (--require)'}, ${sdkTitle(setup)}`;
  describe(`MCP client and server over ${title}`, () => {
    let baseline: Run;
    before(async () => {
      baseline = await runApp(setup, 'none', { SESSION: '1' });
      assert.equal(baseline.spans.length, 0);
    });

    it('makes one CLIENT and one SERVER span per request, the server span a child of the client span in the same trace; tool calls are ToolEvents of the session under the agent', async () => {
      const { spans, res, lines } = await runApp(setup, setup.preload, { SESSION: '1', AGENT: 'caller' });
      assert.deepEqual(ownWarnings(res), []);
      // The app got exactly what it gets without the preload, _meta of its requests included.
      assert.deepEqual(lines, baseline.lines);
      assert.equal(lines.length, REQUESTS.length - 1 + (setup.transport === 'http' ? 1 : 0));

      const tree = treeOf(spans).render();
      const session = spans.find((s) => s.name === 'session');
      const agent = spans.find((s) => s.name === 'invoke_agent caller');
      assert.ok(session && agent, tree);
      assert.equal(attr(session, 'agentops.session.event_counts.tools'), BigInt(TOOL_CALLS), tree);
      // The JSON-RPC error of the bad-args call is the session's one error.
      assert.equal(attr(session, 'agentops.session.event_counts.errors'), 1n, tree);

      const all = pairs(spans);
      for (const { client, server } of all) {
        // Everything the client sent happened inside agent.run(): under the agent, in the session's trace.
        assert.equal(client.parentSpanId, agent.spanId, show(client));
        assert.equal(client.traceId, session.traceId, show(client));
        for (const span of [client, server]) {
          assert.equal(attr(span, 'mcp.method.name'), span.name.split(' ')[0], show(span));
          assert.equal(attr(span, 'network.transport'), setup.transport === 'http' ? 'tcp' : 'pipe', show(span));
          assert.match(String(attr(span, 'jsonrpc.request.id')), /^\d+$/, show(span));
          if (setup.transport === 'http') {
            assert.equal(attr(span, 'network.protocol.name'), 'http', show(span));
            assert.match(String(attr(span, 'mcp.session.id')), /^[0-9a-f-]{36}$/, show(span));
            assert.equal(attr(span, 'mcp.session.id'), attr(all[0].server, 'mcp.session.id'), 'one MCP session');
          } else {
            assert.equal(attr(span, 'mcp.session.id'), undefined, 'stdio has no session id');
          }
          if (span.name !== 'initialize') assert.match(String(attr(span, 'mcp.protocol.version')), /^\d{4}-\d{2}-\d{2}$/, show(span));
        }
        if (setup.transport === 'http') {
          assert.equal(attr(client, 'server.address'), '127.0.0.1', show(client));
          assert.equal(typeof attr(client, 'server.port'), 'bigint', show(client));
        }
      }
      const [init, list, add, echo, echoApp, toolError, badArgs, prompt, inspect, inspectMeta, unknown] = all;
      assert.equal(attr(init.client, 'mcp.protocol.version'), attr(init.server, 'mcp.protocol.version'));

      // tools/call: a ToolEvent span (the one span of the call on the client), CLIENT kind, GenAI and MCP attributes.
      for (const { client, server } of [add, echo, echoApp, toolError, badArgs]) {
        for (const span of [client, server]) {
          assert.equal(attr(span, 'gen_ai.operation.name'), 'execute_tool', show(span));
          assert.equal(attr(span, 'gen_ai.tool.name'), span.name.slice('tools/call '.length), show(span));
        }
        assert.equal(attr(client, 'agentops.event.type'), 'tools', show(client));
        assert.equal(attr(client, 'agentops.agent.id'), attr(agent, 'agentops.agent.id'), show(client));
        assert.equal(attr(client, 'agentops.session.id'), attr(session, 'agentops.session.id'), show(client));
        assert.equal(attr(server, 'agentops.event.type'), undefined, 'the server span is not a second tool event');
      }
      assert.equal(attr(add.client, 'gen_ai.tool.call.arguments'), '{"a":2,"b":3}');
      assert.equal(attr(add.client, 'agentops.event.params'), '{"a":2,"b":3}');
      assert.equal(attr(add.server, 'gen_ai.tool.call.arguments'), '{"a":2,"b":3}');
      assert.equal(attr(add.client, 'gen_ai.tool.call.result'), '{"content":[{"type":"text","text":"5"}]}');
      assert.equal(attr(add.server, 'gen_ai.tool.call.result'), '{"content":[{"type":"text","text":"5"}]}');
      for (const p of [init, list, prompt, inspect, inspectMeta, unknown]) {
        assert.equal(attr(p.client, 'gen_ai.operation.name'), undefined, show(p.client));
        assert.equal(attr(p.client, 'agentops.event.type'), undefined, show(p.client));
      }
      assert.equal(attr(prompt.client, 'gen_ai.prompt.name'), 'greet');

      // Status: ERROR for a tool result with isError and for JSON-RPC errors, on both sides; nothing else.
      for (const span of [toolError.client, toolError.server]) {
        assert.equal(span.status.code, STATUS_ERROR, show(span));
        assert.equal(attr(span, 'error.type'), 'tool_error', show(span));
      }
      for (const [p, code] of [
        [badArgs, badArgsCode(setup)],
        [unknown, '-32601'],
      ] as const) {
        for (const span of [p.client, p.server]) {
          assert.equal(span.status.code, STATUS_ERROR, show(span));
          assert.equal(attr(span, 'error.type'), code, show(span));
          assert.equal(attr(span, 'rpc.response.status_code'), code, show(span));
        }
      }
      const errorEvent = spans.find((s) => s.name === `error ${errorClass(setup)}`);
      assert.ok(errorEvent, tree);
      assert.equal(errorEvent.parentSpanId, badArgs.client.spanId, 'the ErrorEvent hangs off the failed call');
      for (const p of [init, list, add, echo, echoApp, prompt, inspect, inspectMeta]) {
        assert.equal(p.client.status.code, STATUS_UNSET, show(p.client));
        assert.equal(p.server.status.code, STATUS_UNSET, show(p.server));
        assert.equal(attr(p.client, 'error.type'), undefined, show(p.client));
      }
      // Only the MCP and AgentOps instrumentations made spans.
      const scopes = new Set(spans.map((s) => s.scope.name));
      assert.deepEqual([...scopes].sort(), ['agentops-otel/instrumentation-agentops', 'agentops-otel/instrumentation-mcp']);
    });

    it('outside a session: each request is its own trace, the server span still the client span child', async () => {
      const { spans, res, lines } = await runApp(setup, setup.preload);
      assert.deepEqual(ownWarnings(res), []);
      assert.deepEqual(lines, baseline.lines);
      assert.equal(spans.filter((s) => s.name === 'session').length, 0);
      const all = pairs(spans);
      for (const { client } of all) assert.equal(client.parentSpanId, undefined, show(client));
      assert.equal(new Set(all.map((p) => p.client.traceId)).size, all.length, 'a trace per request');
      const tool = all[2].client;
      assert.equal(attr(tool, 'agentops.span.kind'), 'tools', show(tool));
      assert.equal(attr(tool, 'agentops.event.params'), '{"a":2,"b":3}', show(tool));
      assert.equal(all[5].client.status.code, STATUS_ERROR);
    });
  });
}

describe('MCP requests the other way, and trace context the app wrote itself', () => {
  const setup: Setup = { client: 'client.cjs', server: 'server.cjs', preload: 'require', transport: 'stdio' };

  const v2: Setup = { ...setup, client: 'client-v2.cjs', server: 'server-v2.cjs' };
  const esmHttp = (s: Setup): Setup => ({ ...s, client: s.client.replace('.cjs', '.mjs'), server: s.server.replace('.cjs', '.mjs'), preload: 'import', transport: 'http' });

  for (const s of [setup, esmHttp(setup), v2, esmHttp(v2)]) {
    it(`a request the server sends while it handles one (sampling) nests in the same trace, in both processes (${s.transport}, ${s.preload}, ${sdkTitle(s)})`, async () => {
      const { spans, res, lines } = await runApp(s, s.preload, { SCENARIOS: 'sampling', SESSION: '1', AGENT: 'caller' });
      assert.deepEqual(ownWarnings(res), []);
      assert.deepEqual(JSON.parse(lines[0]), { scenario: 'sampling', result: { content: [{ type: 'text', text: 'client said: pong' }] } });
      const tree = treeOf(spans).render();
      const agent = spans.find((x) => x.name === 'invoke_agent caller');
      const find = (name: string, kind: number): ReceivedSpan => {
        const found = spans.filter((x) => x.name === name && x.kind === kind);
        assert.equal(found.length, 1, `${name} (kind ${kind})\n${tree}`);
        return found[0];
      };
      const call = find('tools/call ask_client', KIND_CLIENT);
      const handled = find('tools/call ask_client', KIND_SERVER);
      const sample = find('sampling/createMessage', KIND_CLIENT);
      const answered = find('sampling/createMessage', KIND_SERVER);
      assert.ok(agent, tree);
      assert.equal(call.parentSpanId, agent.spanId, tree);
      assert.equal(handled.parentSpanId, call.spanId, tree);
      assert.equal(sample.parentSpanId, handled.spanId, tree);
      assert.equal(answered.parentSpanId, sample.spanId, tree);
      assert.equal(new Set([agent, call, handled, sample, answered].map((x) => x.traceId)).size, 1, tree);
      assert.equal(answered.resource['process.pid'], call.resource['process.pid'], 'the client process answers');
      assert.equal(sample.resource['process.pid'], handled.resource['process.pid'], 'the server process asks');
      // Only the app's own call is a tool event of its session.
      assert.equal(
        attr(
          spans.find((x) => x.name === 'session')!,
          'agentops.session.event_counts.tools',
        ),
        1n,
      );
    });
  }

  for (const s of [setup, v2]) {
    it(`a tool call made inside a tool the app records itself is a span of that tool, not a second tool event (${sdkTitle(s)})`, async () => {
      const { spans, res, lines } = await runApp(s, 'require', { SCENARIOS: 'wrapped-tool', SESSION: '1', AGENT: 'caller' });
      assert.deepEqual(ownWarnings(res), []);
      assert.deepEqual(JSON.parse(lines[0]), { scenario: 'wrapped-tool', result: { content: [{ type: 'text', text: '5' }] } });
      const tree = treeOf(spans).render();
      const outer = spans.find((x) => x.name === 'execute_tool add_via_mcp');
      const call = mcpSpans(spans, KIND_CLIENT).find((x) => x.name === 'tools/call add');
      const handled = mcpSpans(spans, KIND_SERVER).find((x) => x.name === 'tools/call add');
      assert.ok(outer && call && handled, tree);
      assert.equal(call.parentSpanId, outer.spanId, tree);
      assert.equal(handled.parentSpanId, call.spanId, tree);
      assert.equal(attr(call, 'agentops.event.type'), undefined, show(call));
      assert.equal(attr(call, 'agentops.span.kind'), 'mcp', show(call));
      assert.equal(attr(call, 'gen_ai.tool.name'), 'add', show(call));
      assert.equal(
        attr(
          spans.find((x) => x.name === 'session')!,
          'agentops.session.event_counts.tools',
        ),
        1n,
        tree,
      );
    });

    it(`a malformed traceparent in _meta starts a new trace on the server, without an error; the handler sees _meta without it (${sdkTitle(s)})`, async () => {
      const { spans, res, lines } = await runApp(s, 'require', { SCENARIOS: 'bad-traceparent' });
      assert.deepEqual(ownWarnings(res), []);
      assert.deepEqual(JSON.parse(lines[0]), { scenario: 'bad-traceparent', result: { content: [{ type: 'text', text: '{"args":{},"meta":"(none)"}' }] } });
      const client = mcpSpans(spans, KIND_CLIENT).find((x) => x.name === 'tools/call echo_meta');
      const server = mcpSpans(spans, KIND_SERVER).find((x) => x.name === 'tools/call echo_meta');
      assert.ok(client && server, treeOf(spans).render());
      assert.equal(server.parentSpanId, undefined, show(server));
      assert.notEqual(server.traceId, client.traceId);
      assert.equal(server.status.code, STATUS_UNSET);
    });
  }
});
