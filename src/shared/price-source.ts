/**
 * The built-in LLM prices: the data bundled with `@pydantic/genai-prices`, kept up by the Pydantic
 * team (providers, models with their match rules, cache-read and cache-write rates, long-context
 * tiers, dated price changes). Nothing is fetched at run time.
 *
 * The package is loaded on first use (about 60 ms: it is half a megabyte of data): in the export
 * worker, which prices hand-recorded LLMEvents, or earlier, by `warmPriceSource()`, when an LLM
 * SDK is loaded anyway. A model is looked up once per provider
 * and name; its cost is then computed here from the model's price entry, which the unit tests
 * check against the package's own `calcPrice` for every model it lists. Entries this arithmetic
 * does not cover (time-of-day prices) go through `calcPrice` itself.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { logger } from './logger';

export const PRICE_SOURCE_PACKAGE = '@pydantic/genai-prices';

/**
 * Publication date of each version of the data we have shipped with; a unit test fails when the
 * installed version is missing here, so the date `doctor` shows is never stale.
 */
export const PRICE_DATA_DATES: Readonly<Record<string, string>> = Object.freeze({ '0.1.8': '2026-09-23' });

/** What the built-in source is, for `doctor` and the README. */
export interface PriceSourceInfo {
  source: string;
  version: string | undefined;
  date: string | undefined;
}

export function priceSourceInfo(): PriceSourceInfo {
  const version = installedVersion();
  return { source: PRICE_SOURCE_PACKAGE, version, date: version !== undefined ? PRICE_DATA_DATES[version] : undefined };
}

function installedVersion(): string | undefined {
  try {
    // The package's `exports` hides its package.json: found from its main file instead.
    let dir = path.dirname(require.resolve(PRICE_SOURCE_PACKAGE));
    for (let i = 0; i < 3; i++, dir = path.dirname(dir)) {
      const file = path.join(dir, 'package.json');
      if (!fs.existsSync(file)) continue;
      const pkg = JSON.parse(fs.readFileSync(file, 'utf8')) as { name?: string; version?: string };
      if (pkg.name === PRICE_SOURCE_PACKAGE) return pkg.version;
    }
  } catch {
    // not installed: no built-in prices
  }
  return undefined;
}

/** Our `gen_ai.provider.name` values → the source's provider ids. Others are passed as they are. */
const PROVIDER_IDS: Readonly<Record<string, string>> = Object.freeze({
  'gcp.gemini': 'google',
  'gcp.vertex_ai': 'google',
  'gcp.gen_ai': 'google',
  'aws.bedrock': 'aws',
  'azure.ai.openai': 'azure',
  'azure.ai.inference': 'azure',
  mistral_ai: 'mistral',
  x_ai: 'x-ai',
});

export function sourceProviderId(provider: string | undefined): string | undefined {
  if (provider === undefined || provider === '') return undefined;
  return PROVIDER_IDS[provider] ?? provider;
}

/** Token counts as the source takes them: `input` counts every input token, cached ones included. */
export interface SourceUsage {
  input: number;
  output: number;
  cacheRead: number;
  cacheWrite: number;
}

type Genai = typeof import('@pydantic/genai-prices');
type ModelInfo = import('@pydantic/genai-prices').ModelInfo;
type ModelPrice = import('@pydantic/genai-prices').ModelPrice;
interface Tiered {
  base: number;
  tiers: Array<{ start: number; price: number }>;
}

let genai: Genai | null | undefined;

function load(): Genai | null {
  if (genai !== undefined) return genai;
  try {
    genai = require(PRICE_SOURCE_PACKAGE) as Genai;
  } catch (err) {
    genai = null;
    logger.limited('warn', 'price-source', `${PRICE_SOURCE_PACKAGE} could not be loaded: LLM calls get no cost unless AGENTOPS_PRICE_TABLE prices them`, { error: err });
  }
  return genai;
}

/** Loads the data now, so the first priced call does not pay for it. Never throws. */
export function warmPriceSource(): void {
  load();
}

interface Resolved {
  providerId: string;
  model: ModelInfo;
}

/** (provider, model name) → its entry, or null when the source does not know it. Bounded: hostile names cannot grow it forever. */
const resolved = new Map<string, Resolved | null>();
const MAX_RESOLVED = 4096;

function resolve(g: Genai, providerId: string | undefined, model: string): Resolved | null {
  const key = `${providerId ?? ''}\u0000${model}`;
  const hit = resolved.get(key);
  if (hit !== undefined) return hit;
  let out: Resolved | null = null;
  // `calcPrice` on no usage is the source's own lookup: provider by id (or by the model's name
  // when no provider is known), then the model by its match rules, dated snapshots included.
  const r = g.calcPrice({ input_tokens: 0, output_tokens: 0 }, model, providerId !== undefined ? { providerId } : undefined);
  if (r !== null) out = { providerId: r.provider.id, model: r.model };
  if (resolved.size >= MAX_RESOLVED) resolved.clear();
  resolved.set(key, out);
  return out;
}

