/**
 * Which instrumentations the preload loads, and the LLM settings they share.
 *
 * - AGENTOPS_INSTRUMENTATIONS_ENABLED / AGENTOPS_INSTRUMENTATIONS_DISABLED (falling back to
 *   OTEL_NODE_ENABLED_INSTRUMENTATIONS / OTEL_NODE_DISABLED_INSTRUMENTATIONS): comma-separated
 *   names (agentops, openai, anthropic, openai-agents, google-genai, aws-bedrock, mcp, ai-sdk, langchain). Enabled defaults to all; disabled wins.
 *   An unknown name is reported and ignored.
 * - AGENTOPS_PRICE_TABLE: price overrides, a JSON file path or inline JSON, before the built-in
 *   source (@pydantic/genai-prices).
 * - AGENTOPS_AUTO_SESSION: see instrumentations/genai/auto-session.ts.
 */
import type { PriceTable } from '../src/shared/prices';
import { readPriceTable } from '../src/config/price-table';
import { readAutoSessionMode, type AutoSessionMode } from './genai/auto-session';
import { ConfigError } from '../src/config/errors';
import { readList } from '../src/config/parse';
import type { ConfigSource } from '../src/config/source';

export interface InstrumentationConfig {
  /** Names to load, in the registry's order. */
  enabled: string[];
  /** AGENTOPS_PRICE_TABLE overrides (none when unset or malformed). */
  prices: Readonly<PriceTable>;
  autoSession: AutoSessionMode;
}

export function readInstrumentationConfig(src: ConfigSource, known: readonly string[]): { config: InstrumentationConfig; errors: ConfigError[] } {
  const errors: ConfigError[] = [];
  const pick = (ours: string, otel: string): string => (src.get(ours) !== undefined ? ours : otel);
  const enabledVar = pick('AGENTOPS_INSTRUMENTATIONS_ENABLED', 'OTEL_NODE_ENABLED_INSTRUMENTATIONS');
  const disabledVar = pick('AGENTOPS_INSTRUMENTATIONS_DISABLED', 'OTEL_NODE_DISABLED_INSTRUMENTATIONS');
  const names = (variable: string, def: string[]): string[] => {
    const list = readList(src, variable, def).map((n) => n.toLowerCase().replace(/^@opentelemetry\/instrumentation-/, ''));
    const unknown = list.filter((n) => !known.includes(n) && n !== 'all' && n !== 'none');
    if (unknown.length > 0) {
      errors.push(new ConfigError(variable, `unknown instrumentation ${unknown.map((n) => JSON.stringify(n)).join(', ')} (ignored)`, `a comma-separated list of ${known.join(', ')}`));
    }
    if (list.includes('none')) return [];
    if (list.includes('all')) return [...known];
    return list;
  };
  const on = new Set(names(enabledVar, [...known]));
  const off = new Set(names(disabledVar, []));
  const enabled = known.filter((n) => on.has(n) && !off.has(n));

  const prices = readPriceTable(src, errors);

  let autoSession: AutoSessionMode = 'off';
  try {
    autoSession = readAutoSessionMode(src);
  } catch (err) {
    if (err instanceof ConfigError) errors.push(err);
    else throw err;
  }
  return { config: { enabled, prices, autoSession }, errors };
}
