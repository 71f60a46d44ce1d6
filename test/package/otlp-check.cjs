// Usage: node otlp-check.cjs <app dir>
// Runs <app dir>/app.cjs under the installed preload against a loopback OTLP/HTTP receiver and
// checks, on the decoded OTLP/JSON body, that the session arrived as one trace whose id is the
// session UUID, with its agent and event spans under it. Exits non-zero with the reason otherwise.
'use strict';
const assert = require('node:assert/strict');
const { spawn } = require('node:child_process');
const http = require('node:http');
const path = require('node:path');
const zlib = require('node:zlib');

const appDir = path.resolve(process.argv[2] ?? '.');
const SERVICE = 'pack-smoke';

function startReceiver() {
  const requests = [];
  const server = http.createServer((req, res) => {
    const chunks = [];
    req.on('data', (c) => chunks.push(c));
    req.on('end', () => {
      if (req.method !== 'POST' || req.url !== '/v1/traces') {
        res.writeHead(404).end();
        return;
      }
      let body = Buffer.concat(chunks);
      if (req.headers['content-encoding'] === 'gzip') body = zlib.gunzipSync(body);
      requests.push({ contentType: req.headers['content-type'], body: body.toString('utf8') });
      res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
    });
  });
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve({ server, requests, url: `http://127.0.0.1:${server.address().port}/v1/traces` }));
  });
}

/** OTLP/JSON AnyValue to a plain value (int64 arrives as a string or a number). */
function value(v) {
  if (v === undefined || v === null) return null;
  if ('stringValue' in v) return v.stringValue;
  if ('intValue' in v) return Number(v.intValue);
  if ('doubleValue' in v) return v.doubleValue;
  if ('boolValue' in v) return v.boolValue;
  if ('arrayValue' in v) return (v.arrayValue.values ?? []).map(value);
  return v;
}

function attributes(list) {
  return Object.fromEntries((list ?? []).map((kv) => [kv.key, value(kv.value)]));
}

function decode(requests) {
  const spans = [];
  for (const r of requests) {
    assert.match(String(r.contentType), /^application\/json/, `the exporter sent ${r.contentType}, not OTLP/JSON`);
    for (const rs of JSON.parse(r.body).resourceSpans ?? []) {
      const resource = attributes(rs.resource?.attributes);
      for (const ss of rs.scopeSpans ?? []) {
        for (const s of ss.spans ?? []) {
          spans.push({ name: s.name, traceId: s.traceId, spanId: s.spanId, parentSpanId: s.parentSpanId || undefined, attributes: attributes(s.attributes), resource, scope: ss.scope ?? {} });
        }
      }
    }
  }
  return spans;
}

function runApp(url) {
  const env = {};
  for (const [k, v] of Object.entries(process.env)) {
    if (!k.startsWith('OTEL_') && !k.startsWith('AGENTOPS_') && k !== 'NODE_OPTIONS') env[k] = v;
  }
  Object.assign(env, {
    AGENTOPS_EXPORTERS: 'jaeger',
    OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: url,
    OTEL_EXPORTER_OTLP_TRACES_PROTOCOL: 'http/json',
    OTEL_SERVICE_NAME: SERVICE,
    OTEL_BSP_SCHEDULE_DELAY: '50',
  });
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--require', 'agentops-otel/register', 'app.cjs'], { cwd: appDir, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d) => (stdout += d));
    child.stderr.setEncoding('utf8').on('data', (d) => (stderr += d));
    const timer = setTimeout(() => child.kill('SIGKILL'), 60_000);
    child.on('error', reject);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stdout, stderr });
    });
  });
}

async function main() {
  const receiver = await startReceiver();
  try {
    const res = await runApp(receiver.url);
    assert.equal(res.code, 0, `app.cjs under the preload exited with ${res.code ?? res.signal}\n${res.stderr}`);
    const out = JSON.parse(res.stdout.trim().split('\n').pop());
    // The preload flushes before the process exits, so the spans should be here already.
    for (let waited = 0; decode(receiver.requests).length < 4 && waited < 10_000; waited += 100) await new Promise((r) => setTimeout(r, 100));
    const spans = decode(receiver.requests);
    const traceId = out.sessionId.replace(/-/g, '');
    const names = spans.map((s) => `${s.name} (${s.traceId})`).join(', ') || 'none';

    const session = spans.find((s) => s.name === 'session' && s.attributes['agentops.session.id'] === out.sessionId);
    assert.ok(session, `no session span for ${out.sessionId}; received: ${names}`);
    assert.equal(session.traceId, traceId, "the session span's trace id is the session UUID without dashes");
    assert.equal(session.parentSpanId, undefined, 'the session span is a root');
    assert.equal(session.attributes['agentops.session.end_state'], 'Success');
    assert.equal(session.resource['service.name'], SERVICE);
    const installed = require(path.join(appDir, 'node_modules', 'agentops-otel', 'package.json')).version;
    assert.equal(session.scope.version, installed, 'the instrumentation scope carries the installed package version');

    const agent = spans.find((s) => s.name === 'invoke_agent researcher');
    assert.ok(agent, `no agent span; received: ${names}`);
    assert.equal(agent.parentSpanId, session.spanId, 'the agent span is a child of the session span');
    const llm = spans.find((s) => s.attributes['agentops.event.id'] === out.llmEventId);
    assert.ok(llm, `no span for the LLM event ${out.llmEventId}; received: ${names}`);
    assert.equal(llm.name, 'chat gpt-4o');
    assert.equal(llm.parentSpanId, agent.spanId, 'the LLM event span is a child of the agent span');
    const tool = spans.find((s) => s.attributes['agentops.event.id'] === out.toolEventId);
    assert.ok(tool, `no span for the tool event ${out.toolEventId}; received: ${names}`);
    assert.equal(tool.parentSpanId, session.spanId, 'an event with no agent hangs off the session span');
    for (const s of [agent, llm, tool]) assert.equal(s.traceId, traceId, `${s.name} is in the session's trace`);

    console.log(`${spans.length} spans over ${receiver.requests.length} OTLP/JSON request(s), trace ${traceId}: ${spans.map((s) => s.name).join(', ')}`);
  } finally {
    receiver.server.close();
  }
}

main().catch((err) => {
  console.error(err instanceof assert.AssertionError ? err.message : err);
  process.exitCode = 1;
});
