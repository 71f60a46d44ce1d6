import type { InstrumentationConfig } from '@opentelemetry/instrumentation';
import type { PriceTable } from '../../src/shared/prices';

export interface AgentOpsInstrumentationConfig extends InstrumentationConfig {
  /** Copied onto every span as `service.name` (it is also on the Resource). */
  serviceName?: string;
  /** Record params, returns, prompts, completions, logs. Default true. */
  captureContent?: boolean;
  /** Longest text attribute before truncation. Default 16384. */
  maxAttributeLength?: number;
  /** AGENTOPS_PRICE_TABLE overrides, for LLMEvents recorded with tokens and no cost. */
  prices?: Readonly<PriceTable>;
  /**
   * Leave LLM events' cost to the export engine, which prices their spans off the app's thread
   * (the preload sets it). Without the engine, nothing would price them.
   * @default false
   */
  costInExport?: boolean;
}
