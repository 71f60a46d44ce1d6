/**
 * The instrumentations the preload can load, by name. `AGENTOPS_INSTRUMENTATIONS_ENABLED` /
 * `_DISABLED` (or OTEL_NODE_ENABLED_INSTRUMENTATIONS / OTEL_NODE_DISABLED_INSTRUMENTATIONS)
 * choose among them.
 */
import type { Instrumentation } from '@opentelemetry/instrumentation';
import { AgentOpsInstrumentation } from './agentops/instrumentation';

export interface InstrumentationOptions {
  serviceName: string;
  captureContent: boolean;
  maxAttributeLength: number;
}

export interface InstrumentationEntry {
  name: string;
  create(options: InstrumentationOptions): Instrumentation;
}

export const INSTRUMENTATIONS: InstrumentationEntry[] = [{ name: 'agentops', create: (o) => new AgentOpsInstrumentation(o) }];

export { AgentOpsInstrumentation };
