/**
 * Hostile input, table-driven: app data no JSON or PostgreSQL would take, and every
 * configuration variable with a malformed value. Each is stored sanitised or answered with a
 * clear error; never a crash, a changed exit code or a lost batch.
 */
import * as assert from 'node:assert/strict';
import * as path from 'node:path';
import { allVariables } from '../../src/preload/docs';
import { runNode, REPO_ROOT } from '../helpers/child';
import { attr, startOtlpReceiver, type OtlpReceiver } from '../helpers/otlp-receiver';
import { createTestDatabase, sql, tempDir } from '../helpers/postgres';

const fixture = (name: string): string => path.join(REPO_ROOT, 'test', 'fixtures', name);
const HOSTILE_CASES = 18;

describe('hostile input', function () {
  let receiver: OtlpReceiver;
  let db: string;
  beforeEach(async () => {
    receiver = await startOtlpReceiver();
    db = await createTestDatabase('agentops_hostile');
  });
  afterEach(async () => {
    await receiver.close();
  });

  const env = (extra: Record<string, string> = {}): Record<string, string> => ({
    AGENTOPS_EXPORTERS: 'jaeger,postgres',
    OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: receiver.url,
    OTEL_BSP_SCHEDULE_DELAY: '50',
    AGENTOPS_PG_URL: db,
    AGENTOPS_PG_SPOOL_DIR: tempDir(),
    AGENTOPS_PG_FLUSH_INTERVAL_MS: '50',
    ...extra,
  });

  for (const protocol of ['http/protobuf', 'http/json'] as const) {
    it(`records every hostile value through both exporters (${protocol})`, async () => {
      const bare = await runNode(fixture('hostile.js'), { preload: 'none' });
      const res = await runNode(fixture('hostile.js'), { env: env({ OTEL_EXPORTER_OTLP_TRACES_PROTOCOL: protocol }) });
      assert.equal(res.code, 0, res.stderr.slice(-3000));
      assert.equal(bare.code, 0);
      const shape = (s: string) => s.replace(/[0-9a-f-]{36}/g, 'ID');
      assert.equal(shape(res.stdout), shape(bare.stdout), 'the app output is unchanged');
      assert.equal(res.logs.filter((l) => String(l.msg).startsWith('tracing ')).length, 0, `no instrumentation failure: ${res.stderr.slice(-2000)}`);

      const out = JSON.parse(res.stdout) as { sessionId: string; ids: Record<string, string> };
      assert.equal(Object.keys(out.ids).length, HOSTILE_CASES);
      const expected = HOSTILE_CASES + 2;
      const spans = await receiver.waitForSpans(expected);
      assert.equal(spans.length, expected, 'Jaeger got every span');
      const rows = await sql<{ span_id: string; operation_name: string; start_time: string; end_time: string; attributes: Record<string, unknown>; status_message: string | null }>(
        db,
        'SELECT span_id, operation_name, start_time::text, end_time::text, attributes, status_message FROM agentops_spans WHERE trace_id = $1',
        [out.sessionId],
      );
      assert.equal(rows.length, expected, 'PostgreSQL stored every span');
      const [dead] = await sql(db, 'SELECT count(*)::int AS n FROM agentops_spans_dead_letter');
      assert.equal(dead.n, 0, 'sanitising left nothing for the dead-letter table');

      const row = (name: string) => {
        const r = rows.find((x) => x.attributes['agentops.event.id'] === out.ids[name]);
        assert.ok(r, `no row for ${name}`);
        return r;
      };
      const span = (name: string) => {
        const s = spans.find((x) => attr(x, 'agentops.event.id') === out.ids[name]);
        assert.ok(s, `no span for ${name}`);
        return s;
      };
      const text = JSON.stringify(rows);
      // An actual NUL serialises as \u0000; a JSON-escaped one inside attribute text (harmless) as \\u0000.
      assert.ok(!/(?<!\\)\\u0000/.test(text), 'no NUL character reached PostgreSQL');
      assert.equal(row('nul').attributes['gen_ai.request.model'], 'gpt-4o');
      assert.equal(row('nul').attributes['agentops.llm.prompt'], 'ab');
      assert.equal(row('loneSurrogates').attributes['agentops.llm.prompt'], 'x\ufffdy');
      assert.ok(String(row('hugePrompt').attributes['agentops.llm.prompt']).length <= 16384, 'a 10 MB prompt is truncated');
      assert.ok(String(attr(span('hugePrompt'), 'agentops.llm.prompt')).length <= 16384);
      assert.match(String(row('circularParams').attributes['agentops.event.params']), /\[Circular\]/);
      assert.match(String(row('bigint').attributes['agentops.event.params']), /1267650600228229401496703205376/);
      assert.match(String(row('throwingGetters').attributes['agentops.event.params']), /\[Unreadable\]/);
      assert.match(String(row('deepParams').attributes['agentops.event.params']), /\[MaxDepth\]/);
      assert.equal(row('buffers').attributes['agentops.event.params'], '"[Binary 1048576 bytes]"');
      const backwards = row('endBeforeStart');
      assert.equal(backwards.end_time, backwards.start_time, 'an end before the start becomes a zero-length span');
      for (const name of ['nanDates', 'negativeTime', 'farFuture']) {
        assert.ok(BigInt(row(name).start_time) > 1_700_000_000_000_000_000n, `${name}: an unusable time becomes now`);
      }
      assert.ok(
        res.logs.some((l) => String(l.msg).includes('not a valid date')),
        'unusable timestamps are reported',
      );
      assert.ok(
        res.logs.some((l) => String(l.msg).includes('sessionId must be a UUID')),
        'an invalid session id is reported',
      );
      const wide = span('tenThousandAttributes');
      assert.ok(Object.keys(wide.attributes).length <= 128 && wide.droppedAttributesCount > 9000, 'the SDK attribute limit applies and counts the rest');
    });
  }

  /** A malformed value for each variable that has a form; free text is listed apart, so a new variable must be classified here. */
  const MALFORMED: Record<string, string> = {
    AGENTOPS_CONFIG: '/nonexistent/agentops.json',
    AGENTOPS_EXPORTERS: 'jaeger,nope',
    AGENTOPS_DISABLED: 'perhaps',
    AGENTOPS_LOG_LEVEL: 'chatty',
    AGENTOPS_CAPTURE_CONTENT: 'perhaps',
    AGENTOPS_MAX_ATTRIBUTE_LENGTH: '12kb',
    OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT: 'perhaps',
    AGENTOPS_INSTRUMENTATIONS_ENABLED: 'openai,telepathy',
    AGENTOPS_INSTRUMENTATIONS_DISABLED: 'telepathy',
    OTEL_NODE_ENABLED_INSTRUMENTATIONS: 'telepathy',
    OTEL_NODE_DISABLED_INSTRUMENTATIONS: 'telepathy',
    AGENTOPS_AUTO_SESSION: 'sometimes',
    AGENTOPS_PRICE_TABLE: '{not json',
    AGENTOPS_SHUTDOWN_TIMEOUT_MS: '5s',
    AGENTOPS_EXPORT_THREAD: 'fiber',
    AGENTOPS_EXPORT_THREAD_NICE: '20',
    AGENTOPS_OTLP_BUFFER_MAX_BYTES: '64MB',
    AGENTOPS_OTLP_SPOOL_MAX_BYTES: '-1',
    OTEL_SDK_DISABLED: 'perhaps',
    OTEL_RESOURCE_ATTRIBUTES: 'novalue',
    OTEL_LOG_LEVEL: 'chatty',
    OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: 'not a url',
    OTEL_EXPORTER_OTLP_ENDPOINT: 'ftp://collector',
    OTEL_EXPORTER_OTLP_TRACES_HEADERS: 'novalue',
    OTEL_EXPORTER_OTLP_HEADERS: 'a=%zz',
    OTEL_EXPORTER_OTLP_TRACES_PROTOCOL: 'grpc',
    OTEL_EXPORTER_OTLP_TRACES_TIMEOUT: 'soon',
    OTEL_EXPORTER_OTLP_TRACES_COMPRESSION: 'brotli',
    OTEL_EXPORTER_OTLP_TRACES_CERTIFICATE: '/nonexistent/ca.pem',
    OTEL_METRICS_EXPORTER: 'prometheus',
    OTEL_EXPORTER_OTLP_METRICS_PROTOCOL: 'grpc',
    OTEL_METRIC_EXPORT_INTERVAL: 'often',
    OTEL_BSP_SCHEDULE_DELAY: '-1',
    OTEL_BSP_EXPORT_TIMEOUT: '0',
    OTEL_BSP_MAX_QUEUE_SIZE: 'many',
    OTEL_BSP_MAX_EXPORT_BATCH_SIZE: '1e3',
    AGENTOPS_PG_URL: 'mysql://db/x',
    AGENTOPS_PG_PORT: '99999',
    AGENTOPS_PG_SSLMODE: 'prefer-ish',
    AGENTOPS_PG_SSLROOTCERT: '/nonexistent/root.crt',
    AGENTOPS_PG_TABLE: 'spans; DROP TABLE x',
    AGENTOPS_PG_AUTO_MIGRATE: 'perhaps',
    AGENTOPS_PG_POOL_SIZE: '0',
    AGENTOPS_PG_BATCH_SIZE: 'big',
    AGENTOPS_PG_FLUSH_INTERVAL_MS: '1.5',
    AGENTOPS_PG_CONNECT_TIMEOUT_MS: '-3',
    AGENTOPS_PG_STATEMENT_TIMEOUT_MS: 'forever',
    AGENTOPS_PG_RETRY_COUNT: 'lots',
    AGENTOPS_PG_RETRY_BASE_MS: '0',
    AGENTOPS_PG_RETRY_MAX_DELAY_MS: 'x',
    AGENTOPS_PG_BUFFER_MAX_SPANS: '0',
    AGENTOPS_PG_BUFFER_MAX_BYTES: '1',
    AGENTOPS_PG_SPOOL_MAX_BYTES: '-1',
    AGENTOPS_PG_MAX_ATTRIBUTES_BYTES: '10',
    AGENTOPS_PG_MAX_STRING_LENGTH: '1',
    AGENTOPS_PG_FLUSH_TIMEOUT_MS: 'x',
    AGENTOPS_PG_SHUTDOWN_TIMEOUT_MS: 'x',
    AGENTOPS_PG_PARTITION_INTERVAL: 'fortnight',
    AGENTOPS_PG_RETENTION_DAYS: '-7',
  };
  /** Any text is a valid value for these (names, hosts, paths). */
  const FREE_TEXT = new Set([
    'AGENTOPS_SERVICE_NAME',
    'OTEL_SERVICE_NAME',
    'OTEL_EXPORTER_OTLP_METRICS_ENDPOINT',
    'AGENTOPS_PG_HOST',
    'AGENTOPS_PG_USER',
    'AGENTOPS_PG_PASSWORD',
    'AGENTOPS_PG_DATABASE',
    'AGENTOPS_PG_SPOOL_DIR',
    'AGENTOPS_OTLP_SPOOL_DIR',
  ]);

  it('classifies every documented variable (a new one needs a malformed case here)', () => {
    const unclassified = allVariables()
      .map((v) => v.variable)
      .filter((v) => !(v in MALFORMED) && !FREE_TEXT.has(v));
    assert.deepEqual(unclassified, []);
  });

  it('answers every malformed variable with one line naming it, and the app runs on unchanged', async function () {
    this.timeout(240000);
    const bare = await runNode(fixture('all-events.js'), { preload: 'none' });
    const shape = (s: string) => s.replace(/[0-9a-f-]{36}/g, 'ID');
    const failures: string[] = [];
    for (const [variable, value] of Object.entries(MALFORMED)) {
      const res = await runNode(fixture('all-events.js'), { env: env({ [variable]: value, AGENTOPS_SHUTDOWN_TIMEOUT_MS: variable === 'AGENTOPS_SHUTDOWN_TIMEOUT_MS' ? value : '2000' }) });
      const named = res.logs.filter((l) => (l.level === 'error' || l.level === 'warn') && (l.variable === variable || String(l.msg).includes(variable)));
      if (res.code !== 0) failures.push(`${variable}: exit code ${res.code}`);
      else if (shape(res.stdout) !== shape(bare.stdout)) failures.push(`${variable}: output changed`);
      else if (named.length === 0) failures.push(`${variable}=${value}: no line names it (${res.stderr.slice(0, 300)})`);
      else if (res.stderr.includes('    at ')) failures.push(`${variable}: a stack trace was printed`);
    }
    assert.deepEqual(failures, []);
  });
});
