/**
 * Adds tracing to the AgentOps client. The client bundled with the preload calls the hook this
 * instrumentation registers (src/client/hooks.ts); another installed copy of the package (the
 * app's own node_modules, a module of its own) has its classes patched instead, each patch calling
 * the same hook after (or around) the original. What tracing does at each point is in
 * session-tracing.ts.
 */
import { InstrumentationBase, InstrumentationNodeModuleDefinition, isWrapped } from '@opentelemetry/instrumentation';
import { Client, type Agent, type Event, type Session } from '../../src/client';
import { clientScope } from '../../src/client/context';
import { registerClientHooks, unregisterClientHooks, type ClientHooks } from '../../src/client/hooks';
import { contentOptions } from '../../src/config/defaults';
import { PACKAGE_VERSION } from '../../src/shared/version';
import { bindEmitterListeners, unbindEmitterListeners } from './emitter-context';
import type { FinishedSpanSink } from './finished-span';
import { states } from './session-states';
import { SessionTracing } from './session-tracing';
import type { AgentOpsInstrumentationConfig } from './types';
import type * as U from './utils';

const PACKAGE_NAME = 'agentops-otel';
const VERSION: string = PACKAGE_VERSION;

interface ClientModule {
  Client: { prototype: Client };
  Session: { prototype: Session };
  Agent: { prototype: Agent };
}

type AnyFn = (...args: any[]) => any; // eslint-disable-line @typescript-eslint/no-explicit-any

/**
 * Each instrumentation's hook, made on first use: InstrumentationBase calls enable() from its
 * constructor, before subclass fields are initialised.
 */
const hooksOf = new WeakMap<AgentOpsInstrumentation, SessionTracing>();

export class AgentOpsInstrumentation extends InstrumentationBase<AgentOpsInstrumentationConfig> {
  constructor(config: AgentOpsInstrumentationConfig = {}) {
    super(`${PACKAGE_NAME}/instrumentation-agentops`, VERSION, config);
  }

  /** Another copy of the package, when the app requires one, is patched. */
  protected init(): InstrumentationNodeModuleDefinition[] {
    return [
      new InstrumentationNodeModuleDefinition(
        PACKAGE_NAME,
        ['*'],
        (exports: ClientModule) => {
          this.patchCopy(exports);
          return exports;
        },
        (exports: ClientModule) => this.unpatchCopy(exports),
      ),
    ];
  }

  override enable(): void {
    super.enable();
    registerClientHooks(this.hooks());
    bindEmitterListeners(() => clientScope.getStore() !== undefined);
  }

  override disable(): void {
    super.disable();
    unregisterClientHooks(this.hooks());
    unbindEmitterListeners();
  }

  /** Sessions that have not ended; the preload ends them at exit. */
  openSessions(): Session[] {
    return [...states.keys()];
  }

  /** The preload's hand-off, taking recorded events' spans whole (see finished-span.ts). */
  setFinishedSpanSink(sink: FinishedSpanSink | undefined): void {
    this.hooks().finishedSink = sink;
  }

  private hooks(): SessionTracing {
    let hooks = hooksOf.get(this);
    if (hooks === undefined) {
      hooks = new SessionTracing(
        () => this.tracer,
        () => this.options(),
      );
      hooksOf.set(this, hooks);
    }
    return hooks;
  }

  /** Computed on first use, after construction (see the note on `states`), and again after setConfig. */
  private mapping: U.MappingOptions | undefined;

  override setConfig(config: AgentOpsInstrumentationConfig = {}): void {
    super.setConfig(config);
    this.mapping = undefined;
  }

  private options(): U.MappingOptions {
    if (this.mapping === undefined) {
      const c = this.getConfig();
      this.mapping = { ...contentOptions(c), prices: c.prices, costInExport: c.costInExport === true };
    }
    return this.mapping;
  }

  /**
   * The classes of another copy of the client, patched to call the hook at the points where the
   * bundled client calls it. The bundled client itself (what the app gets when `agentops-otel`
   * resolves to the preload's own package) is never patched: it calls the hook.
   */
  private patchCopy(mod: ClientModule): void {
    if (mod?.Client?.prototype === undefined || mod.Session?.prototype === undefined || mod.Agent?.prototype === undefined) return;
    if (mod.Client === Client || isWrapped(mod.Session.prototype.record)) return;
    const hooks: ClientHooks = this.hooks();
    this.wrapMethod(
      mod.Client.prototype,
      'startSession',
      (original: AnyFn) =>
        function startSession(this: Client, ...args: unknown[]) {
          const session = original.apply(this, args) as Session;
          hooks.sessionStarted(session);
          return session;
        },
    );
    this.wrapMethod(
      mod.Session.prototype,
      'createAgent',
      (original: AnyFn) =>
        function createAgent(this: Session, ...args: unknown[]) {
          const agent = original.apply(this, args) as Agent;
          hooks.agentCreated(this, agent);
          return agent;
        },
    );
    this.wrapMethod(
      mod.Session.prototype,
      'record',
      (original: AnyFn) =>
        function record(this: Session, ...args: unknown[]) {
          const event = original.apply(this, args) as Event | undefined;
          if (event !== undefined) hooks.eventRecorded(this, event);
          return event;
        },
    );
    this.wrapMethod(
      mod.Session.prototype,
      'runEvent',
      (original: AnyFn) =>
        function runEvent(this: Session, event: Event, fn: () => unknown) {
          const session = this;
          return original.call(this, event, function runEventBody(this: unknown) {
            return hooks.runEventBody(session, event, () => fn.call(this));
          });
        },
    );
    this.wrapMethod(
      mod.Session.prototype,
      'run',
      (original: AnyFn) =>
        function run(this: Session, fn: () => unknown) {
          return hooks.runInScope({ session: this }, () => original.call(this, fn));
        },
    );
    this.wrapMethod(
      mod.Session.prototype,
      'end',
      (original: AnyFn) =>
        function end(this: Session, ...args: unknown[]) {
          const result = original.apply(this, args);
          hooks.sessionEnded(this);
          return result;
        },
    );
    this.wrapMethod(
      mod.Agent.prototype,
      'run',
      (original: AnyFn) =>
        function run(this: Agent, fn: () => unknown) {
          return hooks.runInScope({ session: this.session, agent: this }, () => original.call(this, fn));
        },
    );
    this.wrapMethod(
      mod.Agent.prototype,
      'end',
      (original: AnyFn) =>
        function end(this: Agent, ...args: unknown[]) {
          const result = original.apply(this, args);
          hooks.agentEnded(this);
          return result;
        },
    );
  }

  private wrapMethod(proto: object, name: string, wrapper: (original: AnyFn) => AnyFn): void {
    this._wrap(proto as Record<string, AnyFn>, name, wrapper);
  }

  private unpatchCopy(mod: ClientModule): void {
    if (mod?.Client?.prototype === undefined || !isWrapped(mod.Session.prototype.record)) return;
    this._unwrap(mod.Client.prototype, 'startSession');
    for (const m of ['createAgent', 'record', 'runEvent', 'run', 'end'] as const) this._unwrap(mod.Session.prototype, m);
    for (const m of ['run', 'end'] as const) this._unwrap(mod.Agent.prototype, m);
  }
}
