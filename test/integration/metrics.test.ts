/**
 * Self-observability: the library's own metrics over real OTLP/JSON, and the shutdown summary.
 */
import * as assert from 'node:assert/strict';
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import * as path from 'node:path';
import { runNode, REPO_ROOT } from '../helpers/child';
import { startOtlpReceiver, type OtlpReceiver } from '../helpers/otlp-receiver';

interface JsonDataPoint {
  attributes?: Array<{ key: string; value: Record<string, unknown> }>;
  asInt?: string | number;
  asDouble?: number;
  count?: string | number;
}
interface JsonMetric {
  name: string;
  sum?: { dataPoints: JsonDataPoint[] };
  gauge?: { dataPoints: JsonDataPoint[] };
  histogram?: { dataPoints: JsonDataPoint[] };
}
interface MetricsBody {
  resourceMetrics: Array<{ scopeMetrics: Array<{ scope: { name: string }; metrics: JsonMetric[] }> }>;
}

/** Collects OTLP/JSON metric export requests. */
async function metricsReceiver(): Promise<{ url: string; bodies: MetricsBody[]; close(): Promise<void> }> {
  const bodies: MetricsBody[] = [];
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      if (req.url === '/v1/metrics' && String(req.headers['content-type']).includes('json')) bodies.push(JSON.parse(Buffer.concat(chunks).toString('utf8')));
      res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as AddressInfo;
  return { url: `http://127.0.0.1:${port}/v1/metrics`, bodies, close: () => new Promise((r) => server.close(() => r())) };
}

function pointValue(p: JsonDataPoint): number {
  return Number(p.asInt ?? p.asDouble ?? p.count ?? NaN);
}
function attrOf(p: JsonDataPoint, key: string): unknown {
  const kv = p.attributes?.find((a) => a.key === key);
  return kv === undefined ? undefined : Object.values(kv.value)[0];
}

describe('self-observability', function () {
  let traces: OtlpReceiver;
  beforeEach(async () => {
    traces = await startOtlpReceiver();
  });
  afterEach(async () => {
    await traces.close();
  });

  it('exports its own metrics under the meter agentops-otel when OTEL_METRICS_EXPORTER=otlp', async () => {
    const metrics = await metricsReceiver();
    try {
      const res = await runNode(path.join(REPO_ROOT, 'test', 'fixtures', 'all-events.js'), {
        env: {
          AGENTOPS_EXPORTERS: 'jaeger',
          OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: traces.url,
          OTEL_METRICS_EXPORTER: 'otlp',
          OTEL_EXPORTER_OTLP_METRICS_ENDPOINT: metrics.url,
          OTEL_EXPORTER_OTLP_METRICS_PROTOCOL: 'http/json',
          OTEL_METRIC_EXPORT_INTERVAL: '60000',
        },
      });
      assert.equal(res.code, 0, res.stderr);
      assert.ok(metrics.bodies.length >= 1, 'the exit flush exported metrics');
      const last = metrics.bodies[metrics.bodies.length - 1];
      const scope = last.resourceMetrics[0].scopeMetrics.find((s) => s.scope.name === 'agentops-otel');
      assert.ok(scope, 'meter agentops-otel');
      const byName = new Map(scope.metrics.map((m) => [m.name, m]));
      const created = byName.get('agentops_otel.spans.created')?.sum?.dataPoints ?? [];
      const createdByType = Object.fromEntries(created.map((p) => [attrOf(p, 'agentops.event.type'), pointValue(p)]));
      assert.deepEqual(createdByType, { session: 1, agent: 1, llms: 1, tools: 2, actions: 2, errors: 2 });
      const exported = byName.get('agentops_otel.spans.exported')?.sum?.dataPoints.find((p) => attrOf(p, 'exporter') === 'jaeger');
      assert.equal(exported && pointValue(exported), 9);
      const latency = byName.get('agentops_otel.export.duration')?.histogram?.dataPoints.find((p) => attrOf(p, 'exporter') === 'jaeger');
      assert.ok(latency && pointValue(latency) >= 1, 'export latency histogram has observations');
      assert.ok(byName.has('agentops_otel.queue.depth'));
      assert.ok(!metrics.bodies.some((b) => JSON.stringify(b).includes('hello')), 'no content in metrics');
    } finally {
      await metrics.close();
    }
  });

  it('sends no metrics by default, and logs one shutdown summary line with the totals', async () => {
    const metrics = await metricsReceiver();
    try {
      const res = await runNode(path.join(REPO_ROOT, 'test', 'fixtures', 'all-events.js'), {
        env: { AGENTOPS_EXPORTERS: 'jaeger', OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: traces.url, OTEL_EXPORTER_OTLP_METRICS_ENDPOINT: metrics.url },
      });
      assert.equal(res.code, 0);
      assert.equal(metrics.bodies.length, 0);
      const summaries = res.logs.filter((l) => l.msg === 'shutdown summary');
      assert.equal(summaries.length, 1);
      const s = summaries[0] as { level: string; exporters: { jaeger: { accepted: number; exported: number } }; spansCreated: Record<string, number> };
      assert.equal(s.level, 'info');
      assert.equal(s.exporters.jaeger.accepted, 9);
      assert.equal(s.exporters.jaeger.exported, 9);
      assert.equal(s.spansCreated.session, 1);
    } finally {
      await metrics.close();
    }
  });
});
