import type { InstrumentationConfig } from '@opentelemetry/instrumentation';
import type { PriceTable } from '../../src/shared/prices';

export interface AnthropicInstrumentationConfig extends InstrumentationConfig {
  serviceName?: string;
  captureContent?: boolean;
  maxAttributeLength?: number;
  prices?: Readonly<PriceTable>;
}

export interface AnthropicModule {
  Anthropic?: AnthropicClass;
  default?: AnthropicClass;
}

export interface AnthropicClass {
  Messages?: { prototype: Record<string, unknown> };
}

/** `this` of `Messages` methods: the resource, whose `_client` holds the base URL (and, from 1.x, the SDK's own tracer). */
export interface MessagesThis {
  _client?: { baseURL?: string; _tracer?: unknown };
}
