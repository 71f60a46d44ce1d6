/**
 * Recorded events take a path without SDK span objects (instrumentations/agentops/finished-span.ts).
 * The receiver must not see the difference: the same apps, run once on that path and once on
 * the SDK's (forced by setting an attribute limit equal to the default), give the same spans,
 * attribute for attribute, hostile values included. Ids and times differ from run to run and are
 * compared by their shape; the exact ids and times are the preload tests' business.
 */
import * as assert from 'node:assert/strict';
import * as path from 'node:path';
import { runNode, REPO_ROOT } from '../helpers/child';
import { startOtlpReceiver, type OtlpReceiver, type ReceivedSpan } from '../helpers/otlp-receiver';

const fixture = (name: string): string => path.join(REPO_ROOT, 'test', 'fixtures', name);

/** A UUID or a hex id becomes ID; PID-like resource values are left out. */
const idShape = (v: unknown): unknown => (typeof v === 'string' ? v.replace(/[0-9a-f]{8}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{12}/g, 'ID').replace(/\b[0-9a-f]{16}\b/g, 'ID') : v);

function normalise(spans: readonly ReceivedSpan[]): string[] {
  const byId = new Map(spans.map((s) => [s.spanId, s]));
  return spans
    .map((s) =>
      JSON.stringify({
        name: idShape(s.name),
        kind: s.kind,
        parent: s.parentSpanId === undefined ? null : (byId.get(s.parentSpanId)?.name ?? 'missing'),
        sameTraceAsParent: s.parentSpanId === undefined || byId.get(s.parentSpanId)?.traceId === s.traceId,
        flags: s.flags,
        traceState: s.traceState,
        attributes: Object.entries(s.attributes)
          // A stack trace's frames below the message depend on timing (runNextTicks and the like).
          .map(([k, v]) => [k, k === 'agentops.event.logs' && typeof v === 'string' ? v.split('\n')[0] : idShape(typeof v === 'bigint' ? String(v) : v)])
          .sort(),
        dropped: [s.droppedAttributesCount, s.droppedEventsCount, s.droppedLinksCount],
        events: s.events.map((e) => [e.name, Object.keys(e.attributes).sort()]),
        links: s.links.length,
        status: s.status,
        resource: Object.keys(s.resource).sort(),
        scope: s.scope,
        ordered: s.endTimeUnixNano >= s.startTimeUnixNano,
      }),
    )
    .sort();
}

describe('recorded events without SDK span objects', function () {
  this.timeout(60_000);
  let receiver: OtlpReceiver;
  beforeEach(async () => {
    receiver = await startOtlpReceiver();
  });
  afterEach(async () => {
    await receiver.close();
  });

  async function spansOf(app: string, expected: number, path: 'direct' | 'sdk', env: Record<string, string>): Promise<ReceivedSpan[]> {
    receiver.spans.length = 0;
    const res = await runNode(fixture(app), {
      env: { AGENTOPS_EXPORTERS: 'jaeger', OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: receiver.url, OTEL_BSP_SCHEDULE_DELAY: '50', AGENTOPS_LOG_LEVEL: 'debug', ...env },
    });
    assert.equal(res.code, 0, res.stderr.slice(-3000));
    const started = res.logs.find((l) => l.msg === 'agentops-otel started');
    assert.equal(started?.recordedEvents, path, res.stderr.slice(-3000));
    const spans = await receiver.waitForSpans(expected, 20_000);
    return [...spans];
  }

  for (const [app, expected] of [
    ['all-events.js', 9],
    ['hostile.js', 20],
  ] as const) {
    it(`${app}: the receiver gets the same spans as through the SDK`, async () => {
      const fast = await spansOf(app, expected, 'direct', {});
      const sdk = await spansOf(app, expected, 'sdk', { OTEL_SPAN_ATTRIBUTE_COUNT_LIMIT: '128' });
      assert.equal(fast.length, expected);
      assert.equal(sdk.length, expected);
      assert.deepEqual(normalise(fast), normalise(sdk));
    });
  }
});
