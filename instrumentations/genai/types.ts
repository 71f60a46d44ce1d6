import type { EventAttributeValue } from '../../src/client';
import type { InputContent, OutputMessage } from './messages';
import type { PriceTable, TokenUsage } from '../../src/shared/prices';
import type { ContentOptions } from '../../src/config/defaults';

/** What every LLM instrumentation needs from the preload's configuration. */
export interface GenAiOptions extends ContentOptions {
  /** AGENTOPS_PRICE_TABLE overrides, before the built-in source. */
  prices: Readonly<PriceTable>;
}

export type AttributeMap = Record<string, EventAttributeValue | undefined>;

/** One LLM call as known when it starts. */
export interface LlmRequest {
  provider: string;
  /** `chat`, `embeddings`, ... */
  operation: string;
  requestModel: string | undefined;
  /** Request parameters and server: never content. */
  attributes: AttributeMap;
  /** The prompt (messages, input): content, dropped when capture is off. */
  prompt?: unknown;
  /** The prompt as the conventions' structured messages; called only when content is captured. */
  content?: () => InputContent;
  streaming: boolean;
  /**
   * Names to price the call by, tried in order, instead of the response and request models: for a
   * provider whose model ids are not the price source's names. Empty: no cost.
   */
  priceModels?: string[];
}

/** How the call turned out, from the provider's response or its final stream events. */
export interface LlmOutcome {
  responseModel?: string;
  responseId?: string;
  finishReasons?: string[];
  usage: TokenUsage;
  /** The completion (messages, text, tool calls): content, dropped when capture is off. */
  completion?: unknown;
  /** The completion as the conventions' output messages; called only when content is captured. */
  output?: () => OutputMessage[];
  /** More non-content attributes (e.g. `gen_ai.embeddings.dimension.count`). */
  attributes?: AttributeMap;
}

/** How a stream ended: read to its end, left early (`break`, `return`, abort), or failed. */
export type StreamEnd = 'done' | 'abandoned' | 'error';
