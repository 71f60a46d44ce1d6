/**
 * The client's hook for tracing. The client knows nothing of OpenTelemetry; it calls the hook at
 * each point where tracing has something to do, and the preload registers the implementation
 * (the AgentOps instrumentation). With nothing registered every call site costs one function call
 * that returns undefined.
 *
 * One hook at a time: a second registration replaces the first, and unregistering clears the slot
 * only while it still holds the hook it was given.
 *
 * An implementation must never throw, and `runEventBody` / `runInScope` must return what their
 * function returns and let its throw through untouched: the app gets what it would without tracing.
 */
import type { Agent } from './agent';
import type { ClientScope } from './context';
import type { Event } from './events';
import type { Session } from './session';

export interface ClientHooks {
  /** After `client.startSession()` made and registered the session. */
  sessionStarted(session: Session): void;
  /** After `session.end()` ended the session (its agents have ended first, each with `agentEnded`). */
  sessionEnded(session: Session): void;
  /** After `session.createAgent()` added a new agent to an open session. */
  agentCreated(session: Session, agent: Agent): void;
  /** After an agent ended, by `agent.end()` or its session's end; once per agent. */
  agentEnded(agent: Agent): void;
  /** After the session recorded the event (counted, kept, end time filled in). */
  eventRecorded(session: Session, event: Event): void;
  /** Runs `body`, the work of an event run by `session.runEvent` (its agent already filled in), in the event's tracing context. */
  runEventBody<R>(session: Session, event: Event, body: () => R): R;
  /** Runs `fn` in the tracing context of `scope`: `session.run()` and `agent.run()`. */
  runInScope<T>(scope: ClientScope, fn: () => T): T;
}

let registered: ClientHooks | undefined;

/** The registered hook, if any. */
export function activeHooks(): ClientHooks | undefined {
  return registered;
}

/** Registers `hooks` for every client of this copy of the package. */
export function registerClientHooks(hooks: ClientHooks): void {
  registered = hooks;
}

/** Unregisters `hooks`; a hook registered since is left in place. */
export function unregisterClientHooks(hooks: ClientHooks): void {
  if (registered === hooks) registered = undefined;
}
