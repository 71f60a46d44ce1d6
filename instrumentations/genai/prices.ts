/**
 * The price table behind `agentops.usage.cost_usd`: US dollars per million tokens, list prices
 * (standard tier, no batch discount) as published by the providers:
 *   - OpenAI: https://platform.openai.com/docs/pricing
 *   - Anthropic: https://docs.anthropic.com/en/docs/about-claude/pricing (5-minute cache writes)
 * Compiled 2025-10 and checked against those pages' figures as mirrored in 2026. Prices change:
 * override or extend the table with AGENTOPS_PRICE_TABLE (a JSON file path, or inline JSON, of
 * `{ "model": { "input": n, "output": n, "cacheRead"?: n, "cacheWrite"?: n } }`).
 *
 * A model is priced only when its name is in the table, exactly or as a dated snapshot of a listed
 * name (`gpt-4o-2024-08-06`, `claude-3-5-haiku-20241022`). Anything else has no cost: never guessed.
 */
export interface ModelPrice {
  /** USD per 1M input tokens not read from the cache. */
  input: number;
  /** USD per 1M output tokens. */
  output: number;
  /** USD per 1M input tokens read from the prompt cache; `input` when absent. */
  cacheRead?: number;
  /** USD per 1M input tokens written to the prompt cache (Anthropic); `input` when absent. */
  cacheWrite?: number;
}

export type PriceTable = Record<string, ModelPrice>;

export const PRICE_TABLE_DATE = '2025-10';

export const DEFAULT_PRICES: Readonly<PriceTable> = Object.freeze({
  // OpenAI chat / responses
  'gpt-5': { input: 1.25, output: 10, cacheRead: 0.125 },
  'gpt-5-mini': { input: 0.25, output: 2, cacheRead: 0.025 },
  'gpt-5-nano': { input: 0.05, output: 0.4, cacheRead: 0.005 },
  'gpt-4.1': { input: 2, output: 8, cacheRead: 0.5 },
  'gpt-4.1-mini': { input: 0.4, output: 1.6, cacheRead: 0.1 },
  'gpt-4.1-nano': { input: 0.1, output: 0.4, cacheRead: 0.025 },
  'gpt-4o': { input: 2.5, output: 10, cacheRead: 1.25 },
  'gpt-4o-mini': { input: 0.15, output: 0.6, cacheRead: 0.075 },
  'gpt-4-turbo': { input: 10, output: 30 },
  'gpt-3.5-turbo': { input: 0.5, output: 1.5 },
  o1: { input: 15, output: 60, cacheRead: 7.5 },
  o3: { input: 2, output: 8, cacheRead: 0.5 },
  'o3-mini': { input: 1.1, output: 4.4, cacheRead: 0.55 },
  'o4-mini': { input: 1.1, output: 4.4, cacheRead: 0.275 },
  // OpenAI embeddings (input only)
  'text-embedding-3-small': { input: 0.02, output: 0 },
  'text-embedding-3-large': { input: 0.13, output: 0 },
  'text-embedding-ada-002': { input: 0.1, output: 0 },
  // Anthropic
  'claude-opus-4-1': { input: 15, output: 75, cacheRead: 1.5, cacheWrite: 18.75 },
  'claude-opus-4': { input: 15, output: 75, cacheRead: 1.5, cacheWrite: 18.75 },
  'claude-sonnet-4-5': { input: 3, output: 15, cacheRead: 0.3, cacheWrite: 3.75 },
  'claude-sonnet-4': { input: 3, output: 15, cacheRead: 0.3, cacheWrite: 3.75 },
  'claude-3-7-sonnet': { input: 3, output: 15, cacheRead: 0.3, cacheWrite: 3.75 },
  'claude-3-5-sonnet': { input: 3, output: 15, cacheRead: 0.3, cacheWrite: 3.75 },
  'claude-haiku-4-5': { input: 1, output: 5, cacheRead: 0.1, cacheWrite: 1.25 },
  'claude-3-5-haiku': { input: 0.8, output: 4, cacheRead: 0.08, cacheWrite: 1 },
  'claude-3-haiku': { input: 0.25, output: 1.25, cacheRead: 0.03, cacheWrite: 0.3 },
  'claude-3-opus': { input: 15, output: 75, cacheRead: 1.5, cacheWrite: 18.75 },
});

