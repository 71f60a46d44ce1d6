import type { InstrumentationConfig } from '@opentelemetry/instrumentation';

export interface AgentOpsInstrumentationConfig extends InstrumentationConfig {
  /** Copied onto every span as `service.name` (it is also on the Resource). */
  serviceName?: string;
  /** Record params, returns, prompts, completions, logs. Default true. */
  captureContent?: boolean;
  /** Longest text attribute before truncation. Default 16384. */
  maxAttributeLength?: number;
}
