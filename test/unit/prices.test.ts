import * as assert from 'node:assert/strict';
import type { Attributes } from '@opentelemetry/api';
import * as genai from '@pydantic/genai-prices';
import { priceCheck } from '../../src/cli/commands/doctor';
import { addLlmSpanCost } from '../../src/shared/llm-span-cost';
import { costUsd, findOverride, NO_OVERRIDES, parsePriceOverrides } from '../../src/shared/prices';
import { activePrices, PRICE_DATA_DATES, priceSourceInfo, sourceCostUsd, sourceProviderId, tokenCost } from '../../src/shared/price-source';

const near = (a: number | undefined, b: number, what: string): void => assert.ok(a !== undefined && Math.abs(a - b) <= 1e-12 + Math.abs(b) * 1e-9, `${what}: ${a} != ${b}`);

// Providers of the bundled data that the instrumentations (and the users' own LLMEvents) meet most.
const PROVIDERS = ['openai', 'anthropic', 'google', 'aws', 'azure', 'mistral', 'groq', 'deepseek', 'x-ai', 'cohere', 'together', 'fireworks', 'openrouter'];

describe('price source: @pydantic/genai-prices', () => {
  it('knows the date of the installed data, so doctor never shows a stale one', () => {
    const info = priceSourceInfo();
    assert.equal(info.source, '@pydantic/genai-prices');
    assert.ok(info.version !== undefined, 'the package is installed');
    assert.ok(PRICE_DATA_DATES[info.version] !== undefined, `add the publication date of ${info.version} to PRICE_DATA_DATES`);
    assert.match(info.date ?? '', /^\d{4}-\d{2}-\d{2}$/);
    const published = Date.parse(`${info.date}T00:00:00Z`);
    const fresh = priceCheck(new Date(published + 10 * 86_400_000));
    assert.equal(fresh.verdict, 'ok');
    assert.equal(fresh.detail, `@pydantic/genai-prices ${info.version}, data of ${info.date} (10 days old)`);
    const stale = priceCheck(new Date(published + 400 * 86_400_000));
    assert.equal(stale.verdict, 'warn');
    assert.match(stale.fix ?? '', /upgrade agentops-otel/);
  });

  it('computes what the package computes, for every model of the main providers, with and without cache tokens and past a long-context tier', () => {
    const usages = [
      { input: 1234, output: 567, cacheRead: 0, cacheWrite: 0 },
      { input: 5000, output: 300, cacheRead: 1200, cacheWrite: 800 },
      { input: 250_000, output: 4000, cacheRead: 10_000, cacheWrite: 5000 },
      { input: 0, output: 42, cacheRead: 0, cacheWrite: 0 },
    ];
    const dates = [new Date('2025-01-15T12:00:00Z'), new Date(), new Date('2027-06-01T12:00:00Z')];
    let compared = 0;
    let own = 0;
    for (const id of PROVIDERS) {
      const provider = genai.findProvider({ providerId: id });
      if (provider === undefined) continue;
      for (const model of provider.models) {
        for (const at of dates) {
          for (const u of usages) {
            const usage = { input_tokens: u.input, output_tokens: u.output, cache_read_tokens: u.cacheRead, cache_write_tokens: u.cacheWrite };
            let expected: number | undefined;
            try {
              const r = genai.calcPrice(usage, model.id, { providerId: id, timestamp: at });
              if (r === null || r.model.id !== model.id) continue; // its id is not a name it matches: not comparable
              expected = r.total_price;
            } catch {
              continue; // the package refuses this usage for this model (e.g. cache tokens it cannot price)
            }
            const prices = activePrices(model, at);
            const mine = prices !== undefined ? tokenCost(prices, u) : undefined;
            if (mine !== undefined) own++;
            near(mine ?? sourceCostUsd(id, model.id, u, at), expected, `${id} ${model.id} at ${at.toISOString()} ${JSON.stringify(u)}`);
            compared++;
          }
        }
      }
    }
    assert.ok(compared > 3000, `compared ${compared}`);
    assert.ok(own / compared > 0.95, `the arithmetic here covers ${own} of ${compared}`);
  });

  it('maps our provider names to the source ids', () => {
    assert.equal(sourceProviderId('gcp.gemini'), 'google');
    assert.equal(sourceProviderId('gcp.vertex_ai'), 'google');
    assert.equal(sourceProviderId('aws.bedrock'), 'aws');
    assert.equal(sourceProviderId('azure.ai.openai'), 'azure');
    assert.equal(sourceProviderId('openai'), 'openai');
    assert.equal(sourceProviderId(undefined), undefined);
  });
});

