import { runInScope } from './context';
import { activeHooks } from './hooks';
import type { Session } from './session';
import { nowNs } from './timestamps';

export interface AgentOptions {
  name?: string;
  id?: string;
}

/**
 * An agent inside a session. Events recorded while `run()` executes (across awaits, timers and
 * callbacks) belong to it.
 */
export class Agent {
  readonly id: string;
  readonly name: string;
  readonly session: Session;
  readonly startTimeNs: bigint;
  private endTimeNs_: bigint | undefined;

  /** Agents come from `session.createAgent()`. */
  private constructor(session: Session, id: string, name: string) {
    this.session = session;
    this.id = id;
    this.name = name;
    this.startTimeNs = nowNs();
  }

  /** @internal the session's way to make one */
  static _create(session: Session, id: string, name: string): Agent {
    return new Agent(session, id, name);
  }

  get ended(): boolean {
    return this.endTimeNs_ !== undefined;
  }

  get endTimeNs(): bigint | undefined {
    return this.endTimeNs_;
  }

  /** Runs `fn` with this agent (and its session) current, and returns what `fn` returns. */
  run<T>(fn: () => T): T {
    return runInScope({ session: this.session, agent: this }, fn);
  }

  /** Ends the agent. Its session ends it anyway; ending twice is harmless. */
  end(): void {
    if (this.endTimeNs_ !== undefined) return;
    this.endTimeNs_ = nowNs();
    activeHooks()?.agentEnded(this);
  }
}
