import * as assert from 'node:assert/strict';
import { asciiJson, asciiOnly, asciiText, formatCost, formatCount, formatDuration, isoNanos, renderTable, shortTime, truncate } from '../../src/cli/format';
import { ASCII, buildTree, flattenTree, keyAttributes, renderWaterfall, timelineBar, type TraceSpan } from '../../src/cli/tree';
import { sessionsTable } from '../../src/cli/commands/sessions';
import { displayValue } from '../../src/cli/commands/doctor';

const T0 = 1_700_000_000_000_000_000n;

function span(id: string, parent: string | null, startMs: number, endMs: number, extra: Partial<TraceSpan> = {}): TraceSpan {
  return {
    spanId: id,
    parentSpanId: parent,
    name: id,
    serviceName: 's',
    startNs: T0 + BigInt(startMs * 1e6),
    endNs: T0 + BigInt(endMs * 1e6),
    status: 'UNSET',
    statusMessage: null,
    attributes: {},
    ...extra,
  };
}

describe('cli formatting', () => {
  it('formats durations with three significant digits and units', () => {
    assert.equal(formatDuration(850n), '850 ns');
    assert.equal(formatDuration(12_345n), '12.3 µs');
    assert.equal(formatDuration(41_000_000n), '41 ms');
    assert.equal(formatDuration(10_000_000n), '10 ms');
    assert.equal(formatDuration(100_000_000n), '100 ms');
    assert.equal(formatDuration(20_000_000_000n), '20 s');
    assert.equal(formatDuration(1_500_000n), '1.5 ms');
    assert.equal(formatDuration(1_234_000_000n), '1.23 s');
    assert.equal(formatDuration(123_000_000_000n), '2m 03s');
    assert.equal(formatDuration(3_720_000_000_000n), '1h 02m');
    assert.equal(formatDuration(null), '');
  });

  it('prints exact nanosecond ISO times', () => {
    assert.equal(isoNanos(1_700_000_000_123_456_789n), '2023-11-14T22:13:20.123456789Z');
    assert.equal(isoNanos(0n), '1970-01-01T00:00:00.000000000Z');
    assert.equal(shortTime(1_700_000_000_123_456_789n), '2023-11-14 22:13:20');
  });

  it('groups counts by thousands, as en-US does', () => {
    for (const n of [0, 7, 999, 1000, 12_345, 999_999, 1_000_000, 1_234_567.4, 9_007_199_254_740_991, -1234, -999, 12.5, 1e21]) {
      assert.equal(formatCount(n), Math.round(n).toLocaleString('en-US'), String(n));
    }
    assert.equal(formatCount(null), '');
    assert.equal(formatCount(NaN), '');
  });

  it('formats costs and truncates', () => {
    assert.equal(formatCost(0.0012), '$0.0012');
    assert.equal(formatCost(12.345), '$12.35');
    assert.equal(formatCost(null), '');
    assert.equal(truncate('abcdef', 4), 'abc…');
    assert.equal(truncate('abc', 4), 'abc');
    assert.equal(truncate('abcdef', 5, '...'), 'ab...');
    assert.equal(truncate('abcdef', 2, '...'), '..');
    assert.equal(formatDuration(12_345n, 'u'), '12.3 us');
    assert.equal(asciiOnly('naïve → 😀\tx'), 'na?ve ? ??x', 'one ? per character, so widths stay');
    assert.equal(asciiText('starting…\n  → “naïve” — 5 µs · 😀\t'), 'starting...\n  -> "na?ve" - 5 us | ??', 'messages: our punctuation in ASCII, line breaks kept');
    const json = JSON.stringify({ name: 'naïve → 😀', n: 1 });
    assert.match(asciiJson(json), /^[\x20-\x7e]+$/);
    assert.deepEqual(JSON.parse(asciiJson(json)), JSON.parse(json), 'the same JSON value');
  });

  it('renders aligned tables', () => {
    const t = renderTable(
      [{ header: 'A' }, { header: 'N', align: 'right' }],
      [
        ['x', '1'],
        ['longer', '100'],
      ],
    );
    assert.equal(t, 'A         N\n------  ---\nx         1\nlonger  100\n');
  });

  it('renders the sessions table, open sessions as open', () => {
    const base = { traceId: 'x', serviceName: 'svc', startNs: T0, endNs: T0 + 5_000_000n, durationNs: 5_000_000n, endStateReason: null, tags: [], errorSpans: 0, spans: 3, models: [] };
    const out = sessionsTable([
      { ...base, sessionId: 'a', open: false, endState: 'Success', llmCalls: 2, toolCalls: 1, actions: 0, errors: 0, inputTokens: 10, outputTokens: 20, totalTokens: 30, costUsd: 0.5 },
      { ...base, sessionId: 'b', open: true, endState: null, llmCalls: 0, toolCalls: 0, actions: 0, errors: 1, inputTokens: null, outputTokens: null, totalTokens: 0, costUsd: null },
    ]).split('\n');
    assert.deepEqual(out[2].split(/\s{2,}/), ['a', 'svc', '2023-11-14 22:13:20', '5 ms', 'Success', '2', '1', '0', '0', '30', '$0.50']);
    assert.deepEqual(out[3].split(/\s{2,}/).slice(3), ['5 ms', 'open', '0', '0', '0', '1']);
  });

  it('masks secret values in doctor', () => {
    assert.equal(displayValue('AGENTOPS_PG_URL', 'postgres://u:s3cret@h:5432/db', false), 'postgres://u:****@h:5432/db');
    assert.equal(displayValue('OTEL_EXPORTER_OTLP_HEADERS', 'authorization=Bearer x,api-key=y', true), 'authorization=****,api-key=****');
    assert.equal(displayValue('AGENTOPS_PG_PASSWORD', 'whatever', false), '****');
    assert.equal(displayValue('AGENTOPS_PG_TABLE', 'spans', false), 'spans');
  });
});