describe('costUsd', () => {
  it('prices current models, dated snapshots included (claude-sonnet-4-6 was missing from the old table)', () => {
    near(costUsd(NO_OVERRIDES, 'claude-sonnet-4-6', { inputTokens: 1000, outputTokens: 100 }, 'anthropic'), (1000 * 3 + 100 * 15) / 1e6, 'sonnet 4.6');
    near(costUsd(NO_OVERRIDES, 'gpt-4o-mini-2024-07-18', { inputTokens: 1000, outputTokens: 100 }, 'openai'), (1000 * 0.15 + 100 * 0.6) / 1e6, 'gpt-4o-mini snapshot');
  });

  it('prices cache reads and writes at their own rates', () => {
    // gpt-4o-mini: 8 plain x 0.15 + 4 cached x 0.075 + 7 out x 0.6 per 1M
    near(costUsd(NO_OVERRIDES, 'gpt-4o-mini', { inputTokens: 12, outputTokens: 7, cacheReadTokens: 4 }, 'openai'), 0.0000057, 'openai cached_tokens');
    // claude-3-5-haiku: 10 x 0.8 + 6 read x 0.08 + 2 write x 1 + 8 out x 4
    near(costUsd(NO_OVERRIDES, 'claude-3-5-haiku-20241022', { inputTokens: 18, outputTokens: 8, cacheReadTokens: 6, cacheCreationTokens: 2 }, 'anthropic'), 0.00004248, 'anthropic cache read/write');
    // Sonnet 4.5 past 200k input tokens: the long-context rates (6 / 0.6 / 7.5 / 22.5).
    near(
      costUsd(NO_OVERRIDES, 'claude-sonnet-4-5', { inputTokens: 300_000, outputTokens: 1000, cacheReadTokens: 100_000, cacheCreationTokens: 50_000 }, 'anthropic'),
      (150_000 * 6 + 100_000 * 0.6 + 50_000 * 7.5 + 1000 * 22.5) / 1e6,
      'tier',
    );
  });

  it('never guesses: an unknown model, or a known one under another provider, has no cost', () => {
    for (const [model, provider] of [
      ['my-model', undefined],
      ['gpt-9', 'openai'],
      ['gpt-4o-super', 'openai'],
      ['claude-sonnet-9', 'anthropic'],
      ['claude-sonnet-4-6', 'openai'],
      ['llama3', 'openai'],
      ['', 'openai'],
    ] as const) {
      assert.equal(costUsd(NO_OVERRIDES, model, { inputTokens: 10, outputTokens: 10 }, provider), undefined, `${provider}/${model}`);
    }
    assert.equal(costUsd(NO_OVERRIDES, 'gpt-4o', {}, 'openai'), undefined, 'no tokens, no cost');
    assert.equal(costUsd(NO_OVERRIDES, undefined, { inputTokens: 1 }), undefined);
  });

  it('finds the provider by the model name when none is known (a hand-recorded LLMEvent)', () => {
    near(costUsd(NO_OVERRIDES, 'gpt-4o', { inputTokens: 12, outputTokens: 3 }), (12 * 2.5 + 3 * 10) / 1e6, 'gpt-4o');
    near(costUsd(NO_OVERRIDES, 'claude-3-5-haiku-latest', { inputTokens: 10, outputTokens: 0 }), (10 * 0.8) / 1e6, 'claude');
  });

  it('survives hostile usage: NaN, negative, cache counts above the input, enormous names', () => {
    assert.equal(costUsd(NO_OVERRIDES, 'gpt-4o', { inputTokens: NaN, outputTokens: -5 }, 'openai'), undefined);
    near(costUsd(NO_OVERRIDES, 'gpt-4o', { inputTokens: 10, outputTokens: 0, cacheReadTokens: 50, cacheCreationTokens: 50 }, 'openai'), (10 * 1.25) / 1e6, 'cache reads clamped to the input');
    assert.equal(costUsd(NO_OVERRIDES, 'x'.repeat(100_000), { inputTokens: 1 }, 'openai'), undefined);
    for (let i = 0; i < 5000; i++) costUsd(NO_OVERRIDES, `unknown-${i}`, { inputTokens: 1 }, 'openai');
  });
});

