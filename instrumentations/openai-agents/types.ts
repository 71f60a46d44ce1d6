import type { InstrumentationConfig } from '@opentelemetry/instrumentation';

export interface OpenAIAgentsInstrumentationConfig extends InstrumentationConfig {
  serviceName?: string;
  /** Tool arguments and results on spans. Default true. */
  captureContent?: boolean;
  maxAttributeLength?: number;
}

/** The agents-core tracing objects we read (`Trace`, `Span`), loosely typed. */
export interface AgentsTrace {
  traceId: string;
  name?: string;
  groupId?: string | null;
}

export interface AgentsSpanError {
  message: string;
  data?: Record<string, unknown>;
}

export interface AgentsSpan {
  traceId: string;
  spanId: string;
  parentId: string | null;
  spanData: { type: string; [key: string]: unknown };
  error: AgentsSpanError | null;
  startedAt: string | null;
  endedAt: string | null;
}

export interface AgentsTracingProcessor {
  onTraceStart(trace: AgentsTrace): Promise<void>;
  onTraceEnd(trace: AgentsTrace): Promise<void>;
  onSpanStart(span: AgentsSpan): Promise<void>;
  onSpanEnd(span: AgentsSpan): Promise<void>;
  shutdown(timeout?: number): Promise<void>;
  forceFlush(): Promise<void>;
}

export interface AgentsCoreModule {
  addTraceProcessor?: (p: AgentsTracingProcessor) => void;
  getGlobalTraceProvider?: () => { setProcessors?: (list: AgentsTracingProcessor[]) => void } | undefined;
}
