/** AGENTOPS_PRICE_TABLE: the user's LLM prices, read by the instrumentations and the export engine alike. */
import * as fs from 'node:fs';
import { NO_OVERRIDES, parsePriceOverrides, type PriceTable } from '../shared/prices';
import { ConfigError } from './errors';
import type { ConfigSource } from './source';

/** The overrides (none when unset); a malformed value is reported in `errors` and ignored. */
export function readPriceTable(src: ConfigSource, errors: ConfigError[]): Readonly<PriceTable> {
  const raw = src.get('AGENTOPS_PRICE_TABLE');
  if (raw === undefined) return NO_OVERRIDES;
  try {
    const text = raw.trim().startsWith('{') ? raw : fs.readFileSync(raw.trim(), 'utf8');
    return parsePriceOverrides(text);
  } catch (err) {
    errors.push(
      new ConfigError(
        'AGENTOPS_PRICE_TABLE',
        `${(err as Error).message}; only the built-in prices are used`,
        'a JSON file path or inline JSON {"model": {"input": 2.5, "output": 10}} in USD per 1M tokens',
      ),
    );
    return NO_OVERRIDES;
  }
}
