import type { InstrumentationConfig } from '@opentelemetry/instrumentation';
import type { PriceTable } from '../../src/shared/prices';

export interface OpenAIInstrumentationConfig extends InstrumentationConfig {
  serviceName?: string;
  /** Prompts and completions on spans. Default true. */
  captureContent?: boolean;
  maxAttributeLength?: number;
  /** AGENTOPS_PRICE_TABLE overrides, before the built-in prices (src/shared/prices.ts). */
  prices?: Readonly<PriceTable>;
}

/** The parts of the SDK we touch, loosely typed: any version from v4 on. */
export interface OpenAIModule {
  OpenAI?: OpenAIClass;
  default?: OpenAIClass;
  /** v4.x (late) and later: Azure OpenAI's client, a subclass of OpenAI. */
  AzureOpenAI?: unknown;
}

export interface ResourceClass {
  prototype: Record<string, unknown>;
}

export interface OpenAIClass {
  Chat?: { Completions?: ResourceClass };
  Completions?: ResourceClass;
  Responses?: ResourceClass;
  Embeddings?: ResourceClass;
}

/** `this` of a resource method: the resource, whose `_client` holds the base URL. */
export interface ResourceThis {
  _client?: { baseURL?: string };
}
