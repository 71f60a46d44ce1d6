/**
 * Traces LangChain.js (and LangGraph.js, which runs on the same callbacks) with no change to the
 * app: every callback manager LangChain configures for a run (`CallbackManager._configureSync`,
 * which `invoke`, `stream`, `batch` and LangGraph all go through) gets our handler as an
 * inheritable handler, so every nested run reports to it too. The handler is one per process,
 * shared by the CommonJS and ESM builds of @langchain/core (each build's manager is patched once).
 * LangGraph's prebuilt `createReactAgent` is wrapped so that its graphs' runs are agents.
 * A version outside SUPPORTED_MAJORS gets one warning and is left as it is.
 */
import { InstrumentationBase, InstrumentationNodeModuleDefinition, InstrumentationNodeModuleFile, isWrapped } from '@opentelemetry/instrumentation';
import { recorderDeps } from '../genai/base';
import { PACKAGE_VERSION } from '../../src/shared/version';
import { checkSupported } from '../genai/versions';
import { AgentOpsCallbackHandler } from './handler';
import { wrapCreateReactAgent } from './react-agent';
import * as L from './semconv';
import type { CallbackManagerLike, LangChainInstrumentationConfig, ManagerModule, PrebuiltModule } from './types';

type AnyFn = (...args: any[]) => any; // eslint-disable-line @typescript-eslint/no-explicit-any

const HANDLER_SLOT = Symbol.for('agentops-otel.langchain.handler');
/** Hooks on files of `module`: a version whose major is not in `majors` gets one warning and is left alone. */
function fileHooks<T>(module: string, files: string[], majors: readonly number[], patch: (exports: T) => void, unpatch: (exports: T) => void): InstrumentationNodeModuleFile[] {
  return files.map(
    (file) =>
      new InstrumentationNodeModuleFile(
        `${module}/${file}`,
        ['*'],
        (exports: T, version?: string) => {
          if (checkSupported(module, version, majors)) patch(exports);
          return exports;
        },
        (exports: T) => unpatch(exports),
      ),
  );
}

/** Module state: InstrumentationBase calls enable() from its constructor, before fields exist. */
let enabled = false;

export class LangChainInstrumentation extends InstrumentationBase<LangChainInstrumentationConfig> {
  constructor(config: LangChainInstrumentationConfig = {}) {
    super(L.INSTRUMENTATION_NAME, PACKAGE_VERSION, config);
  }

  protected init(): InstrumentationNodeModuleDefinition[] {
    return [
      new InstrumentationNodeModuleDefinition(
        L.MODULE_NAME,
        ['*'],
        undefined,
        undefined,
        fileHooks(
          L.MODULE_NAME,
          L.MANAGER_FILES,
          L.SUPPORTED_MAJORS,
          (e: ManagerModule) => this.patch(e),
          (e: ManagerModule) => this.unpatch(e),
        ),
      ),
      new InstrumentationNodeModuleDefinition(
        L.LANGGRAPH_MODULE,
        ['*'],
        undefined,
        undefined,
        fileHooks(
          L.LANGGRAPH_MODULE,
          L.PREBUILT_FILES,
          L.LANGGRAPH_SUPPORTED_MAJORS,
          (e: PrebuiltModule) => this.patchPrebuilt(e),
          (e: PrebuiltModule) => {
            if (isWrapped(e?.createReactAgent)) this._unwrap(e as Record<string, AnyFn>, 'createReactAgent');
          },
        ),
      ),
    ];
  }

  /** LangGraph's prebuilt `createReactAgent`: its graphs' runs become agents (react-agent.ts). */
  patchPrebuilt(exports: PrebuiltModule): void {
    if (typeof exports?.createReactAgent !== 'function' || isWrapped(exports.createReactAgent)) return;
    this._wrap(exports as Record<string, AnyFn>, 'createReactAgent', (original: AnyFn) => wrapCreateReactAgent(original));
  }

  override enable(): void {
    enabled = true;
    super.enable();
  }

  override disable(): void {
    enabled = false;
    super.disable();
  }

  /** The process's handler, created on first use. */
  handler(): AgentOpsCallbackHandler {
    const slot = globalThis as unknown as Record<symbol, AgentOpsCallbackHandler | undefined>;
    let h = slot[HANDLER_SLOT];
    if (h === undefined) {
      const deps = recorderDeps(
        () => this.tracer,
        () => this.getConfig(),
      );
      h = new AgentOpsCallbackHandler({
        get tracer() {
          return deps.tracer;
        },
        options: () => deps.options(),
        enabled: () => enabled,
      });
      Object.defineProperty(slot, HANDLER_SLOT, { value: h, configurable: true, enumerable: false, writable: true });
    }
    return h;
  }

  patch(exports: ManagerModule): void {
    const manager = exports?.CallbackManager;
    if (manager === undefined || typeof manager._configureSync !== 'function' || isWrapped(manager._configureSync)) return;
    const handler = this.handler();
    this._wrap(
      manager as unknown as Record<string, AnyFn>,
      '_configureSync',
      (original: AnyFn) =>
        function _configureSync(this: new () => CallbackManagerLike, ...args: unknown[]) {
          let configured = original.apply(this, args) as CallbackManagerLike | undefined;
          try {
            if (configured === undefined) configured = new this();
            if (!configured.handlers?.some((h) => h.name === handler.name)) configured.addHandler?.(handler, true);
          } catch {
            // a manager of a shape we do not know: left as LangChain made it
          }
          return configured;
        },
    );
  }

  unpatch(exports: ManagerModule): void {
    const manager = exports?.CallbackManager;
    if (manager !== undefined && isWrapped(manager._configureSync)) this._unwrap(manager as unknown as Record<string, AnyFn>, '_configureSync');
  }
}
