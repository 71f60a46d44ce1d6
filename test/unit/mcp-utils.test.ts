import * as assert from 'node:assert/strict';
import { ROOT_CONTEXT, trace, TraceFlags } from '@opentelemetry/api';
import { ProtocolError } from '@modelcontextprotocol/client';
import { McpError } from '@modelcontextprotocol/sdk/types.js';
import { carriesOurContext, takeTraceContext, withTraceContext } from '../../instrumentations/mcp/propagation';
import { isSupportedV2Version } from '../../instrumentations/mcp-v2/utils';
import type { McpMapping } from '../../instrumentations/mcp/types';
import * as U from '../../instrumentations/mcp/utils';

const on: McpMapping = { serviceName: 'svc', captureContent: true, maxAttributeLength: 1000 };
const off: McpMapping = { ...on, captureContent: false };

const TRACE_ID = '4bf92f3577b34da6a3ce929d0e0e4736';
const SPAN_ID = '00f067aa0ba902b7';
const spanCtx = trace.setSpanContext(ROOT_CONTEXT, { traceId: TRACE_ID, spanId: SPAN_ID, traceFlags: TraceFlags.SAMPLED });
const TRACEPARENT = `00-${TRACE_ID}-${SPAN_ID}-01`;

describe('mcp mapping', () => {
  it('names spans {mcp.method.name} {target}, the target being the tool or prompt', () => {
    assert.equal(U.spanName('tools/call', { name: 'get-weather', arguments: {} }), 'tools/call get-weather');
    assert.equal(U.spanName('prompts/get', { name: 'analyze' }), 'prompts/get analyze');
    // A resource URI is high-cardinality: not in the name.
    assert.equal(U.spanName('resources/read', { uri: 'file:///a' }), 'resources/read');
    assert.equal(U.spanName('tools/call', { name: 42 }), 'tools/call');
    assert.equal(U.spanName('initialize', undefined), 'initialize');
  });

  it('maps request attributes; tool arguments only when content is captured', () => {
    assert.deepEqual(U.requestAttributes('tools/call', { name: 'add', arguments: { a: 1 } }, on), {
      'service.name': 'svc',
      'mcp.method.name': 'tools/call',
      'gen_ai.operation.name': 'execute_tool',
      'gen_ai.tool.name': 'add',
      'gen_ai.tool.call.arguments': '{"a":1}',
    });
    assert.equal(U.requestAttributes('tools/call', { name: 'add', arguments: { a: 1 } }, off)['gen_ai.tool.call.arguments'], undefined);
    assert.deepEqual(U.requestAttributes('prompts/get', { name: 'p' }, on), { 'service.name': 'svc', 'mcp.method.name': 'prompts/get', 'gen_ai.prompt.name': 'p' });
    assert.equal(U.requestAttributes('resources/read', { uri: 'file:///x' }, on)['mcp.resource.uri'], 'file:///x');
    // gen_ai.operation.name only on tool calls.
    assert.equal(U.requestAttributes('tools/list', undefined, on)['gen_ai.operation.name'], undefined);
  });

  it('gives request ids as text, none for a missing or null id', () => {
    assert.equal(U.requestIdText(0), '0');
    assert.equal(U.requestIdText('req-7'), 'req-7');
    assert.equal(U.requestIdText(null), undefined);
    assert.equal(U.requestIdText(undefined), undefined);
  });

  it('reads error types: JSON-RPC codes, tool_error for isError, the class otherwise', () => {
    assert.deepEqual(U.resultOutcome('tools/call', { isError: true, content: [] }), { errorType: 'tool_error' });
    assert.deepEqual(U.resultOutcome('tools/call', { isError: false, content: [] }), {});
    assert.deepEqual(U.resultOutcome('prompts/get', { isError: true }), {});
    const rpc = new McpError(-32602, 'bad params');
    assert.deepEqual(U.errorOutcome(rpc, 'client'), { errorType: '-32602', statusCode: '-32602', message: 'MCP error -32602: bad params' });
    // v2 answers a JSON-RPC error with a ProtocolError, the code its own.
    assert.deepEqual(U.errorOutcome(new ProtocolError(-32601, 'Method not found'), 'client'), { errorType: '-32601', statusCode: '-32601', message: 'Method not found' });
    assert.deepEqual(U.errorOutcome(new TypeError('no'), 'client'), { errorType: 'TypeError', message: 'no' });
    assert.deepEqual(U.errorOutcome(new Error('Not connected'), 'client'), { errorType: '_OTHER', message: 'Not connected' });
    assert.deepEqual(U.errorOutcome('text', 'client'), { errorType: '_OTHER', message: undefined });
    // The server answers what the SDK answers: the error's integer code, else -32603.
    assert.deepEqual(U.errorOutcome(rpc, 'server'), { errorType: '-32602', statusCode: '-32602', message: 'MCP error -32602: bad params' });
    assert.deepEqual(U.errorOutcome(new Error('boom'), 'server'), { errorType: '-32603', statusCode: '-32603', message: 'boom' });
    assert.deepEqual(U.errorOutcome(Object.assign(new Error('x'), { code: 'ENOENT' }), 'server').errorType, '-32603');
    assert.deepEqual(U.outcomeAttributes({ errorType: '-32602', statusCode: '-32602' }), { 'error.type': '-32602', 'rpc.response.status_code': '-32602' });
  });

  it('tells the transport from its class', () => {
    class StdioClientTransport {}
    class StreamableHTTPClientTransport {
      _url = new URL('http://127.0.0.1:8123/mcp');
    }
    class StreamableHTTPServerTransport {}
    class InMemoryTransport {}
    assert.deepEqual(U.transportAttributes(new StdioClientTransport()), { 'network.transport': 'pipe' });
    assert.deepEqual(U.transportAttributes(new StreamableHTTPClientTransport()), {
      'network.transport': 'tcp',
      'network.protocol.name': 'http',
      'server.address': '127.0.0.1',
      'server.port': 8123,
    });
    assert.deepEqual(U.transportAttributes(new StreamableHTTPServerTransport()), { 'network.transport': 'tcp', 'network.protocol.name': 'http' });
    assert.deepEqual(U.transportAttributes(new InMemoryTransport()), {});
    assert.deepEqual(U.transportAttributes(undefined), {});
  });

  it('records the tool result only with content capture, and the protocol version of initialize', () => {
    assert.equal(U.resultAttributes('tools/call', { content: [] }, on)['gen_ai.tool.call.result'], '{"content":[]}');
    assert.deepEqual(U.resultAttributes('tools/call', { content: [] }, off), {});
    assert.deepEqual(U.resultAttributes('initialize', { protocolVersion: '2025-11-25' }, off), { 'mcp.protocol.version': '2025-11-25' });
  });

  it('supports 1.2 and later 1.x', () => {
    for (const v of ['1.2.0', '1.32.2', '1.99.0-rc.1']) assert.equal(U.isSupportedVersion(v), true, v);
    for (const v of ['1.1.0', '1.0.4', '0.6.0', '2.0.0', '2.0.0-beta.1', 'garbage', '', undefined]) assert.equal(U.isSupportedVersion(v), false, String(v));
  });

  it('supports the v2 packages from 2.0.0 to before 3, not the 2.0 pre-releases', () => {
    for (const v of ['2.0.0', '2.4.0', '2.10.3', '2.5.0-beta.1', '2.0.1-rc.0']) assert.equal(isSupportedV2Version(v), true, v);
    for (const v of ['2.0.0-alpha.2', '2.0.0-beta.5', '1.32.2', '3.0.0', '2.4', 'garbage', '', undefined]) assert.equal(isSupportedV2Version(v), false, String(v));
  });
});

