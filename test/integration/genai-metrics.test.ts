/**
 * The GenAI client metrics (semconv 1.42.0) over the OTLP metrics path: the real OpenAI and
 * Anthropic SDKs against the loopback LLM server, in a child process under the preload, exporting
 * to a loopback receiver that decodes the real OTLP wire format (protobuf and JSON).
 */
import * as assert from 'node:assert/strict';
import { DURATION_BUCKETS, TOKEN_BUCKETS } from '../../instrumentations/genai/metrics';
import { loopbackApps } from '../helpers/loopback-apps';
import { startLlmServer } from '../helpers/llm-server';
import { startMetricsReceiver, type ReceivedMetric, type ReceivedPoint } from '../helpers/otlp-metrics';

const apps = loopbackApps(startLlmServer, (llm) => ({ LLM_BASE: llm.url }));

const SCENARIOS = ['chat', 'chat-stream-usage', 'anthropic', 'embeddings', 'error-429-openai'];

async function run(env: Record<string, string>): Promise<{ metrics: ReceivedMetric[]; contentTypes: string[]; stderr: string }> {
  const receiver = await startMetricsReceiver();
  try {
    const { res } = await apps.run('test/fixtures/llm/app.cjs', 'require', {
      SCENARIOS: SCENARIOS.join(','),
      OTEL_METRICS_EXPORTER: 'otlp',
      OTEL_EXPORTER_OTLP_METRICS_ENDPOINT: receiver.url,
      OTEL_METRIC_EXPORT_INTERVAL: '60000',
      ...env,
    });
    return { metrics: receiver.metrics, contentTypes: receiver.requests.map((r) => r.contentType), stderr: res.stderr };
  } finally {
    await receiver.close();
  }
}

/** The last export's points of a metric (cumulative temporality: the last one holds everything). */
function points(metrics: ReceivedMetric[], name: string): { metric: ReceivedMetric; points: ReceivedPoint[] } {
  const all = metrics.filter((m) => m.name === name);
  assert.ok(all.length > 0, `${name} was exported (got ${[...new Set(metrics.map((m) => m.name))].join(', ')})`);
  const lastScope = new Map<string, ReceivedMetric>();
  for (const m of all) lastScope.set(m.scope.name, m);
  const list = [...lastScope.values()];
  return { metric: list[0], points: list.flatMap((m) => m.points) };
}

const find = (ps: ReceivedPoint[], match: Record<string, unknown>): ReceivedPoint[] => ps.filter((p) => Object.entries(match).every(([k, v]) => p.attributes[k] === v));

