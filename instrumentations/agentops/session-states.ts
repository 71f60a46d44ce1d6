/**
 * What the AgentOps instrumentation knows of each traced session: its span, its agents' spans and
 * the spans open in it, and where a new span belongs. Framework instrumentations use the two
 * exported functions to put their own spans in a session's tree.
 *
 * A module-level map, not instance fields: InstrumentationBase calls init() and enable() from its
 * constructor, before subclass fields are initialised.
 */
import { context, trace, type Context, type Span } from '@opentelemetry/api';
import type { Event, Session } from '../../src/client';

export interface SpanRef {
  span: Span;
  ctx: Context;
  /** The agent this span belongs to: the agent itself, or an event's agent. */
  agentId: string | undefined;
}

export interface SessionState {
  session: Session;
  root: SpanRef;
  agents: Map<string, SpanRef>;
  /** Event spans started by `runEvent` and not yet recorded, keyed by event. */
  openEvents: Map<Event, SpanRef>;
  /** Open spans of this session (its own, and spans lent by `adoptSpan`), to tell whether the active span is one. */
  openSpans: Map<Span, SpanRef>;
}

export const states = new Map<Session, SessionState>();

/** Whether `session` is open and traced: an instrumentation records its events in it, else it makes spans of its own. */
export function isTraced(session: Session | undefined): session is Session {
  return session !== undefined && !session.ended && states.has(session);
}

/**
 * The parent of a new span in the session: the active span when it is an open span of this
 * session belonging to the same agent (an action running the event), else the agent's span,
 * else the session's.
 */
export function parentFor(state: SessionState, agentId: string | undefined): SpanRef {
  const active = trace.getSpan(context.active());
  if (active !== undefined) {
    const ref = state.openSpans.get(active);
    if (ref !== undefined && (agentId === undefined || ref.agentId === agentId)) return ref;
  }
  if (agentId !== undefined) {
    const agentRef = state.agents.get(agentId);
    if (agentRef !== undefined) return agentRef;
  }
  return state.root;
}

/**
 * Where a span another instrumentation starts now belongs in `session`, chosen as for an event
 * of `agentId`: its parent's context and its agent. Undefined when the session is not traced.
 */
export function sessionParent(session: Session, agentId: string | undefined): { ctx: Context; agentId: string | undefined } | undefined {
  const state = states.get(session);
  if (state === undefined || session.ended) return undefined;
  const parent = parentFor(state, agentId);
  return { ctx: parent.ctx, agentId: agentId ?? parent.agentId };
}

/**
 * Lends `span` (a framework's overall call, which is no event) to the session: while it is
 * active, events of `agentId` started in the session nest under it. Returns its release.
 */
export function adoptSpan(session: Session, span: Span, ctx: Context, agentId: string | undefined): () => void {
  const state = states.get(session);
  if (state === undefined) return () => undefined;
  state.openSpans.set(span, { span, ctx, agentId });
  return () => {
    state.openSpans.delete(span);
  };
}