describe('AGENTOPS_PRICE_TABLE overrides', () => {
  it('win over the source, by exact name or dated snapshot; null takes a price away', () => {
    const t = parsePriceOverrides('{"My-Model": {"input": 1, "output": 2}, "gpt-4o": null, "gpt-4o-mini": {"input": 10, "output": 20, "cacheRead": 1}, "__proto__": {"input": 3, "output": 3}}');
    assert.deepEqual(findOverride(t, 'my-model'), { input: 1, output: 2 });
    assert.deepEqual(findOverride(t, '__proto__'), { input: 3, output: 3 });
    near(costUsd(t, 'my-model', { inputTokens: 1_000_000, outputTokens: 1_000_000 }), 3, 'added model');
    assert.equal(costUsd(t, 'gpt-4o-2024-08-06', { inputTokens: 10, outputTokens: 10 }, 'openai'), undefined, 'removed');
    near(costUsd(t, 'gpt-4o-mini-2024-07-18', { inputTokens: 1_000_000, outputTokens: 0, cacheReadTokens: 500_000 }, 'openai'), 5.5, 'replaced, cached at its rate');
    near(costUsd(t, 'gpt-4.1', { inputTokens: 1_000_000, outputTokens: 0 }, 'openai'), 2, 'others from the source');
  });

  it('are refused whole when malformed, naming the problem', () => {
    assert.throws(() => parsePriceOverrides('{"x": {"input": "1"}}'), /numeric "input" and "output"/);
    assert.throws(() => parsePriceOverrides('{"x": {"input": 1, "output": 1, "cacheRead": -1}}'), /"cacheRead" is not a number/);
    assert.throws(() => parsePriceOverrides('[1]'), /not a JSON object/);
    assert.throws(() => parsePriceOverrides('{not json'));
  });
});

describe('addLlmSpanCost (an LLM event span priced from its own attributes)', () => {
  const llm = (extra: Record<string, string | number | boolean>): Attributes => ({ 'agentops.event.type': 'llms', ...extra });

  it('prices by the response model first, then the request model, with the provider and cache counts', () => {
    const a = llm({ 'gen_ai.request.model': 'gpt-4o', 'gen_ai.response.model': 'gpt-4o-mini', 'gen_ai.usage.input_tokens': 1_000_000, 'gen_ai.usage.output_tokens': 0 });
    addLlmSpanCost(a);
    near(a['agentops.usage.cost_usd'] as number, 0.15, 'gpt-4o-mini, the model that answered');
    const b = llm({ 'gen_ai.request.model': 'gpt-4o', 'gen_ai.response.model': 'no-such-model', 'gen_ai.usage.input_tokens': 12, 'gen_ai.usage.output_tokens': 3 });
    addLlmSpanCost(b);
    near(b['agentops.usage.cost_usd'] as number, (12 * 2.5 + 3 * 10) / 1e6, 'the request model when the response model has no price');
    const c = llm({
      'gen_ai.request.model': 'claude-3-5-haiku-20241022',
      'gen_ai.provider.name': 'anthropic',
      'gen_ai.usage.input_tokens': 18,
      'gen_ai.usage.output_tokens': 8,
      'gen_ai.usage.cache_read.input_tokens': 6,
      'gen_ai.usage.cache_creation.input_tokens': 2,
    });
    addLlmSpanCost(c);
    near(c['agentops.usage.cost_usd'] as number, 0.00004248, 'cache reads and writes at their rates');
    const d = llm({ 'gen_ai.request.model': 'my-model', 'gen_ai.usage.output_tokens': 1_000_000 });
    addLlmSpanCost(d, parsePriceOverrides('{"my-model": {"input": 1, "output": 2}}'));
    near(d['agentops.usage.cost_usd'] as number, 2, 'AGENTOPS_PRICE_TABLE');
  });

  it('leaves alone a span with a cost, another span, and one without a model or a usable count', () => {
    const priced = llm({ 'gen_ai.request.model': 'gpt-4o', 'gen_ai.usage.input_tokens': 12, 'agentops.usage.cost_usd': 0.5 });
    const tool = { 'agentops.event.type': 'tools', 'gen_ai.request.model': 'gpt-4o', 'gen_ai.usage.input_tokens': 12 };
    const cases: Attributes[] = [
      priced,
      tool,
      llm({ 'gen_ai.usage.input_tokens': 12 }),
      llm({ 'gen_ai.request.model': 'gpt-4o' }),
      llm({ 'gen_ai.request.model': 'gpt-4o', 'gen_ai.usage.input_tokens': '12', 'gen_ai.usage.output_tokens': -1 }),
      llm({ 'gen_ai.request.model': 'gpt-4o', 'gen_ai.usage.input_tokens': Infinity }),
      llm({ 'gen_ai.request.model': true, 'gen_ai.usage.input_tokens': 12 }),
    ];
    const before = cases.map((a) => ({ ...a }));
    for (const a of cases) addLlmSpanCost(a);
    assert.deepEqual(cases, before);
  });
});
