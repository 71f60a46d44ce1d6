import { AsyncLocalStorage } from 'node:async_hooks';
import type { Agent } from './agent';
import type { Session } from './session';

/**
 * What is current for the code running now: the session that module-level `record()` writes to
 * and the agent that recorded events belong to. AsyncLocalStorage carries it across awaits,
 * timers and callbacks without the app passing it around.
 */
export interface ClientScope {
  session: Session;
  agent?: Agent;
}

export const clientScope = new AsyncLocalStorage<ClientScope>();
