/**
 * Patching of an MCP `Protocol` class (the base of `Client` and `Server`), shared by the
 * instrumentation of `@modelcontextprotocol/sdk` 1.x and that of the v2 packages
 * (`@modelcontextprotocol/client`, `@modelcontextprotocol/server`): the sending method is traced
 * by client.ts, `_onrequest` (the receiving side) by server.ts. Only where the sending method is,
 * and its name, differ between the two.
 */
import { InstrumentationBase, isWrapped } from '@opentelemetry/instrumentation';
import { contentOptions } from '../../src/config/defaults';
import { logger } from '../../src/shared/logger';
import { PACKAGE_VERSION } from '../../src/shared/version';
import { traceRequest, type McpDeps } from './client';
import { dispatchRequest } from './server';
import type { McpInstrumentationConfig, ProtocolModule, ProtocolThis } from './types';

type AnyFn = (...args: any[]) => any; // eslint-disable-line @typescript-eslint/no-explicit-any
type Wrapper = (original: AnyFn) => AnyFn;

/** What is patched of a `Protocol`: its sending method, and where that method takes the request. */
export interface ProtocolShape {
  /** `request` in 1.x; the request funnel every send goes through in v2. */
  send: string;
  /** The position of the JSON-RPC request among the sending method's arguments. */
  requestIndex: number;
}

/** What the instrumentation lends the patch: its shimmer wrap, whether it is on, its tracer and options. */
interface PatchHost {
  wrap(target: Record<string, AnyFn>, name: string, wrapper: Wrapper): void;
  unwrap(target: Record<string, AnyFn>, name: string): void;
  isEnabled(): boolean;
  deps: McpDeps;
}

const RECEIVE = '_onrequest';

/** Versions already warned about, per package, per process. */
const warned = new Set<string>();

/** One warning per package and version: that version runs untouched. */
export function warnUnsupported(moduleName: string, version: string | undefined, supported: string): void {
  const v = version ?? 'unknown';
  if (warned.has(`${moduleName}@${v}`)) return;
  warned.add(`${moduleName}@${v}`);
  logger.warn(`${moduleName} ${v} is not a supported version (supported: ${supported}); its MCP calls are not traced and run untouched`, { module: moduleName, version: v });
}

/** Patches the `Protocol` class of the module given, once; a class without the methods is warned about and left alone. */
function patchProtocol(host: PatchHost, exports: ProtocolModule, shape: ProtocolShape, moduleName: string): void {
  const proto = exports?.Protocol?.prototype;
  if (proto === undefined || proto === null) return;
  const methods = [shape.send, RECEIVE];
  const missing = methods.filter((m) => typeof proto[m] !== 'function');
  if (missing.length > 0) {
    logger.warn(`${moduleName}: Protocol has no ${missing.join(', ')}; its MCP calls are not traced and run untouched`, { module: moduleName });
    return;
  }
  if (methods.some((m) => isWrapped(proto[m]))) return;
  const target = proto as Record<string, AnyFn>;
  const { deps } = host;
  host.wrap(
    target,
    shape.send,
    (original) =>
      function (this: ProtocolThis, ...args: unknown[]) {
        return host.isEnabled() ? traceRequest(deps, this, original, args, shape.requestIndex) : original.apply(this, args);
      },
  );
  host.wrap(
    target,
    RECEIVE,
    (original) =>
      function _onrequest(this: ProtocolThis, ...args: unknown[]) {
        return host.isEnabled() ? dispatchRequest(deps, this, original, args) : original.apply(this, args);
      },
  );
}

function unpatchProtocol(host: PatchHost, exports: ProtocolModule, shape: ProtocolShape): void {
  const proto = exports?.Protocol?.prototype;
  if (proto === undefined || proto === null) return;
  for (const m of [shape.send, RECEIVE]) if (isWrapped(proto[m])) host.unwrap(proto as Record<string, AnyFn>, m);
}

/** The base of the MCP instrumentations: one per SDK generation, each saying where its `Protocol` sends. */
export abstract class ProtocolInstrumentation extends InstrumentationBase<McpInstrumentationConfig> {
  constructor(name: string, config: McpInstrumentationConfig) {
    super(name, PACKAGE_VERSION, config);
  }

  /** A method, not a field: `InstrumentationBase`'s constructor already runs `init()`. */
  protected abstract shape(): ProtocolShape;

  /** Patches the `Protocol` class of the module given (loaded from `moduleName`). */
  patch(exports: ProtocolModule, moduleName: string): void {
    patchProtocol(this.host(), exports, this.shape(), moduleName);
  }

  unpatch(exports: ProtocolModule): void {
    unpatchProtocol(this.host(), exports, this.shape());
  }

  private host(): PatchHost {
    return {
      wrap: (target, name, wrapper) => this._wrap(target, name, wrapper),
      unwrap: (target, name) => this._unwrap(target, name),
      isEnabled: () => this.isEnabled(),
      deps: { tracer: () => this.tracer, mapping: () => contentOptions(this.getConfig()) },
    };
  }
}