const DATED_SUFFIX = /-(?:\d{4}-\d{2}-\d{2}|\d{8})$/;

/** The table entry for `model`: exact (case-insensitive), else the name without a date suffix or `-latest`. */
export function findPrice(table: Readonly<PriceTable>, model: string | undefined): ModelPrice | undefined {
  if (typeof model !== 'string' || model === '') return undefined;
  const name = model.trim().toLowerCase();
  if (Object.prototype.hasOwnProperty.call(table, name)) return table[name];
  const base = name.replace(DATED_SUFFIX, '').replace(/-latest$/, '');
  if (base !== name && Object.prototype.hasOwnProperty.call(table, base)) return table[base];
  return undefined;
}

export interface TokenUsage {
  /** All input tokens, cached ones included. */
  inputTokens?: number;
  outputTokens?: number;
  /** Part of `inputTokens` read from the prompt cache. */
  cacheReadTokens?: number;
  /** Part of `inputTokens` written to the prompt cache. */
  cacheCreationTokens?: number;
}

/** Cost in USD, or undefined when the model is not in the table or no token count is known. */
export function costUsd(table: Readonly<PriceTable>, model: string | undefined, usage: TokenUsage): number | undefined {
  const price = findPrice(table, model);
  if (price === undefined) return undefined;
  const input = count(usage.inputTokens);
  const output = count(usage.outputTokens);
  if (input === undefined && output === undefined) return undefined;
  const cacheRead = Math.min(count(usage.cacheReadTokens) ?? 0, input ?? 0);
  const cacheWrite = Math.min(count(usage.cacheCreationTokens) ?? 0, (input ?? 0) - cacheRead);
  const plain = (input ?? 0) - cacheRead - cacheWrite;
  const micro =
    plain * price.input + cacheRead * (price.cacheRead ?? price.input) + cacheWrite * (price.cacheWrite ?? price.input) + (output ?? 0) * price.output;
  return round(micro / 1_000_000);
}

/** Rounded to 1e-10 USD so that float noise does not show in the attribute. */
function round(n: number): number {
  return Math.round(n * 1e10) / 1e10;
}

function count(n: unknown): number | undefined {
  return typeof n === 'number' && Number.isFinite(n) && n >= 0 ? n : undefined;
}

/**
 * Parses an override table (JSON text). Entries replace or add to the defaults; a model mapped to
 * `null` removes it. Throws an Error naming the problem.
 */
export function parsePriceOverrides(text: string): Record<string, ModelPrice | null> {
  const parsed: unknown = JSON.parse(text);
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) throw new Error('the price table is not a JSON object');
  const out: Record<string, ModelPrice | null> = {};
  for (const [model, v] of Object.entries(parsed as Record<string, unknown>)) {
    if (v === null) {
      out[model.toLowerCase()] = null;
      continue;
    }
    const p = v as Record<string, unknown>;
    if (p === undefined || typeof p !== 'object' || !isPrice(p.input) || !isPrice(p.output)) {
      throw new Error(`price of ${JSON.stringify(model)} needs numeric "input" and "output" (USD per 1M tokens)`);
    }
    for (const k of ['cacheRead', 'cacheWrite'] as const) if (p[k] !== undefined && !isPrice(p[k])) throw new Error(`price of ${JSON.stringify(model)}: "${k}" is not a number`);
    out[model.toLowerCase()] = {
      input: p.input as number,
      output: p.output as number,
      ...(p.cacheRead !== undefined ? { cacheRead: p.cacheRead as number } : {}),
      ...(p.cacheWrite !== undefined ? { cacheWrite: p.cacheWrite as number } : {}),
    };
  }
  return out;
}

export function mergePrices(base: Readonly<PriceTable>, overrides: Record<string, ModelPrice | null> | undefined): PriceTable {
  const table: PriceTable = { ...base };
  for (const [model, price] of Object.entries(overrides ?? {})) {
    if (price === null) delete table[model];
    else table[model] = price;
  }
  return table;
}

function isPrice(v: unknown): boolean {
  return typeof v === 'number' && Number.isFinite(v) && v >= 0;
}