for (const protocol of ['http/protobuf', 'http/json'] as const) {
  describe(`GenAI client metrics over OTLP (${protocol})`, () => {
    it('records gen_ai.client.operation.duration per call and gen_ai.client.token.usage per token type, with provider, model, operation and error.type', async () => {
      const { metrics, contentTypes } = await run({ OTEL_EXPORTER_OTLP_METRICS_PROTOCOL: protocol });
      assert.ok(contentTypes.length > 0 && contentTypes.every((t) => t.includes(protocol === 'http/json' ? 'json' : 'protobuf')), contentTypes.join());

      const duration = points(metrics, 'gen_ai.client.operation.duration');
      assert.equal(duration.metric.kind, 'histogram');
      assert.equal(duration.metric.unit, 's');
      assert.deepEqual(duration.points[0].explicitBounds, DURATION_BUCKETS);
      assert.equal(
        duration.points.reduce((n, p) => n + (p.count ?? 0), 0),
        SCENARIOS.length,
        'one duration per call',
      );
      const chat = find(duration.points, {
        'gen_ai.operation.name': 'chat',
        'gen_ai.provider.name': 'openai',
        'gen_ai.request.model': 'gpt-4o-mini',
        'gen_ai.response.model': 'gpt-4o-mini-2024-07-18',
      });
      assert.equal(
        chat.reduce((n, p) => n + (p.count ?? 0), 0),
        2,
        'chat and chat-stream-usage',
      );
      assert.equal(chat[0].attributes['server.address'], '127.0.0.1');
      assert.equal(chat[0].attributes['server.port'], BigInt(apps.server.port));
      assert.equal(chat[0].attributes['error.type'], undefined);
      const failed = find(duration.points, { 'error.type': 'RateLimitError' });
      assert.equal(failed.length, 1);
      assert.equal(failed[0].attributes['gen_ai.request.model'], 'gpt-4o-mini-error-429');
      assert.ok((failed[0].sum ?? 0) > 0 && (failed[0].sum ?? 0) < 30);
      assert.equal(find(duration.points, { 'gen_ai.provider.name': 'anthropic', 'gen_ai.request.model': 'claude-3-5-haiku' })[0]?.count, 1);
      assert.equal(find(duration.points, { 'gen_ai.operation.name': 'embeddings' })[0]?.count, 1);
      assert.equal(duration.metric.scope.name, 'agentops-otel/instrumentation-openai');

      const tokens = points(metrics, 'gen_ai.client.token.usage');
      assert.equal(tokens.metric.kind, 'histogram');
      assert.equal(tokens.metric.unit, '{token}');
      assert.deepEqual(tokens.points[0].explicitBounds, TOKEN_BUCKETS);
      const sum = (match: Record<string, unknown>): number => find(tokens.points, match).reduce((n, p) => n + (p.sum ?? 0), 0);
      // Exactly what the loopback server reported: chat 12 in / 7 out (twice), Anthropic 18 / 8, embeddings 8 in.
      assert.equal(sum({ 'gen_ai.provider.name': 'openai', 'gen_ai.operation.name': 'chat', 'gen_ai.token.type': 'input' }), 24);
      assert.equal(sum({ 'gen_ai.provider.name': 'openai', 'gen_ai.operation.name': 'chat', 'gen_ai.token.type': 'output' }), 14);
      assert.equal(sum({ 'gen_ai.provider.name': 'anthropic', 'gen_ai.token.type': 'input' }), 18);
      assert.equal(sum({ 'gen_ai.provider.name': 'anthropic', 'gen_ai.token.type': 'output' }), 8);
      assert.equal(sum({ 'gen_ai.operation.name': 'embeddings', 'gen_ai.token.type': 'input' }), 8);
      assert.equal(find(tokens.points, { 'gen_ai.operation.name': 'embeddings', 'gen_ai.token.type': 'output' }).length, 0, 'no output tokens reported: none recorded');
      assert.equal(find(tokens.points, { 'gen_ai.request.model': 'gpt-4o-mini-error-429' }).length, 0, 'a failed call used no tokens we know of');

      // The library's own metrics still go the same way.
      assert.ok(metrics.some((m) => m.scope.name === 'agentops-otel' && m.name === 'agentops_otel.spans.created'));
      assert.ok(!JSON.stringify(metrics, (_k, v: unknown) => (typeof v === 'bigint' ? String(v) : v)).includes('SECRET_PROMPT'), 'no content in metrics');
    });
  });
}

describe('GenAI client metrics: configuration', () => {
  it('sends nothing when OTEL_METRICS_EXPORTER is unset', async () => {
    const receiver = await startMetricsReceiver();
    try {
      await apps.run('test/fixtures/llm/app.cjs', 'require', { SCENARIOS: 'chat', OTEL_EXPORTER_OTLP_METRICS_ENDPOINT: receiver.url });
      assert.equal(receiver.requests.length, 0);
    } finally {
      await receiver.close();
    }
  });

  it('refuses an unsupported protocol in one line naming the variable; the app runs on', async () => {
    const receiver = await startMetricsReceiver();
    try {
      const { res } = await apps.run('test/fixtures/llm/app.cjs', 'require', {
        SCENARIOS: 'chat',
        OTEL_METRICS_EXPORTER: 'otlp',
        OTEL_EXPORTER_OTLP_METRICS_ENDPOINT: receiver.url,
        OTEL_EXPORTER_OTLP_METRICS_PROTOCOL: 'grpc',
      });
      const lines = res.logs.filter((l) => l.level === 'error' && String(l.msg).includes('OTEL_EXPORTER_OTLP_METRICS_PROTOCOL'));
      assert.equal(lines.length, 1, res.stderr);
      assert.match(String(lines[0].msg), /"grpc" is not supported for metrics; expected http\/protobuf or http\/json/);
      assert.match(res.stdout, /^chat /m);
    } finally {
      await receiver.close();
    }
  });
});