describe('cli trace tree', () => {
  it('nests children under parents in start order', () => {
    const roots = buildTree([span('c2', 'a', 5, 6), span('root', null, 0, 10), span('a', 'root', 1, 9), span('c1', 'a', 2, 3)]);
    const flat = flattenTree(roots);
    assert.deepEqual(
      flat.map((f) => f.prefix + f.node.id),
      ['root', '└─ a', '   ├─ c1', '   └─ c2'],
    );
    assert.deepEqual(
      flat.map((f) => f.depth),
      [0, 1, 2, 2],
    );
  });

  it('hangs spans with a missing parent under one placeholder per missing parent', () => {
    const roots = buildTree([span('e1', 'agent', 1, 2), span('e2', 'agent', 3, 4), span('x', 'other', 0, 1)]);
    assert.deepEqual(
      roots.map((r) => [r.id, r.span === null, r.children.map((c) => c.id)]),
      [
        ['other', true, ['x']],
        ['agent', true, ['e1', 'e2']],
      ],
    );
  });

  it('survives cycles and self-parents in hostile data', () => {
    const roots = buildTree([span('a', 'b', 0, 1), span('b', 'a', 1, 2), span('s', 's', 0, 1)]);
    const ids = flattenTree(roots)
      .map((f) => f.node.id)
      .sort();
    assert.deepEqual(ids, ['a', 'b', 's']);
  });

  it('flattens a 20,000-deep chain without overflowing the stack', () => {
    const spans = [span('n0', null, 0, 1)];
    for (let i = 1; i < 20000; i++) spans.push(span(`n${i}`, `n${i - 1}`, 0, 1));
    assert.equal(flattenTree(buildTree(spans)).length, 20000);
  });

  it('places bars on the timeline, at least one cell wide', () => {
    assert.equal(timelineBar(0n, 10n, 0n, 10n, 10), '██████████');
    assert.equal(timelineBar(5n, 10n, 0n, 10n, 10), '     █████');
    assert.equal(timelineBar(0n, 1n, 0n, 1000n, 10), '█         ');
    assert.equal(timelineBar(1000n, 1000n, 0n, 1000n, 10), '         ▏');
    assert.equal(timelineBar(2n, 4n, 0n, 10n, 5, ASCII), ' #   ');
  });

  it('renders the waterfall with a scale, durations, statuses and key attributes', () => {
    const lines = renderWaterfall(
      [
        span('session', null, 0, 100, { status: 'OK', attributes: { 'agentops.span.kind': 'session', 'agentops.session.end_state': 'Success' } }),
        span('chat', 'session', 10, 60, {
          attributes: { 'agentops.event.type': 'llms', 'gen_ai.request.model': 'gpt-4o', 'gen_ai.usage.input_tokens': 3, 'gen_ai.usage.output_tokens': 5, 'agentops.usage.cost_usd': 0.001 },
        }),
        span('tool', 'session', 60, 100, { status: 'ERROR', statusMessage: 'boom', attributes: { 'error.type': 'TypeError' } }),
      ],
      { width: 120 },
    );
    assert.equal(lines.length, 4);
    assert.match(lines[0], /^\s+0\s+100 ms$/);
    assert.match(lines[1], /^session\s+100 ms OK\s+│█+│ end_state=Success$/);
    assert.match(lines[2], /^├─ chat\s+50 ms\s+│ +█+ +│ model=gpt-4o tokens=3→5 cost=\$0\.001$/);
    assert.match(lines[3], /^└─ tool\s+40 ms ERROR │ +█+│ error\.type=TypeError "boom"$/);
    const bar = (l: string) => /│(.*)│/.exec(l)![1];
    assert.equal(bar(lines[1]).length, bar(lines[2]).length);
    assert.ok(bar(lines[2]).indexOf('█') < bar(lines[3]).indexOf('█'), 'later spans start further right');
    assert.ok(lines.every((l) => [...l].length <= 120));
  });

  it('--ascii draws with ASCII only: tree, bars, units, arrows, ellipses and placeholders', () => {
    const lines = renderWaterfall(
      [
        span('session', null, 0, 100, { status: 'OK', attributes: { 'agentops.span.kind': 'session', 'agentops.session.end_state': 'Success' } }),
        span('chat', 'session', 10, 10.005, { attributes: { 'agentops.event.type': 'llms', 'gen_ai.request.model': 'gpt-4o', 'gen_ai.usage.input_tokens': 3, 'gen_ai.usage.output_tokens': 5 } }),
        span('tool with a name far too long to fit in the name column of a line 130 characters wide', 'session', 60, 100, { status: 'ERROR', statusMessage: 'x'.repeat(200) }),
        span('orphan', 'gone', 1, 2),
      ],
      { width: 130, glyphs: ASCII },
    );
    const text = lines.join('\n');
    assert.ok(/^[\x20-\x7e\n]*$/.test(text), `only printable ASCII: ${text}`);
    assert.match(text, /^\|- chat\s+5 us\s+\|/m, 'microseconds as us');
    assert.match(text, /tokens=3->5/);
    assert.match(text, /^\.\.\. gone \(not recorded\)/m);
    assert.match(text, /^`- tool with .*\.\.\. /m, 'a long name ends in ...');
    assert.match(text, /"x+\.\.\./, 'a long message ends in ...');
    assert.ok(lines.every((l) => l.length <= 130));
  });

  it('picks key attributes by span kind', () => {
    assert.deepEqual(
      keyAttributes(
        span('s', null, 0, 1, { attributes: { 'agentops.span.kind': 'session', 'agentops.session.end_state': 'Fail', 'agentops.session.end_state_reason': 'x', 'agentops.session.tags': ['a', 'b'] } }),
      ),
      ['end_state=Fail', 'reason="x"', 'tags=a,b'],
    );
    assert.deepEqual(keyAttributes(span('e', null, 0, 1, { attributes: { 'agentops.event.type': 'errors', 'error.type': 'RangeError', 'agentops.error.code': '42' } })), [
      'error.type=RangeError',
      'code=42',
    ]);
  });
});
