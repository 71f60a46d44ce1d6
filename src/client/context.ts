import { AsyncLocalStorage } from 'node:async_hooks';
import type { Agent } from './agent';
import { activeHooks } from './hooks';
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

/** Runs `fn` with `scope` current, and in its tracing context when a hook is registered. */
export function runInScope<T>(scope: ClientScope, fn: () => T): T {
  const hooks = activeHooks();
  return hooks === undefined ? clientScope.run(scope, fn) : hooks.runInScope(scope, () => clientScope.run(scope, fn));
}
