import type { InstrumentationConfig } from '@opentelemetry/instrumentation';
import type { PriceTable } from '../../src/shared/prices';

export interface BedrockInstrumentationConfig extends InstrumentationConfig {
  serviceName?: string;
  captureContent?: boolean;
  maxAttributeLength?: number;
  prices?: Readonly<PriceTable>;
}

type Ctor = abstract new (...args: never[]) => unknown;

export interface BedrockModule {
  BedrockRuntimeClient?: { prototype: Record<string, unknown> };
  ConverseCommand?: Ctor;
  ConverseStreamCommand?: Ctor;
  InvokeModelCommand?: Ctor;
  InvokeModelWithResponseStreamCommand?: Ctor;
}

/** `this` of `send`: the client, whose resolved `config` holds the endpoint and Region providers. */
export interface ClientThis {
  config?: unknown;
}

/** The family of an InvokeModel body, which decides how its JSON is read. */
export type BodyFamily = 'anthropic' | 'nova' | 'llama' | 'other';
