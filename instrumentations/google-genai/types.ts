import type { InstrumentationConfig } from '@opentelemetry/instrumentation';
import type { PriceTable } from '../../src/shared/prices';

export interface GoogleGenAIInstrumentationConfig extends InstrumentationConfig {
  serviceName?: string;
  /** Prompts and completions on spans. Default true. */
  captureContent?: boolean;
  maxAttributeLength?: number;
  /** AGENTOPS_PRICE_TABLE overrides, before the built-in prices (src/shared/prices.ts). */
  prices?: Readonly<PriceTable>;
}

/** The parts of the SDK we touch, loosely typed: any version from 1.0 on. */
export interface GoogleGenAIModule {
  Models?: { prototype: object };
}

/** The `ApiClient` a `Models` instance holds: which backend, and where it sends requests. */
export interface ApiClientLike {
  isVertexAI?: () => boolean;
  getBaseUrl?: () => string;
}

/** `this` of the `Models` methods (and what their closures capture). */
export interface ModelsThis {
  apiClient?: ApiClientLike;
}

/** The methods traced, each one call and one span. */
export type ModelsMethod = 'generateContent' | 'generateContentStream' | 'embedContent';
