/**
 * Arbitrary app values (params, returns, prompts) as bounded JSON text for span attributes,
 * through the one safe-value walk with a budget: a 10 MB value costs what its first `max`
 * characters cost.
 */
import { safeValue } from './safe-value';

const TRUNCATED = '…[truncated]';
const MAX_DEPTH = 32;
const MAX_ITEMS = 1000;

/** Cuts `text` to at most `max` characters without splitting a surrogate pair, marking the cut. */
export function truncateText(text: string, max: number): string {
  if (text.length <= max) return text;
  let end = Math.max(0, max - TRUNCATED.length);
  const code = text.charCodeAt(end - 1);
  if (code >= 0xd800 && code <= 0xdbff) end--;
  return text.slice(0, end) + TRUNCATED;
}

/** Strings stay as they are (cut to `max`); everything else becomes compact JSON text. */
export function toAttributeText(value: unknown, max: number): string {
  if (typeof value === 'string') return truncateText(value, max);
  return safeJson(value, max);
}

/** JSON text of `value`, at most `max` characters; never throws. */
export function safeJson(value: unknown, max: number): string {
  let out: string;
  try {
    out = JSON.stringify(safeValue(value, { maxStringLength: max, maxDepth: MAX_DEPTH, maxKeyLength: max, maxItems: MAX_ITEMS, budget: max })) ?? 'null';
  } catch {
    return '"[unserializable]"';
  }
  return out.length > max ? truncateText(out, max) : out;
}
