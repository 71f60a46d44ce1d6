import { clientScope } from './context';
import type { Event } from './events';
import { activeHooks } from './hooks';
import { clientLog } from './log';
import { Session, type EndState, type SessionOptions } from './session';

export interface ClientOptions {
  /** Tags every session of this client carries. */
  tags?: string[];
  /** How many recent events a session keeps in memory (counts are kept regardless). Default 1000. */
  maxEventsKept?: number;
}

/**
 * The process's AgentOps client: starts sessions and keeps the open ones. It knows nothing of
 * tracing: the preload adds that through the hook in ./hooks.ts, which sessions and agents call.
 */
export class Client {
  readonly tags: string[];
  readonly maxEventsKept: number;
  private readonly open = new Map<string, Session>();

  constructor(options: ClientOptions = {}) {
    this.tags = Array.isArray(options.tags) ? options.tags.filter((t) => typeof t === 'string' && t !== '') : [];
    const max = options.maxEventsKept;
    this.maxEventsKept = typeof max === 'number' && Number.isInteger(max) && max >= 0 ? max : 1000;
  }

  startSession(options: SessionOptions = {}): Session {
    let session = Session._create(this, options ?? {}, this.tags);
    if (this.open.has(session.id)) {
      clientLog.warn('startSession: a session with this id is already open; a new id was generated', { sessionId: session.id });
      session = Session._create(this, { ...options, sessionId: undefined }, this.tags);
    }
    this.open.set(session.id, session);
    activeHooks()?.sessionStarted(session);
    return session;
  }

  /** Open sessions, oldest first. */
  get sessions(): Session[] {
    return [...this.open.values()];
  }

  /** The session made current by `session.run()` / `agent.run()`, or the only open one. */
  currentSession(): Session | undefined {
    const scoped = clientScope.getStore()?.session;
    if (scoped !== undefined) return scoped;
    if (this.open.size === 1) return this.open.values().next().value;
    return undefined;
  }

  record<E extends Event>(event: E): E | undefined {
    const session = this.currentSession();
    if (session === undefined) {
      clientLog.limited(
        'warn',
        'record-no-session',
        this.open.size === 0 ? 'record(): no session is open; start one with client.startSession()' : 'record(): several sessions are open and none is current; use session.record() or session.run()',
      );
      return undefined;
    }
    return session.record(event);
  }

  async endAllSessions(endState: EndState = 'Indeterminate', reason?: string): Promise<void> {
    for (const s of [...this.open.values()]) await s.end(endState, reason);
  }

  /** @internal */
  _sessionEnded(session: Session): void {
    this.open.delete(session.id);
  }
}
