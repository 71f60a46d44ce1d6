/**
 * The preload end to end: a child process runs a fixture app under `--require` / `--import`,
 * and the loopback OTLP receiver decodes what the real exporter sent.
 */
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { runNode, REPO_ROOT } from '../helpers/child';
import { attr, startOtlpReceiver, type OtlpReceiver, type ReceivedSpan } from '../helpers/otlp-receiver';

const FIXTURES = path.join(REPO_ROOT, 'test', 'fixtures');
const fixture = (name: string): string => path.join(FIXTURES, name);

function exporterEnv(receiver: OtlpReceiver, extra: Record<string, string> = {}): Record<string, string> {
  return { AGENTOPS_EXPORTERS: 'jaeger', OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: receiver.url, OTEL_BSP_SCHEDULE_DELAY: '50', ...extra };
}

function byEventId(spans: ReceivedSpan[], id: string): ReceivedSpan {
  const span = spans.find((s) => attr(s, 'agentops.event.id') === id);
  assert.ok(span, `no span for event ${id}`);
  return span;
}

describe('preload: sessions, agents and events as one trace', function () {
  let receiver: OtlpReceiver;
  beforeEach(async () => {
    receiver = await startOtlpReceiver();
  });
  afterEach(async () => {
    await receiver.close();
  });

  for (const mode of ['require', 'import'] as const) {
    for (const protocol of ['http/protobuf', 'http/json'] as const) {
      it(`exports the whole hierarchy with exact ids, times and attributes (--${mode}, ${protocol})`, async () => {
        const app = fixture(mode === 'require' ? 'all-events.js' : 'all-events.mjs');
        const res = await runNode(app, {
          preload: mode,
          env: exporterEnv(receiver, { OTEL_EXPORTER_OTLP_TRACES_PROTOCOL: protocol, OTEL_SERVICE_NAME: 'fixture-svc' }),
        });
        assert.equal(res.code, 0, res.stderr);
        const spans = await receiver.waitForSpans(9, 10000);
        assert.equal(spans.length, 9, spans.map((s) => s.name).join(', '));
        assert.equal(receiver.requests[0].contentType, protocol === 'http/json' ? 'application/json' : 'application/x-protobuf');
        checkAllEvents(spans, JSON.parse(res.stdout.trim()) as AllEventsOut);
      });
    }
  }

  it('traces another installed copy of the package, a module of its own, as it traces the bundled client', async () => {
    // The app's node_modules holds its own copy of agentops-otel: the preload patches its classes.
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'agentops-otel-copy-'));
    try {
      const copy = path.join(dir, 'node_modules', 'agentops-otel');
      fs.mkdirSync(path.join(copy, 'dist'), { recursive: true });
      fs.copyFileSync(path.join(REPO_ROOT, 'package.json'), path.join(copy, 'package.json'));
      fs.cpSync(path.join(REPO_ROOT, 'dist', 'src'), path.join(copy, 'dist', 'src'), { recursive: true });
      const app = path.join(dir, 'app.js');
      fs.writeFileSync(
        app,
        [
          `if (!require.resolve('agentops-otel').startsWith(${JSON.stringify(copy + path.sep)})) throw new Error('not the copy: ' + require.resolve('agentops-otel'));`,
          `require(${JSON.stringify(fixture('scenario-all-events.cjs'))})(require('agentops-otel'));`,
        ].join('\n'),
      );
      const res = await runNode(app, { cwd: dir, env: exporterEnv(receiver, { OTEL_SERVICE_NAME: 'fixture-svc' }) });
      assert.equal(res.code, 0, res.stderr);
      const spans = await receiver.waitForSpans(9, 10000);
      assert.equal(spans.length, 9, spans.map((s) => s.name).join(', '));
      checkAllEvents(spans, JSON.parse(res.stdout.trim()) as AllEventsOut);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it('keeps every event under the agent that ran it across awaits, timers, ticks, Promise.all and EventEmitter callbacks', async () => {
    const res = await runNode(fixture('context.js'), { env: exporterEnv(receiver) });
    assert.equal(res.code, 0, res.stderr);
    const out = JSON.parse(res.stdout.trim());
    const expected = out.expected as Record<string, string>;
    const spans = await receiver.waitForSpans(3 + Object.keys(expected).length, 10000);
    const bySpanId = new Map(spans.map((s) => [s.spanId, s]));
    assert.equal(Object.keys(expected).length, 18);
    for (const [eventId, agentId] of Object.entries(expected)) {
      const span = byEventId(spans, eventId);
      const parent = bySpanId.get(span.parentSpanId ?? '');
      assert.ok(parent, `${span.name} has no parent`);
      assert.equal(attr(parent, 'agentops.agent.id'), agentId, `${attr(span, 'gen_ai.tool.name')} landed under the wrong agent`);
      assert.equal(attr(span, 'agentops.agent.id'), agentId);
    }
  });

  it('never cross-links 200 concurrent sessions with interleaved work', async () => {
    const res = await runNode(fixture('concurrent.js'), { args: ['200'], env: exporterEnv(receiver, { OTEL_BSP_MAX_QUEUE_SIZE: '20000' }), timeoutMs: 60000 });
    assert.equal(res.code, 0, res.stderr);
    const results = JSON.parse(res.stdout.trim()) as Array<{ sessionId: string; agentId: string; events: string[] }>;
    // Per session: session + agent + 6 events.
    const spans = await receiver.waitForSpans(200 * 8, 30000);
    assert.equal(spans.length, 1600);
    const bySpanId = new Map(spans.map((s) => [s.spanId, s]));
    const byEvent = new Map(spans.map((s) => [attr(s, 'agentops.event.id'), s]));
    for (const r of results) {
      const traceId = r.sessionId.replace(/-/g, '');
      assert.equal(r.events.length, 6);
      for (const id of r.events) {
        const span = byEvent.get(id);
        assert.ok(span, `event ${id} missing`);
        assert.equal(span.traceId, traceId);
        assert.equal(attr(span, 'agentops.session.id'), r.sessionId);
        const parent = bySpanId.get(span.parentSpanId ?? '');
        assert.equal(parent && attr(parent, 'agentops.agent.id'), r.agentId);
      }
    }
  });
});

/** What test/fixtures/scenario-all-events.cjs prints: its ids, and the times it gave its events. */
interface AllEventsOut {
  sessionId: string;
  agentId: string;
  rethrown: string;
  events: Record<string, { id: string; start: string; end: string }>;
}

/** The spans of test/fixtures/scenario-all-events.cjs, checked against what it printed. */
function checkAllEvents(spans: ReceivedSpan[], out: AllEventsOut): void {
  const traceId = out.sessionId.replace(/-/g, '');
  for (const s of spans) {
    assert.equal(s.traceId, traceId, `${s.name} is in another trace`);
    assert.equal(attr(s, 'service.name'), 'fixture-svc', `${s.name} lacks service.name`);
    assert.equal(s.resource['service.name'], 'fixture-svc');
    assert.equal(attr(s, 'agentops.session.id'), out.sessionId);
    assert.equal(attr(s, 'gen_ai.conversation.id'), out.sessionId);
  }

  const session = spans.find((s) => s.name === 'session');
  assert.ok(session);
  assert.equal(session.parentSpanId, undefined, 'the session span must be a true root');
  assert.deepEqual(attr(session, 'agentops.session.tags'), ['fixture', 'all-events']);
  assert.equal(attr(session, 'agentops.session.end_state'), 'Success');
  assert.equal(attr(session, 'agentops.session.end_state_reason'), 'all done');
  assert.equal(attr(session, 'agentops.session.event_counts.llms'), 1n);
  assert.equal(attr(session, 'agentops.session.event_counts.tools'), 2n);
  assert.equal(attr(session, 'agentops.session.event_counts.actions'), 2n);
  assert.equal(attr(session, 'agentops.session.event_counts.errors'), 2n);
  assert.equal(session.status.code, 1, 'Success ends the session span with status OK');

  const agent = spans.find((s) => s.name === 'invoke_agent researcher');
  assert.ok(agent);
  assert.equal(agent.parentSpanId, session.spanId);
  assert.equal(attr(agent, 'gen_ai.operation.name'), 'invoke_agent');
  assert.equal(attr(agent, 'gen_ai.agent.id'), out.agentId);
  assert.equal(attr(agent, 'gen_ai.agent.name'), 'researcher');

  const llm = byEventId(spans, out.events.llm.id);
  assert.equal(llm.name, 'chat gpt-4o');
  assert.equal(llm.parentSpanId, agent.spanId);
  assert.equal(llm.startTimeUnixNano, BigInt(out.events.llm.start), 'nanosecond start time must survive exactly');
  assert.equal(llm.endTimeUnixNano, BigInt(out.events.llm.end));
  assert.equal(attr(llm, 'gen_ai.operation.name'), 'chat');
  assert.equal(attr(llm, 'gen_ai.request.model'), 'gpt-4o');
  assert.equal(attr(llm, 'gen_ai.usage.input_tokens'), 3n);
  assert.equal(attr(llm, 'gen_ai.usage.output_tokens'), 5n);
  assert.equal(attr(llm, 'agentops.usage.cost_usd'), 0.00012);
  assert.equal(attr(llm, 'agentops.llm.prompt'), '[{"role":"user","content":"hi"}]');
  assert.equal(attr(llm, 'agentops.llm.completion'), 'hello');
  assert.equal(attr(llm, 'agentops.llm.thread_id'), 'thread-1');
  assert.equal(attr(llm, 'agentops.event.type'), 'llms');
  assert.equal(attr(llm, 'agentops.agent.id'), out.agentId);

  const tool = byEventId(spans, out.events.tool.id);
  assert.equal(tool.name, 'execute_tool search');
  assert.equal(tool.parentSpanId, agent.spanId);
  assert.equal(tool.startTimeUnixNano, BigInt(out.events.tool.start));
  assert.equal(tool.endTimeUnixNano, BigInt(out.events.tool.end));
  assert.equal(attr(tool, 'gen_ai.tool.name'), 'search');
  assert.equal(attr(tool, 'agentops.event.params'), '{"q":"x","n":3}');
  assert.equal(attr(tool, 'agentops.event.returns'), '3 hits');

  const action = byEventId(spans, out.events.action.id);
  assert.equal(action.name, 'action click');
  assert.equal(action.startTimeUnixNano, BigInt(out.events.action.start));
  assert.equal(attr(action, 'agentops.action.type'), 'click');
  assert.equal(attr(action, 'agentops.event.params'), '["#go"]');
  assert.equal(attr(action, 'agentops.event.returns'), 'true');

  const failed = byEventId(spans, out.events.failedAction.id);
  assert.equal(failed.name, 'action fetch_page');
  assert.equal(failed.parentSpanId, agent.spanId);
  assert.equal(failed.status.code, 2, 'a failed action has status ERROR');
  assert.equal(attr(failed, 'error.type'), 'TypeError');
  assert.equal(out.rethrown, 'cannot fetch http://example.invalid/', 'the app sees its own error');

  const actionError = byEventId(spans, out.events.actionError.id);
  assert.equal(actionError.name, 'error TypeError');
  assert.equal(actionError.parentSpanId, failed.spanId, 'the error nests under the failed action');
  assert.equal(actionError.status.code, 2);
  assert.equal(attr(actionError, 'error.type'), 'TypeError');
  assert.equal(attr(actionError, 'agentops.error.code'), 'E_FETCH');
  assert.equal(attr(actionError, 'agentops.error.trigger_event.id'), out.events.failedAction.id);
  const exception = actionError.events.find((e) => e.name === 'exception');
  assert.ok(exception, 'the exception is recorded');
  assert.equal(exception.attributes['exception.message'], 'cannot fetch http://example.invalid/');

  const error = byEventId(spans, out.events.error.id);
  assert.equal(error.name, 'error RangeError');
  assert.equal(error.parentSpanId, session.spanId, 'an error outside any agent hangs off the session');
  assert.equal(attr(error, 'agentops.error.details'), 'more');

  const noAgent = byEventId(spans, out.events.noAgent.id);
  assert.equal(noAgent.parentSpanId, session.spanId);
  assert.equal(attr(noAgent, 'agentops.agent.id'), undefined);

  for (const s of spans) {
    if (s === session) continue;
    assert.ok(s.endTimeUnixNano >= s.startTimeUnixNano, `${s.name} ends before it starts`);
  }
}
