/**
 * Configuration read by the preload in a real child process: bad values give one clear line
 * and the app runs on; the JSON file and the environment combine; secrets stay out of output.
 */
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { runNode, REPO_ROOT } from '../helpers/child';
import { startOtlpReceiver, type OtlpReceiver } from '../helpers/otlp-receiver';

const APP = path.join(REPO_ROOT, 'test', 'fixtures', 'all-events.js');
const SPANS_PER_RUN = 9;

describe('preload configuration', function () {
  let receiver: OtlpReceiver;
  let bareStdoutShape: string;
  const shape = (stdout: string): string => stdout.replace(/[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/g, 'ID');

  before(async () => {
    bareStdoutShape = shape((await runNode(APP, { preload: 'none' })).stdout);
  });
  beforeEach(async () => {
    receiver = await startOtlpReceiver();
  });
  afterEach(async () => {
    await receiver.close();
  });

  const base = (): Record<string, string> => ({ AGENTOPS_EXPORTERS: 'jaeger', OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: receiver.url, OTEL_BSP_SCHEDULE_DELAY: '50' });

  const invalid: Array<{ env: Record<string, string>; variable: string; expected: RegExp; exporterOff: boolean }> = [
    { env: { OTEL_BSP_MAX_QUEUE_SIZE: 'lots' }, variable: 'OTEL_BSP_MAX_QUEUE_SIZE', expected: /"lots" is not a whole number; expected an integer from 1 to/, exporterOff: false },
    { env: { OTEL_BSP_SCHEDULE_DELAY: '-5' }, variable: 'OTEL_BSP_SCHEDULE_DELAY', expected: /-5 is out of range; expected an integer from 0 to/, exporterOff: false },
    { env: { AGENTOPS_CAPTURE_CONTENT: 'maybe' }, variable: 'AGENTOPS_CAPTURE_CONTENT', expected: /"maybe" is not a boolean; expected true or false/, exporterOff: false },
    { env: { AGENTOPS_LOG_LEVEL: 'loud' }, variable: 'AGENTOPS_LOG_LEVEL', expected: /"loud" is not a log level; expected one of debug, info/, exporterOff: false },
    {
      env: { OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: 'localhost 4318' },
      variable: 'OTEL_EXPORTER_OTLP_TRACES_ENDPOINT',
      expected: /"localhost 4318" is not a URL; expected a URL such as/,
      exporterOff: true,
    },
    {
      env: { OTEL_EXPORTER_OTLP_TRACES_PROTOCOL: 'grpc' },
      variable: 'OTEL_EXPORTER_OTLP_TRACES_PROTOCOL',
      expected: /grpc is not supported.*expected http\/protobuf \(Jaeger native\) or http\/json/,
      exporterOff: true,
    },
    { env: { OTEL_EXPORTER_OTLP_TRACES_TIMEOUT: '10s' }, variable: 'OTEL_EXPORTER_OTLP_TRACES_TIMEOUT', expected: /"10s" is not a whole number/, exporterOff: true },
    {
      env: { OTEL_EXPORTER_OTLP_TRACES_HEADERS: 'novalue' },
      variable: 'OTEL_EXPORTER_OTLP_TRACES_HEADERS',
      expected: /has no key=value form; expected comma-separated key=value pairs/,
      exporterOff: true,
    },
    {
      env: { AGENTOPS_EXPORTERS: 'jaeger,kafka' },
      variable: 'AGENTOPS_EXPORTERS',
      expected: /"kafka" is not an exporter; expected a comma-separated list of jaeger, postgres; or none/,
      exporterOff: false,
    },
  ];

  for (const c of invalid) {
    it(`reports an invalid ${c.variable} in one line and keeps the app running`, async () => {
      const res = await runNode(APP, { env: { ...base(), ...c.env } });
      assert.equal(res.code, 0, res.stderr);
      assert.equal(shape(res.stdout), bareStdoutShape, 'the app output is unchanged');
      const lines = res.logs.filter((l) => l.level === 'error');
      assert.equal(lines.length, 1, res.stderr);
      assert.equal(lines[0].variable, c.variable);
      assert.match(String(lines[0].msg), new RegExp(`^invalid configuration: ${c.variable}: `));
      assert.match(String(lines[0].msg), c.expected);
      if (c.exporterOff) {
        assert.equal(receiver.requests.length, 0, 'the misconfigured exporter is off');
      } else {
        assert.equal((await receiver.waitForSpans(SPANS_PER_RUN)).length, SPANS_PER_RUN, 'the default is used instead');
      }
    });
  }

  it('reads a JSON file named by AGENTOPS_CONFIG, the environment winning over it', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'agentops-config-'));
    const file = path.join(dir, 'config.json');
    fs.writeFileSync(file, JSON.stringify({ OTEL_SERVICE_NAME: 'from-file', AGENTOPS_EXPORTERS: 'jaeger', OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: receiver.url, OTEL_BSP_SCHEDULE_DELAY: 50 }));
    const fromFile = await runNode(APP, { env: { AGENTOPS_CONFIG: file } });
    assert.equal(fromFile.code, 0, fromFile.stderr);
    const spans = await receiver.waitForSpans(SPANS_PER_RUN);
    assert.equal(spans[0].resource['service.name'], 'from-file');

    receiver.reset();
    const overridden = await runNode(APP, { env: { AGENTOPS_CONFIG: file, OTEL_SERVICE_NAME: 'from-env' } });
    assert.equal(overridden.code, 0);
    assert.equal((await receiver.waitForSpans(SPANS_PER_RUN))[0].resource['service.name'], 'from-env');

    fs.writeFileSync(file, '{ not json');
    const broken = await runNode(APP, { env: { ...base(), AGENTOPS_CONFIG: file } });
    assert.equal(broken.code, 0);
    const err = broken.logs.find((l) => l.level === 'error');
    assert.ok(err);
    assert.match(String(err.msg), /AGENTOPS_CONFIG: file .* is not valid JSON/);
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('sends OTLP headers and never prints their values, even at debug level', async () => {
    const secret = 'Bearer s3cr3t-token-value';
    const res = await runNode(APP, {
      env: { ...base(), OTEL_EXPORTER_OTLP_TRACES_HEADERS: `authorization=${encodeURIComponent(secret)},x-tenant=acme`, AGENTOPS_LOG_LEVEL: 'debug', OTEL_BSP_MAX_QUEUE_SIZE: 'x' },
    });
    assert.equal(res.code, 0);
    await receiver.waitForSpans(SPANS_PER_RUN);
    assert.equal(receiver.requests[0].headers['authorization'], secret);
    assert.equal(receiver.requests[0].headers['x-tenant'], 'acme');
    assert.ok(res.logs.length > 2, 'debug logging is on');
    assert.ok(!res.stderr.includes('s3cr3t'), 'the header value never appears in output');
  });

  it('sets up once when loaded twice, by --require twice or by --require and --import', async () => {
    const env = base();
    const twice = await runNode(APP, { env, execArgv: ['--require', path.join(REPO_ROOT, 'dist', 'register.js')] });
    assert.equal(twice.code, 0, twice.stderr);
    await receiver.waitForSpans(SPANS_PER_RUN);
    await new Promise((r) => setTimeout(r, 200)); // on purpose: no duplicate follows
    assert.equal(receiver.spans.length, SPANS_PER_RUN, 'no span is duplicated');

    receiver.reset();
    const both = await runNode(APP, { env, execArgv: ['--import', path.join(REPO_ROOT, 'register.mjs')] });
    assert.equal(both.code, 0, both.stderr);
    await receiver.waitForSpans(SPANS_PER_RUN);
    await new Promise((r) => setTimeout(r, 200)); // on purpose: no duplicate follows
    assert.equal(receiver.spans.length, SPANS_PER_RUN);
  });

  it('does nothing at all with OTEL_SDK_DISABLED=true', async () => {
    const res = await runNode(APP, { env: { ...base(), OTEL_SDK_DISABLED: 'true' } });
    assert.equal(res.code, 0);
    assert.equal(shape(res.stdout), bareStdoutShape);
    assert.equal(res.stderr, '');
    await new Promise((r) => setTimeout(r, 200)); // on purpose: nothing arrives late either
    assert.equal(receiver.requests.length, 0);
  });

  it('keeps content out of every span with AGENTOPS_CAPTURE_CONTENT=false', async () => {
    const res = await runNode(APP, { env: { ...base(), AGENTOPS_CAPTURE_CONTENT: 'false' } });
    assert.equal(res.code, 0);
    const spans = await receiver.waitForSpans(SPANS_PER_RUN);
    const text = JSON.stringify(spans, (_k, v) => (typeof v === 'bigint' ? String(v) : v));
    for (const content of ['hello', '"hi"', '3 hits', '#go', 'data:image', '"more"', 'cannot fetch', 'out of range', 'example.invalid']) assert.ok(!text.includes(content), `${content} leaked`);
    const errorSpan = spans.find((s) => s.name === 'error RangeError');
    assert.equal(errorSpan?.events[0]?.attributes['exception.type'], 'RangeError', 'the error type is still recorded');
    const llm = spans.find((s) => s.name === 'chat gpt-4o');
    assert.equal(llm?.attributes['gen_ai.usage.input_tokens'], 3n, 'metadata is still recorded');
  });
});
