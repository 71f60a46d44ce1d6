/**
 * The cost behind `agentops.usage.cost_usd`, in US dollars.
 *
 * Prices come from the maintained data of `@pydantic/genai-prices` (./price-source.ts), matched by
 * provider and model name as that package matches them (dated snapshots included). The user's
 * AGENTOPS_PRICE_TABLE comes first: a JSON file path or inline JSON of
 * `{ "model": { "input": n, "output": n, "cacheRead"?: n, "cacheWrite"?: n } }` in USD per million
 * tokens, where `null` takes a model's price away. A model neither knows has no cost: never guessed.
 */
import { logger } from './logger';
import { sourceCostUsd } from './price-source';

export interface ModelPrice {
  /** USD per 1M input tokens not read from or written to the prompt cache. */
  input: number;
  /** USD per 1M output tokens. */
  output: number;
  /** USD per 1M input tokens read from the prompt cache; `input` when absent. */
  cacheRead?: number;
  /** USD per 1M input tokens written to the prompt cache; `input` when absent. */
  cacheWrite?: number;
}

/** AGENTOPS_PRICE_TABLE: model name (lower case) → its price, or null for "no cost". */
export type PriceTable = Record<string, ModelPrice | null>;

export const NO_OVERRIDES: Readonly<PriceTable> = Object.freeze({});

const DATED_SUFFIX = /-(?:\d{4}-\d{2}-\d{2}|\d{8})$/;

/**
 * The override for `model`: exact (case-insensitive), else the name without a date suffix or
 * `-latest`. `null`: the model is taken out; undefined: no override.
 */
export function findOverride(table: Readonly<PriceTable>, model: string | undefined): ModelPrice | null | undefined {
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

/**
 * Cost in USD of `usage` on `model` (served by `provider`, a `gen_ai.provider.name`, when known),
 * or undefined when the model has no price or no token count is known.
 */
export function costUsd(overrides: Readonly<PriceTable>, model: string | undefined, usage: TokenUsage, provider?: string): number | undefined {
  if (typeof model !== 'string' || model.trim() === '') return undefined;
  const input = tokenCount(usage.inputTokens);
  const output = tokenCount(usage.outputTokens);
  if (input === undefined && output === undefined) return undefined;
  // Cache counts are parts of the input: never more than it (a provider's odd report is clamped).
  const cacheRead = Math.min(tokenCount(usage.cacheReadTokens) ?? 0, input ?? 0);
  const cacheWrite = Math.min(tokenCount(usage.cacheCreationTokens) ?? 0, (input ?? 0) - cacheRead);
  const u = { input: input ?? 0, output: output ?? 0, cacheRead, cacheWrite };
  const override = hasEntries(overrides) ? findOverride(overrides, model) : undefined;
  if (override === null) return undefined;
  if (override !== undefined) {
    const plain = u.input - cacheRead - cacheWrite;
    return round((plain * override.input + cacheRead * (override.cacheRead ?? override.input) + cacheWrite * (override.cacheWrite ?? override.input) + u.output * override.output) / 1e6);
  }
  try {
    const cost = sourceCostUsd(provider, model.trim(), u);
    return cost !== undefined && Number.isFinite(cost) && cost >= 0 ? round(cost) : undefined;
  } catch (err) {
    logger.limited('warn', 'price-source-calc', `pricing ${JSON.stringify(model.slice(0, 100))} failed; the call gets no cost`, { error: err });
    return undefined;
  }
}

function hasEntries(table: Readonly<PriceTable>): boolean {
  for (const _ in table) return true;
  return false;
}

/** Rounded to 1e-10 USD so that float noise does not show in the attribute. */
function round(n: number): number {
  return Math.round(n * 1e10) / 1e10;
}

/** A token count as pricing takes it: a finite number, not negative; anything else is no count. */
export function tokenCount(n: unknown): number | undefined {
  return typeof n === 'number' && Number.isFinite(n) && n >= 0 ? n : undefined;
}

/**
 * Parses AGENTOPS_PRICE_TABLE (JSON text). Entries replace the source's price of a model, or add
 * one; a model mapped to `null` gets no cost. Throws an Error naming the problem.
 */
export function parsePriceOverrides(text: string): PriceTable {
  const parsed: unknown = JSON.parse(text);
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) throw new Error('the price table is not a JSON object');
  // No prototype: a model named __proto__ is an entry like any other.
  const out = Object.create(null) as PriceTable;
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

function isPrice(v: unknown): boolean {
  return typeof v === 'number' && Number.isFinite(v) && v >= 0;
}
