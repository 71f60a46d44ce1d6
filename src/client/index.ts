import { Client, type ClientOptions } from './client';
import type { Event } from './events';
import type { Session, SessionOptions } from './session';

export { Client, type ClientOptions } from './client';
export { Agent, type AgentOptions } from './agent';
export { Session, END_STATES, type EndState, type EventCounts, type SessionOptions } from './session';
export * from './events';
export { type TimestampInput } from './timestamps';

let processClient: Client | undefined;

/** Returns the process's client, creating it on first call; later calls return the same one. */
export function init(options: ClientOptions = {}): Client {
  if (processClient === undefined) processClient = new Client(options);
  return processClient;
}

export function getClient(): Client | undefined {
  return processClient;
}

/** Starts a session on the process client (created with defaults if `init` was not called). */
export function startSession(options?: SessionOptions): Session {
  return init().startSession(options);
}

/** Records on the current session: the one `session.run()`/`agent.run()` made current, or the only open one. */
export function record<E extends Event>(event: E): E | undefined {
  return init().record(event);
}

/** Ends every open session of the process client. */
export function endAllSessions(...args: Parameters<Client['endAllSessions']>): Promise<void> {
  return processClient === undefined ? Promise.resolve() : processClient.endAllSessions(...args);
}
