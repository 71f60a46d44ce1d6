import { Agent, type AgentOptions } from './agent';
import { clientScope, runInScope } from './context';
import { ActionEvent, ErrorEvent, Event, ToolEvent } from './events';
import { activeHooks } from './hooks';
import { isValidUuid, newId, normalizeUuid } from './ids';
import { clientLog } from './log';
import { nowNs } from './timestamps';

export const END_STATES = ['Success', 'Fail', 'Indeterminate'] as const;
export type EndState = (typeof END_STATES)[number];

export interface EventCounts {
  llms: number;
  tools: number;
  actions: number;
  errors: number;
  apis: number;
}

export interface SessionOptions {
  tags?: string[];
  /** Resume or pre-assign a session id (a UUID); it becomes the trace id. */
  sessionId?: string;
}

/** @internal what Session needs from its client, without importing it (no cycle). */
export interface SessionOwner {
  readonly maxEventsKept: number;
  _sessionEnded(session: Session): void;
}

/**
 * One run of an agent application. Many sessions may be open at once (one per request, say);
 * `run()` makes a session current for code that calls the module-level `record()`.
 */
export class Session {
  readonly id: string;
  readonly tags: string[];
  readonly initTimeNs: bigint;
  readonly eventCounts: EventCounts = { llms: 0, tools: 0, actions: 0, errors: 0, apis: 0 };
  /** The most recent events, newest last; bounded by the client's `maxEventsKept`. */
  readonly events: Event[] = [];
  private readonly agents = new Map<string, Agent>();
  private readonly owner: SessionOwner;
  private end_: { timeNs: bigint; state: EndState; reason: string | undefined } | undefined;

  /** Sessions come from `client.startSession()`. */
  private constructor(owner: SessionOwner, options: SessionOptions, inheritedTags: readonly string[]) {
    this.owner = owner;
    this.id = resolveSessionId(options.sessionId);
    this.tags = mergeTags(inheritedTags, options.tags);
    this.initTimeNs = nowNs();
  }

  /** @internal the client's way to make one */
  static _create(owner: SessionOwner, options: SessionOptions, inheritedTags: readonly string[]): Session {
    return new Session(owner, options, inheritedTags);
  }

  get ended(): boolean {
    return this.end_ !== undefined;
  }

  get endTimeNs(): bigint | undefined {
    return this.end_?.timeNs;
  }

  get endState(): EndState | undefined {
    return this.end_?.state;
  }

  get endStateReason(): string | undefined {
    return this.end_?.reason;
  }

  agent(id: string): Agent | undefined {
    return this.agents.get(id);
  }

  listAgents(): Agent[] {
    return [...this.agents.values()];
  }

  createAgent(options: AgentOptions = {}): Agent {
    let id = options.id;
    if (id !== undefined && (typeof id !== 'string' || id === '')) {
      clientLog.limited('warn', 'agent-id', 'createAgent: agent id must be a non-empty string; a new id was generated', { sessionId: this.id });
      id = undefined;
    }
    if (id !== undefined && this.agents.has(id)) {
      clientLog.limited('warn', 'agent-dup', 'createAgent: an agent with this id already exists in the session; returning it', { sessionId: this.id, agentId: id });
      return this.agents.get(id) as Agent;
    }
    const name = typeof options.name === 'string' && options.name !== '' ? options.name : 'agent';
    const agent = Agent._create(this, id ?? newId(), name);
    if (this.ended) {
      clientLog.limited('warn', 'agent-ended-session', 'createAgent on an ended session: the agent is not tracked', { sessionId: this.id });
      return agent;
    }
    this.agents.set(agent.id, agent);
    activeHooks()?.agentCreated(this, agent);
    return agent;
  }

  /** Runs `fn` with this session current (for module-level `record()`), and returns its result. */
  run<T>(fn: () => T): T {
    return runInScope({ session: this }, fn);
  }

  /**
   * Records an event. Fills in the agent from the current `agent.run()` scope when the event
   * names none, and the end time when it has none. Returns the event, or undefined when the
   * session has ended (a warning is logged; nothing is thrown into the app).
   */
  record<E extends Event>(event: E): E | undefined {
    if (!(event instanceof Event)) {
      clientLog.limited('warn', 'record-not-event', 'record() takes an Event (LLMEvent, ActionEvent, ToolEvent, ErrorEvent); ignored', { sessionId: this.id });
      return undefined;
    }
    if (this.ended) {
      clientLog.limited('warn', 'record-ended', 'record() on an ended session; the event is not recorded', { sessionId: this.id, eventId: event.id });
      return undefined;
    }
    if (event.agentId === undefined) {
      const scope = clientScope.getStore();
      if (scope?.agent !== undefined && scope.session === this) event.agentId = scope.agent.id;
    }
    if (event.endTimeNs === undefined) event.endTimeNs = nowNs();
    if (event.invalidTimestamp) {
      clientLog.limited('warn', 'record-bad-time', 'an event timestamp was not a valid date; the current time was used', { sessionId: this.id, eventId: event.id });
    }
    const counts = this.eventCounts as unknown as Record<string, number>;
    if (counts[event.eventType] !== undefined) counts[event.eventType]++;
    this.events.push(event);
    if (this.events.length > this.owner.maxEventsKept) this.events.shift();
    activeHooks()?.eventRecorded(this, event);
    return event;
  }

