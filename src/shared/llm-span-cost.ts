/**
 * The cost of an LLM event's span, read from the span's own GenAI attributes: the model (the
 * response model first, then the request model), the provider and the token counts. The export
 * engine prices these spans off the app's thread, so the app never waits for the price data
 * (about half a megabyte of JavaScript) to load; an instrumentation used without the engine
 * prices them when they are recorded. Both go through this one function.
 */
import type { Attributes, AttributeValue } from '@opentelemetry/api';
import { costUsd, NO_OVERRIDES, tokenCount, type PriceTable } from './prices';

export const ATTR_USAGE_COST = 'agentops.usage.cost_usd';
const ATTR_EVENT_TYPE = 'agentops.event.type';
const LLM_EVENT = 'llms';

/**
 * Adds `agentops.usage.cost_usd` to an LLM event's span that has a model and a token count but no
 * cost; any other span is left as it is. Never throws.
 */
export function addLlmSpanCost(attrs: Attributes, overrides: Readonly<PriceTable> = NO_OVERRIDES): void {
  if (attrs[ATTR_EVENT_TYPE] !== LLM_EVENT || attrs[ATTR_USAGE_COST] !== undefined) return;
  const model = text(attrs['gen_ai.request.model']);
  const usage = {
    inputTokens: tokenCount(attrs['gen_ai.usage.input_tokens']),
    outputTokens: tokenCount(attrs['gen_ai.usage.output_tokens']),
    cacheReadTokens: tokenCount(attrs['gen_ai.usage.cache_read.input_tokens']),
    cacheCreationTokens: tokenCount(attrs['gen_ai.usage.cache_creation.input_tokens']),
  };
  if (model === undefined || (usage.inputTokens === undefined && usage.outputTokens === undefined)) return;
  const provider = text(attrs['gen_ai.provider.name']);
  const response = text(attrs['gen_ai.response.model']);
  const cost = (response !== undefined ? costUsd(overrides, response, usage, provider) : undefined) ?? costUsd(overrides, model, usage, provider);
  if (cost !== undefined) attrs[ATTR_USAGE_COST] = cost;
}

function text(v: AttributeValue | undefined): string | undefined {
  return typeof v === 'string' && v !== '' ? v : undefined;
}
