/**
 * Security: AGENTOPS_CAPTURE_CONTENT=false leaves no prompt/completion text anywhere: not in
 * what Jaeger receives, not in the spool (PostgreSQL down), not in our logs, not in the table
 * after the spool is replayed. The same run with capture on is the control: there the marker is
 * found in each of those places, so the search can find what it looks for.
 */
import * as assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { runNode, REPO_ROOT, type ChildResult } from '../helpers/child';
import { startLlmServer, type LlmServer } from '../helpers/llm-server';
import { startOtlpReceiver, type OtlpReceiver } from '../helpers/otlp-receiver';
import { createTestDatabase, sql, tempDir } from '../helpers/postgres';

const fixture = (name: string): string => path.join(REPO_ROOT, 'test', 'fixtures', name);

function spoolText(dir: string): { files: number; rows: number; text: string } {
  let files = 0;
  let rows = 0;
  let text = '';
  for (const n of fs.existsSync(dir) ? fs.readdirSync(dir) : []) {
    const t = fs.readFileSync(path.join(dir, n), 'latin1');
    files++;
    rows += t
      .split('\n')
      .slice(1)
      .filter((l) => l !== '').length;
    text += t;
  }
  return { files, rows, text };
}

describe('security: content capture off keeps content out of everything', function () {
  this.timeout(120_000);
  let receiver: OtlpReceiver;
  let llm: LlmServer;
  let dbUrl: string;
  const marker = `Mk7-content-${randomBytes(6).toString('hex')}`;
  // What the loopback model answers (streamed in pieces, so look for one piece too).
  const completion = 'Hello from the loopback';

  before(async () => {
    dbUrl = await createTestDatabase('agentops_content');
    receiver = await startOtlpReceiver();
    llm = await startLlmServer();
  });
  after(async () => {
    await receiver?.close();
    await llm?.close();
  });

  const env = (spoolDir: string, capture: 'true' | 'false', pgUrl: string): Record<string, string> => ({
    AGENTOPS_CAPTURE_CONTENT: capture,
    AGENTOPS_LOG_LEVEL: 'debug',
    CONTENT_MARKER: marker,
    LLM_BASE: llm.url,
    AGENTOPS_EXPORTERS: 'jaeger,postgres',
    OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: receiver.url,
    AGENTOPS_PG_URL: pgUrl,
    AGENTOPS_PG_SPOOL_DIR: spoolDir,
    OTEL_BSP_SCHEDULE_DELAY: '20',
    AGENTOPS_PG_FLUSH_INTERVAL_MS: '20',
    AGENTOPS_PG_RETRY_BASE_MS: '10',
    AGENTOPS_PG_RETRY_MAX_DELAY_MS: '100',
    AGENTOPS_PG_RETRY_COUNT: '1',
    AGENTOPS_PG_CONNECT_TIMEOUT_MS: '1000',
    AGENTOPS_PG_SHUTDOWN_TIMEOUT_MS: '1000',
  });
  const DOWN = 'postgres://postgres:postgres@127.0.0.1:1/none';

  async function runDown(capture: 'true' | 'false'): Promise<{ res: ChildResult; spoolDir: string; sessionId: string; otlpText: string; spanCount: number }> {
    receiver.reset();
    const spoolDir = path.join(tempDir(), 'spool');
    const res = await runNode(fixture('security-content.js'), { env: env(spoolDir, capture, DOWN) });
    assert.equal(res.code, 0, res.stderr);
    const { sessionId } = JSON.parse(res.stdout);
    const traceId = sessionId.replace(/-/g, '');
    const spans = receiver.spans.filter((s) => s.traceId === traceId);
    // session, agent, 2 records, action, tool + its error, error, 5 SDK calls = 13 spans
    assert.ok(spans.length >= 13, `Jaeger got the session (${spans.length} spans): ${res.stderr}`);
    const otlpText = receiver.requests.map((r) => r.body.toString('latin1')).join('\n');
    return { res, spoolDir, sessionId, otlpText, spanCount: spans.length };
  }

  it('control: with capture on, the marker is in Jaeger, the spool and the table', async () => {
    const { spoolDir, sessionId, otlpText, spanCount } = await runDown('true');
    assert.ok(otlpText.includes(marker), 'Jaeger got content');
    assert.ok(otlpText.includes(completion) || otlpText.includes(' loopback'), 'Jaeger got the SDK completion');
    const spool = spoolText(spoolDir);
    assert.equal(spool.rows, spanCount, 'every span spooled');
    assert.ok(spool.text.includes(marker), 'the spool holds content');
    const replay = await runNode(fixture('noop.js'), { env: env(spoolDir, 'true', dbUrl) });
    assert.equal(replay.code, 0, replay.stderr);
    const rows = await sql<{ j: string }>(dbUrl, 'SELECT row_to_json(t)::text AS j FROM agentops_spans t WHERE trace_id = $1', [sessionId]);
    assert.equal(rows.length, spanCount);
    assert.ok(rows.some((r) => r.j.includes(marker)));
  });

  it('with capture off: no content in Jaeger, the spool, any output, or the table after replay', async () => {
    const { res, spoolDir, sessionId, otlpText, spanCount } = await runDown('false');
    const spool = spoolText(spoolDir);
    assert.ok(spool.files > 0);
    assert.equal(spool.rows, spanCount, 'every span spooled');

    const places: Array<[string, string]> = [
      ['OTLP request bodies', otlpText],
      ['spool files', spool.text],
      ['stdout', res.stdout],
      ['stderr', res.stderr],
    ];
    for (const [where, text] of places) {
      assert.ok(!text.includes(marker), `content marker in ${where}`);
      assert.ok(!text.includes(' loopback'), `model completion in ${where}`);
    }
    // Metadata is still there: the spans are useful without content.
    assert.ok(spool.text.includes('gpt-4o-mini') && spool.text.includes('execute_tool search'));

    const replay = await runNode(fixture('noop.js'), { env: env(spoolDir, 'false', dbUrl) });
    assert.equal(replay.code, 0, replay.stderr);
    assert.ok(!replay.stderr.includes(marker));
    const rows = await sql<{ j: string }>(dbUrl, 'SELECT row_to_json(t)::text AS j FROM agentops_spans t WHERE trace_id = $1', [sessionId]);
    assert.equal(rows.length, spanCount, 'the spool was replayed into the table');
    for (const r of rows) {
      assert.ok(!r.j.includes(marker), r.j);
      assert.ok(!r.j.includes(' loopback'), r.j);
    }
    assert.equal(spoolText(spoolDir).rows, 0, 'the spool is empty after the replay');
  });
});