  /** Wraps `fn` so that each call is recorded as an ActionEvent (and an ErrorEvent when it fails). */
  recordAction<A extends unknown[], R>(actionType: string, fn: (...args: A) => R): (...args: A) => R {
    const session = this;
    return function recordedAction(this: unknown, ...args: A): R {
      const event = new ActionEvent({ actionType, params: argsAsParams(args) });
      return session.runEvent(event, () => fn.apply(this, args));
    };
  }

  /** Wraps `fn` so that each call is recorded as a ToolEvent (and an ErrorEvent when it fails). */
  recordTool<A extends unknown[], R>(name: string, fn: (...args: A) => R): (...args: A) => R {
    const session = this;
    return function recordedTool(this: unknown, ...args: A): R {
      const event = new ToolEvent({ name, params: argsAsParams(args) });
      return session.runEvent(event, () => fn.apply(this, args));
    };
  }

  /**
   * @internal the path of recordAction/recordTool (and of instrumentations that time a call).
   * Runs `fn` as the body of `event`: the event starts now, ends when `fn` returns or its
   * promise settles, and takes the result as `returns`. On failure an ErrorEvent naming it as
   * the trigger is recorded first, then the event, and the error is rethrown untouched.
   */
  runEvent<R>(event: Event, fn: () => R): R {
    if (event.agentId === undefined) {
      const scope = clientScope.getStore();
      if (scope?.agent !== undefined && scope.session === this) event.agentId = scope.agent.id;
    }
    const hooks = activeHooks();
    let result: R;
    try {
      result = hooks === undefined ? fn() : hooks.runEventBody(this, event, fn);
    } catch (err) {
      this.failEvent(event, err);
      throw err;
    }
    if (isPromiseLike(result)) {
      return result.then(
        (value) => {
          event.returns = value;
          this.record(event);
          return value;
        },
        (err: unknown) => {
          this.failEvent(event, err);
          throw err;
        },
      ) as R;
    }
    event.returns = result;
    this.record(event);
    return result;
  }

  private failEvent(event: Event, err: unknown): void {
    event.endTimeNs = nowNs();
    this.record(new ErrorEvent({ triggerEvent: event, exception: err, agentId: event.agentId }));
    this.record(event);
  }

  /**
   * Ends the session with 'Success', 'Fail' or 'Indeterminate' (the default), ending its open
   * agents. Ending twice, or with an unknown state, logs a warning and changes nothing / uses
   * 'Indeterminate'.
   */
  end(endState: EndState = 'Indeterminate', reason?: string): Promise<void> {
    if (this.ended) {
      clientLog.limited('warn', 'end-twice', 'session.end() called on an ended session; ignored', { sessionId: this.id });
      return Promise.resolve();
    }
    let state = endState;
    if (!END_STATES.includes(state)) {
      clientLog.limited('warn', 'end-state', `unknown end state ${JSON.stringify(String(endState)).slice(0, 60)}; expected Success, Fail or Indeterminate; using Indeterminate`, {
        sessionId: this.id,
      });
      state = 'Indeterminate';
    }
    for (const agent of this.agents.values()) agent.end();
    this.end_ = { timeNs: nowNs(), state, reason: typeof reason === 'string' ? reason : reason === undefined ? undefined : String(reason) };
    this.owner._sessionEnded(this);
    activeHooks()?.sessionEnded(this);
    return Promise.resolve();
  }
}

function resolveSessionId(requested: string | undefined): string {
  if (requested === undefined) return newId();
  if (isValidUuid(requested)) return normalizeUuid(requested);
  clientLog.warn('startSession: sessionId must be a UUID (32 hex digits, dashes optional, not all zero); a new id was generated', {
    given: String(requested).slice(0, 64),
  });
  return newId();
}

function mergeTags(a: readonly string[], b: unknown): string[] {
  const out = new Set(a);
  if (Array.isArray(b)) for (const t of b) if (t !== undefined && t !== null && String(t) !== '') out.add(String(t));
  return [...out];
}

function argsAsParams(args: unknown[]): unknown {
  return args.length === 1 ? args[0] : args;
}

function isPromiseLike(value: unknown): value is PromiseLike<unknown> {
  return value !== null && (typeof value === 'object' || typeof value === 'function') && typeof (value as { then?: unknown }).then === 'function';
}
