import type { InstrumentationConfig } from '@opentelemetry/instrumentation';
import type { PriceTable } from '../../src/shared/prices';

export interface AiSdkInstrumentationConfig extends InstrumentationConfig {
  serviceName?: string;
  captureContent?: boolean;
  maxAttributeLength?: number;
  prices?: Readonly<PriceTable>;
}

type AnyFn = (...args: any[]) => any; // eslint-disable-line @typescript-eslint/no-explicit-any

/** The `ai` module: its exports are read loosely (any version). */
export type AiModule = Record<string, unknown>;

/** A LanguageModel (specification v2 to v4) or EmbeddingModel object, as the SDK calls it. */
export interface ModelLike {
  specificationVersion?: string;
  provider?: string;
  modelId?: string;
  doGenerate?: AnyFn;
  doStream?: AnyFn;
  doEmbed?: AnyFn;
}

export interface ToolLike {
  execute?: AnyFn;
  [key: string]: unknown;
}

/** The options object every traced function takes. */
export interface CallOptions {
  model?: unknown;
  tools?: Record<string, ToolLike>;
  onFinish?: AnyFn;
  onEnd?: AnyFn;
  onAbort?: AnyFn;
  [key: string]: unknown;
}