describe('mcp trace context in params._meta', () => {
  it('injects traceparent into a copy; the app object is not touched', () => {
    const request = { method: 'tools/call', params: { name: 'add', arguments: { a: 1 }, _meta: { 'example.com/k': 'v' } } };
    const frozen = JSON.stringify(request);
    const sent = withTraceContext(request, spanCtx);
    assert.equal(JSON.stringify(request), frozen);
    assert.deepEqual(sent, { method: 'tools/call', params: { name: 'add', arguments: { a: 1 }, _meta: { 'example.com/k': 'v', traceparent: TRACEPARENT } } });
  });

  it('knows the _meta it wrote: the SDK sending that request again (a retry leg, params copied) is not a new request', () => {
    const request = { method: 'tools/call', params: { name: 'add', _meta: { 'example.com/k': 'v' } } };
    const sent = withTraceContext(request, spanCtx);
    assert.equal(carriesOurContext(request), false);
    assert.equal(carriesOurContext(sent), true);
    assert.equal(carriesOurContext({ method: 'tools/call', params: { ...(sent.params as object), inputResponses: {} } }), true);
    // The same keys written by anyone else are not ours.
    assert.equal(carriesOurContext(JSON.parse(JSON.stringify(sent)) as typeof sent), false);
    for (const odd of [{ method: 'x' }, { method: 'x', params: null }, { method: 'x', params: { _meta: 'text' } }]) assert.equal(carriesOurContext(odd), false);
  });

  it('creates params and _meta when the request has none, and leaves the app its own trace keys', () => {
    assert.deepEqual(withTraceContext({ method: 'tools/list' }, spanCtx), { method: 'tools/list', params: { _meta: { traceparent: TRACEPARENT } } });
    const own = { method: 'ping', params: { _meta: { traceparent: 'app-value' } } };
    assert.equal(withTraceContext(own, spanCtx), own);
    // Nothing to propagate, or nowhere to put it: the request as it was.
    const plain = { method: 'ping' };
    assert.equal(withTraceContext(plain, ROOT_CONTEXT), plain);
    const odd = { method: 'x', params: [1, 2] };
    assert.equal(withTraceContext(odd, spanCtx), odd);
    const oddMeta = { method: 'x', params: { _meta: 'text' } };
    assert.equal(withTraceContext(oddMeta, spanCtx), oddMeta);
  });

  it('takes the context out again: the handler sees the request as the client app wrote it, keys in their order', () => {
    for (const request of [
      { method: 'tools/list', jsonrpc: '2.0', id: 3 },
      { method: 'tools/call', params: { name: 'a', arguments: {} }, jsonrpc: '2.0', id: 4 },
      { method: 'tools/call', params: { _meta: { 'example.com/k': 'v' }, name: 'a' }, jsonrpc: '2.0', id: 5 },
    ]) {
      const sent = JSON.parse(JSON.stringify(withTraceContext(request, spanCtx))) as typeof request;
      const taken = takeTraceContext(sent, ROOT_CONTEXT);
      assert.equal(JSON.stringify(taken.request), JSON.stringify(request));
      assert.equal(trace.getSpanContext(taken.parent!)?.traceId, TRACE_ID);
      assert.equal(trace.getSpanContext(taken.parent!)?.spanId, SPAN_ID);
      assert.equal(trace.getSpanContext(taken.parent!)?.isRemote, true);
    }
  });

  it('a malformed traceparent gives no parent, never an exception, and is taken out all the same', () => {
    for (const bad of ['', 'garbage', '00-zz-zz-01', `00-${'0'.repeat(32)}-${SPAN_ID}-01`, `ff-${TRACE_ID}-${SPAN_ID}-01`, 42, null, { nested: true }]) {
      const received = { method: 'tools/call', params: { name: 'a', _meta: { traceparent: bad, tracestate: 'a=1', keep: 1 } }, id: 1 };
      const taken = takeTraceContext(received, ROOT_CONTEXT);
      assert.equal(taken.parent, undefined, JSON.stringify(bad));
      assert.deepEqual(taken.request, { method: 'tools/call', params: { name: 'a', _meta: { keep: 1 } }, id: 1 });
    }
    // Not a context carrier at all: the very same object.
    for (const received of [{ method: 'x' }, { method: 'x', params: null }, { method: 'x', params: { _meta: 'text' } }, { method: 'x', params: { a: 1 } }]) {
      assert.equal(takeTraceContext(received, ROOT_CONTEXT).request, received);
    }
  });
});
