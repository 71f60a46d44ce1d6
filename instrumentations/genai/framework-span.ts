/**
 * The spans an agent framework's own structure gets (an AI SDK `generateText` call, a LangChain
 * chain): not events of the session, but parents for the LLM calls and tools run inside them.
 * In a session such a span hangs under the current agent (or under the framework span it is nested
 * in) and is lent to the session (`adoptSpan`), so the events started under it nest under it.
 * Outside a session it is a plain span under the active one, or a root.
 */
import { context, SpanKind, trace, type Attributes, type Context, type Span, type TimeInput, type Tracer } from '@opentelemetry/api';
import { getClient, type Session } from '../../src/client';
import { clientScope } from '../../src/client/context';
import { autoSession } from './auto-session';
import { stats } from '../../src/shared/stats';
import * as AS from '../agentops/semconv';
import { adoptSpan, isTraced, sessionParent } from '../agentops/session-states';
import { markSpanError } from './span-error';
import * as S from '../shared/semconv';

/** Where a framework span or event belongs: the context of its parent, its session and agent. */
export interface Placement {
  ctx: Context;
  session: Session | undefined;
  agentId: string | undefined;
}

export interface FrameworkSpan extends Placement {
  span: Span;
  /** Ends the span once (ERROR with `error.type` when `err` is given); later calls do nothing. */
  end(err?: unknown, attributes?: Attributes): void;
}

/** The session a call made now belongs to, if it is traced, and the current agent in it. */
export function currentPlacement(): Placement {
  let session: Session | undefined = getClient()?.currentSession() ?? autoSession();
  if (!isTraced(session)) session = undefined;
  const scope = clientScope.getStore();
  const agentId = session !== undefined && scope?.session === session ? scope.agent?.id : undefined;
  if (session === undefined) return { ctx: context.active(), session, agentId: undefined };
  return { ctx: sessionParent(session, agentId)?.ctx ?? context.active(), session, agentId };
}

/** Starts a framework span under `parent` (default: where a call made now belongs), now or at `startTime`. */
export function startFrameworkSpan(tracer: Tracer, name: string, attributes: Attributes, parent: Placement = currentPlacement(), startTime?: TimeInput): FrameworkSpan {
  const { session, agentId } = parent;
  const attrs: Attributes = { ...attributes };
  if (session !== undefined) {
    attrs[AS.ATTR_SESSION_ID] = session.id;
    attrs[S.ATTR_GEN_AI_CONVERSATION_ID] = session.id;
    if (agentId !== undefined) attrs[AS.ATTR_AGENT_ID] = agentId;
  }
  stats.spanCreated(String(attrs[AS.ATTR_SPAN_KIND] ?? 'framework'));
  const span = tracer.startSpan(name, { kind: SpanKind.INTERNAL, attributes: attrs, startTime }, parent.ctx);
  const placement: Placement = { ctx: trace.setSpan(parent.ctx, span), session, agentId };
  const release = session !== undefined ? adoptSpan(session, span, placement.ctx, agentId) : undefined;
  let ended = false;
  return {
    ...placement,
    span,
    end(err?: unknown, more?: Attributes) {
      if (ended) return;
      ended = true;
      release?.();
      if (more !== undefined) span.setAttributes(more);
      // No message: the framework's error can quote content, and this span does not know the capture setting.
      if (err !== undefined) markSpanError(span, err, false);
      span.end();
    },
  };
}