/** USD, or undefined when the source has no price for the model (or is not installed). */
export function sourceCostUsd(provider: string | undefined, model: string, usage: SourceUsage, at?: Date): number | undefined {
  const g = load();
  if (g === null) return undefined;
  const providerId = sourceProviderId(provider);
  const r = resolve(g, providerId, model);
  if (r === null) return undefined;
  const when = at ?? (Array.isArray(r.model.prices) ? new Date() : EPOCH);
  const prices = activePrices(r.model, when);
  if (prices !== undefined) {
    const cost = tokenCost(prices, usage);
    if (cost !== undefined) return cost;
  }
  const full = g.calcPrice({ input_tokens: usage.input, output_tokens: usage.output, cache_read_tokens: usage.cacheRead, cache_write_tokens: usage.cacheWrite }, model, {
    providerId: r.providerId,
    timestamp: at ?? new Date(),
  });
  return full === null ? undefined : full.total_price;
}

/** Stands for "now" where the price entry has no dates to compare it with. */
const EPOCH = new Date(0);

/** The price entry in force at `at` for plain and start-date entries; undefined for time-of-day ones. */
export function activePrices(model: ModelInfo, at: Date): ModelPrice | undefined {
  if (!Array.isArray(model.prices)) return model.prices;
  for (let i = model.prices.length - 1; i >= 0; i--) {
    const c = model.prices[i].constraint;
    if (c === undefined) return model.prices[i].prices;
    if (c.type !== 'start_date') return undefined;
    if (at >= new Date(c.start_date)) return model.prices[i].prices;
  }
  return model.prices[0]?.prices;
}

const TOKEN_KEYS = new Set(['input_mtok', 'output_mtok', 'cache_read_mtok', 'cache_write_mtok']);
const PER_REQUEST = 'requests_kcount';

type Rate = number | Tiered | undefined;

/** A price entry reduced to the five rates our usage can touch; null: a form we do not know. */
interface Rates {
  input: Rate;
  output: Rate;
  read: Rate;
  write: Rate;
  request: Rate;
}

/** Price entries are the source's frozen data: each is read once. */
const compiled = new WeakMap<object, Rates | null>();

function rates(prices: ModelPrice): Rates | null {
  let r = compiled.get(prices);
  if (r !== undefined) return r;
  r = compile(prices);
  compiled.set(prices, r);
  return r;
}

function isRate(v: unknown): v is Rate {
  if (v === undefined || typeof v === 'number') return true;
  const t = v as Tiered | null;
  return t !== null && typeof t === 'object' && typeof t.base === 'number' && Array.isArray(t.tiers);
}

function compile(prices: ModelPrice): Rates | null {
  for (const [k, v] of Object.entries(prices)) {
    if (v === undefined || TOKEN_KEYS.has(k) || k === PER_REQUEST) continue;
    if (!isRate(v)) return null;
  }
  const r = { input: prices.input_mtok, output: prices.output_mtok, read: prices.cache_read_mtok, write: prices.cache_write_mtok, request: prices[PER_REQUEST] };
  return isRate(r.input) && isRate(r.output) && isRate(r.read) && isRate(r.write) && isRate(r.request) ? r : null;
}

/** A tier is chosen by the total input tokens, as the source does. */
function rateAt(rate: Rate, input: number): number {
  if (rate === undefined) return 0;
  if (typeof rate === 'number') return rate;
  let p = rate.base;
  for (const tier of rate.tiers) if (input > tier.start) p = tier.price;
  return p;
}

/**
 * The source's arithmetic for the four token counts we report: cache reads and writes at their
 * own rates where the model has one (else they stay input tokens), a tier chosen by the total
 * input, and a per-request price where there is one. Other price keys (audio, images, searches)
 * cost nothing for usage that has none of them. Undefined when a value is of a form we do not
 * know, so the caller asks the source itself.
 */
export function tokenCost(prices: ModelPrice, u: SourceUsage): number | undefined {
  const r = rates(prices);
  if (r === null) return undefined;
  const plain = u.input - (r.read !== undefined ? u.cacheRead : 0) - (r.write !== undefined ? u.cacheWrite : 0);
  const tokens = plain * rateAt(r.input, u.input) + u.cacheRead * rateAt(r.read, u.input) + u.cacheWrite * rateAt(r.write, u.input) + u.output * rateAt(r.output, u.input);
  return tokens / 1e6 + rateAt(r.request, u.input) / 1e3;
}
