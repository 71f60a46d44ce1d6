/**
 * Traces @openai/agents runs through the SDK's own tracing API: a processor added with
 * `addTraceProcessor` (kept when the app calls `setTraceProcessors`). agents-core keeps its trace
 * provider and its AsyncLocalStorage on `globalThis`, shared by its CommonJS and ESM builds, so one
 * processor serves both; it is registered once per process.
 */
import { InstrumentationBase, InstrumentationNodeModuleDefinition } from '@opentelemetry/instrumentation';
import { addParentResolver } from '../genai/recorder';
import { AgentOpsTracingProcessor } from './processor';
import * as G from './semconv';
import type { AgentsCoreModule, AgentsSpan, AgentsTracingProcessor, OpenAIAgentsInstrumentationConfig } from './types';
import { PACKAGE_VERSION } from '../../src/shared/version';
import { contentOptions } from '../../src/config/defaults';

type GlobalSlot = Record<symbol, unknown>;
const WRAPPED_SET = Symbol.for('agentops-otel.openai-agents.setProcessors');

/** Module state: InstrumentationBase calls enable() from its constructor, before fields exist. */
let enabled = false;

export class OpenAIAgentsInstrumentation extends InstrumentationBase<OpenAIAgentsInstrumentationConfig> {
  constructor(config: OpenAIAgentsInstrumentationConfig = {}) {
    super(G.INSTRUMENTATION_NAME, PACKAGE_VERSION, config);
  }

  protected init(): InstrumentationNodeModuleDefinition[] {
    return [
      new InstrumentationNodeModuleDefinition(
        G.MODULE_NAME,
        G.SUPPORTED_VERSIONS,
        (exports: AgentsCoreModule) => {
          this.register(exports);
          return exports;
        },
        () => undefined,
      ),
    ];
  }

  override enable(): void {
    enabled = true;
    super.enable();
  }

  override disable(): void {
    enabled = false;
    super.disable();
  }

  /** The process's processor, created on first use. */
  processor(): AgentOpsTracingProcessor {
    const slot = globalThis as unknown as GlobalSlot;
    let p = slot[G.PROCESSOR_SYMBOL] as AgentOpsTracingProcessor | undefined;
    if (p === undefined) {
      p = new AgentOpsTracingProcessor({
        tracer: () => this.tracer,
        mapping: () => contentOptions(this.getConfig()),
        enabled: () => enabled,
      });
      Object.defineProperty(slot, G.PROCESSOR_SYMBOL, { value: p, configurable: true, enumerable: false, writable: true });
      const processor = p;
      addParentResolver(() => {
        const store = (slot[G.AGENTS_ALS_SYMBOL] as { getStore(): { active?: boolean; span?: AgentsSpan | null } | undefined } | undefined)?.getStore();
        return store?.active === true ? processor.resolveParent(store.span) : undefined;
      });
    }
    return p;
  }

  /** Adds the processor to agents-core's global provider, once; keeps it there across `setTraceProcessors`. */
  register(exports: AgentsCoreModule): void {
    try {
      const processor = this.processor();
      const provider = exports?.getGlobalTraceProvider?.() as (Record<symbol, unknown> & { setProcessors?: (l: AgentsTracingProcessor[]) => void; registerProcessor?: unknown }) | undefined;
      if (provider === undefined || typeof exports.addTraceProcessor !== 'function') return;
      if (provider[WRAPPED_SET] === true) return;
      Object.defineProperty(provider, WRAPPED_SET, { value: true, enumerable: false, configurable: true });
      exports.addTraceProcessor(processor);
      const setProcessors = provider.setProcessors;
      if (typeof setProcessors === 'function') {
        provider.setProcessors = function (this: unknown, list: AgentsTracingProcessor[]) {
          const next = Array.isArray(list) && !list.includes(processor) ? [...list, processor] : list;
          return setProcessors.call(this, next);
        };
      }
    } catch (err) {
      this._diag.warn(`could not add the agentops tracing processor to @openai/agents: ${String(err)}`);
    }
  }
}
