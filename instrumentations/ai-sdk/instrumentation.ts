/**
 * Traces the Vercel AI SDK (`ai`): generateText, streamText, generateObject, streamObject, embed
 * and embedMany. Each call gets a span; its model requests and tool executions become spans under
 * it, through a per-call proxy of the model (see model.ts for why the model is the hook point). A
 * model given as a string id is resolved first (resolve.ts). `ToolLoopAgent` runs are agent spans
 * (agent.ts).
 *
 * The exports are replaced in place when the module object allows it (CommonJS objects, the ESM
 * namespace import-in-the-middle hands over); a CommonJS build whose exports are read-only
 * getters, or an ESM-only build loaded by `require()`, is answered with a copy that has the
 * wrapped functions. A version outside SUPPORTED_MAJORS gets one warning and is left as it is.
 */
import { InstrumentationBase, InstrumentationNodeModuleDefinition, isWrapped } from '@opentelemetry/instrumentation';
import { genAiOptions } from '../genai/base';
import { PACKAGE_VERSION } from '../../src/shared/version';
import { checkSupported } from '../genai/versions';
import { traceAgentCall } from './agent';
import { traceCall, type CallDeps } from './call';
import { defaultProvider } from './resolve';
import * as A from './semconv';
import type { AiModule, AiSdkInstrumentationConfig } from './types';

type AnyFn = (...args: any[]) => any; // eslint-disable-line @typescript-eslint/no-explicit-any

const WRAPPED = Symbol.for('agentops-otel.ai-sdk.wrapped');
const FUNCTIONS: readonly string[] = [...A.TEXT_FUNCTIONS, ...A.EMBED_FUNCTIONS];

export class AiSdkInstrumentation extends InstrumentationBase<AiSdkInstrumentationConfig> {
  constructor(config: AiSdkInstrumentationConfig = {}) {
    super(A.INSTRUMENTATION_NAME, PACKAGE_VERSION, config);
  }

  protected init(): InstrumentationNodeModuleDefinition[] {
    return [
      new InstrumentationNodeModuleDefinition(
        A.MODULE_NAME,
        ['*'],
        (exports: AiModule, version?: string) => (checkSupported(A.MODULE_NAME, version, A.SUPPORTED_MAJORS) ? this.patch(exports) : exports),
        () => undefined,
      ),
    ];
  }

  private deps(gateway: unknown): CallDeps {
    return {
      getTracer: () => this.tracer,
      get tracer() {
        return this.getTracer();
      },
      options: () => genAiOptions(this.getConfig()),
      provider: () => defaultProvider(gateway),
    };
  }

  /** `ToolLoopAgent`'s `generate` and `stream` (on its prototype: the class the app gets is unchanged). */
  private patchAgent(agentClass: unknown, deps: CallDeps): void {
    const proto = (agentClass as { prototype?: Record<string, unknown> } | undefined)?.prototype;
    if (typeof agentClass !== 'function' || proto === undefined || proto === null) return;
    for (const method of A.AGENT_METHODS) {
      if (typeof proto[method] !== 'function' || isWrapped(proto[method])) continue;
      this._wrap(
        proto as Record<string, AnyFn>,
        method,
        (original: AnyFn) =>
          function (this: unknown, ...args: unknown[]) {
            return traceAgentCall(deps, method, original, this as Parameters<typeof traceAgentCall>[3], args);
          },
      );
    }
  }

  /** The module with traced functions: the same object when it could be changed, else a copy. */
  patch(exports: AiModule): AiModule {
    if (exports === null || typeof exports !== 'object') return exports;
    const deps = this.deps(exports.gateway);
    this.patchAgent(exports[A.AGENT_CLASS], deps);
    const wrapped = new Map<string, AnyFn>();
    for (const name of FUNCTIONS) {
      const original = exports[name];
      if (typeof original !== 'function' || (original as { [WRAPPED]?: boolean })[WRAPPED] === true) continue;
      const fn = function (this: unknown, ...args: unknown[]) {
        return traceCall(deps, name, original as AnyFn, this, args);
      };
      Object.defineProperty(fn, WRAPPED, { value: true });
      Object.defineProperty(fn, 'name', { value: name });
      wrapped.set(name, fn);
    }
    if (wrapped.size === 0) return exports;
    let inPlace = true;
    for (const [name, fn] of wrapped) {
      try {
        exports[name] = fn;
      } catch {
        // a read-only getter or a module namespace
      }
      if (exports[name] !== fn) inPlace = false;
    }
    if (inPlace) return exports;
    const copy: AiModule = {};
    for (const key of Object.keys(exports)) copy[key] = wrapped.get(key) ?? exports[key];
    if ((exports as { __esModule?: unknown }).__esModule === true) Object.defineProperty(copy, '__esModule', { value: true });
    return copy;
  }
}
