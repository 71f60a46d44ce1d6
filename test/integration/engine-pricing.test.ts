/**
 * LLMEvents recorded without a cost are priced by the export engine, off the app's thread: the
 * app never loads the price data (half a megabyte of JavaScript, ~60 ms on its first LLMEvent).
 * The same costs reach both destinations however the spans travel: through the worker, through
 * its overflow spool, through the in-thread fallback, or through the replay helper after an exit.
 */
import * as assert from 'node:assert/strict';
import { runNode } from '../helpers/child';
import { attr, startOtlpReceiver, type OtlpReceiver } from '../helpers/otlp-receiver';
import { createTestDatabase, eventually, sql, tempDir } from '../helpers/postgres';
import { faultEnv, fixture } from './faults-support';

const PRICE_TABLE = JSON.stringify({ 'my-own-model': { input: 1, output: 1 } });

/** What each event of test/fixtures/llm-costs.js costs (USD); undefined: no cost attribute. */
const EXPECTED: Record<string, number | undefined> = {
  source: (12 * 2.5 + 3 * 10) / 1e6, // gpt-4o from @pydantic/genai-prices
  cached: 0.00004248, // anthropic, 6 read from and 2 written to the prompt cache
  override: (12 * 1 + 3 * 1) / 1e6, // AGENTOPS_PRICE_TABLE
  given: 0.5, // recorded with its cost: kept as it is
  unknown: undefined,
  noTokens: undefined,
  hostile: undefined, // NaN and negative token counts are no counts
};

interface Out {
  sessionId: string;
  ids: Record<string, string>;
}

function assertCosts(label: string, ids: Record<string, string>, costOf: (id: string) => number | undefined): void {
  for (const [name, expected] of Object.entries(EXPECTED)) {
    const got = costOf(ids[name]);
    if (expected === undefined) assert.equal(got, undefined, `${label}: ${name} has no cost`);
    else assert.ok(got !== undefined && Math.abs(got - expected) < 1e-12, `${label}: ${name} costs ${expected}, got ${got}`);
  }
}

async function rowCosts(dbUrl: string, sessionId: string): Promise<Map<string, number | undefined>> {
  const rows = await sql<{ id: string; cost: number | null }>(
    dbUrl,
    `SELECT attributes->>'agentops.event.id' AS id, (attributes->'agentops.usage.cost_usd')::float8 AS cost
       FROM agentops_spans WHERE attributes->>'agentops.event.type' = 'llms' AND attributes->>'agentops.session.id' = $1`,
    [sessionId],
  );
  return new Map(rows.map((r) => [r.id, r.cost ?? undefined]));
}

describe('export engine: LLM events priced off the app’s thread', function () {
  this.timeout(120_000);
  let receiver: OtlpReceiver;

  beforeEach(async () => {
    receiver = await startOtlpReceiver();
  });
  afterEach(async () => {
    await receiver.close();
  });

  const cases: Array<{ name: string; env: Record<string, string>; args?: string[]; code?: number; appLoadsPrices: boolean }> = [
    { name: 'through the export worker', env: {}, appLoadsPrices: false },
    { name: 'through the overflow spool', env: { __AGENTOPS_OTEL_TEST_SPILL_BACKLOG: '-1000000000' }, appLoadsPrices: false },
    {
      name: 'through the replay helper, after process.exit()',
      env: { __AGENTOPS_OTEL_TEST_SPILL_BACKLOG: '-1000000000', AGENTOPS_SHUTDOWN_TIMEOUT_MS: '0' },
      args: ['exit'],
      code: 3,
      appLoadsPrices: false,
    },
    // No worker: the engine runs on the app's thread, and so does the price data.
    { name: 'in the in-thread fallback', env: { __AGENTOPS_OTEL_TEST_WORKER_FAILURE: 'start' }, appLoadsPrices: true },
  ];
  for (const c of cases) {
    it(`${c.name}: both destinations get the same costs`, async () => {
      const dbUrl = await createTestDatabase('pricing');
      const env = faultEnv({ jaegerUrl: receiver.url, dbUrl, spoolDir: tempDir() }, { AGENTOPS_OTLP_SPOOL_DIR: tempDir(), AGENTOPS_PRICE_TABLE: PRICE_TABLE, ...c.env });
      const res = await runNode(fixture('llm-costs.js'), { args: c.args ?? [], env });
      assert.equal(res.code, c.code ?? 0, res.stderr.slice(-2000));
      const [first, last] = res.stdout.trim().split('\n');
      const out = JSON.parse(first) as Out;
      assert.equal((JSON.parse(last) as { pricesLoaded: boolean }).pricesLoaded, c.appLoadsPrices, 'whether the app’s thread loaded the price data');
      const count = Object.keys(EXPECTED).length;
      const spans = await receiver.waitForSpans(count + 1, 20_000);
      const llm = spans.filter((s) => attr(s, 'agentops.event.type') === 'llms');
      assert.equal(llm.length, count);
      assertCosts('receiver', out.ids, (id) => {
        const v = attr(llm.find((s) => attr(s, 'agentops.event.id') === id) ?? { attributes: {} }, 'agentops.usage.cost_usd');
        return typeof v === 'number' ? v : undefined;
      });
      assert.ok(await eventually(async () => (await rowCosts(dbUrl, out.sessionId).catch(() => new Map())).size === count, 20_000), 'PostgreSQL got every LLM span');
      const rows = await rowCosts(dbUrl, out.sessionId);
      assertCosts('PostgreSQL', out.ids, (id) => rows.get(id));
    });
  }
});
