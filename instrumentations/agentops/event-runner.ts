/**
 * The one way an instrumentation runs an event it times (an LLM call, or one a framework reported
 * once it was over), wherever the call is made:
 *
 * - in a traced session, through `session.runEvent`: the session counts the event, the AgentOps
 *   instrumentation starts its span under the current agent when the body starts and ends it when
 *   the body settles, and a failure is recorded as an ErrorEvent nested under it;
 * - outside any session, as a span of its own under `ctx` (a root span, its own trace, when no
 *   span is active), made by the calling instrumentation's tracer, with the name and attributes
 *   the session would give it; with no ErrorEvent to carry it, the failure is on the span itself.
 *
 * Either way `body` runs with the event's span active, and what it returns (or rejects with) is
 * what the caller gets.
 */
import { context, SpanKind, SpanStatusCode, trace, type Context, type Span, type Tracer } from '@opentelemetry/api';
import type { Event, Session } from '../../src/client';
import { logger } from '../../src/shared/logger';
import { stats } from '../../src/shared/stats';
import { eventSpanShape } from './event-span-shape';
import { isTraced } from './session-states';
import * as U from './utils';

export interface EventPlace {
  /** The context to start in: the parent of a session-less span, the active context of `session.runEvent`. */
  ctx: Context;
  session: Session | undefined;
}

export interface EventRunnerDeps {
  /** The calling instrumentation's tracer, for a span outside any session. */
  tracer: Tracer;
  options(): U.MappingOptions;
}

export function runEvent<R>(deps: EventRunnerDeps, place: EventPlace, event: Event, body: () => Promise<R>): Promise<R> {
  const session = place.session;
  return context.with(place.ctx, () => (isTraced(session) ? session.runEvent(event, body) : runWithoutSession(deps, event, body)));
}

function runWithoutSession<R>(deps: EventRunnerDeps, event: Event, body: () => Promise<R>): Promise<R> {
  const o = deps.options();
  stats.spanCreated(String(event.eventType));
  const startTime = U.hrTimeFromNanos(event.initTimeNs);
  const shape = eventSpanShape(event);
  const span = deps.tracer.startSpan(shape?.name ?? U.eventSpanName(event), { kind: shape?.kind ?? SpanKind.INTERNAL, startTime, attributes: U.eventStartAttributes(event, undefined, undefined, o) });
  const settled = (err: unknown, failed: boolean): void => {
    try {
      span.setAttributes(U.eventEndAttributes(event, o, {}));
      if (failed) markFailed(span, err, o.captureContent);
    } catch (e) {
      logger.limited('warn', 'event-span-end', 'ending an event span failed; the app is unaffected', { error: e });
    } finally {
      span.end(event.endTimeNs !== undefined ? U.hrTimeFromNanos(event.endTimeNs) : undefined);
    }
  };
  let pending: Promise<R>;
  try {
    pending = context.with(trace.setSpan(context.active(), span), body);
  } catch (err) {
    settled(err, true);
    throw err;
  }
  return pending.then(
    (value) => {
      event.returns = value;
      settled(undefined, false);
      return value;
    },
    (err: unknown) => {
      settled(err, true);
      throw err;
    },
  );
}

/** The failure on the event's own span: ERROR, and the message and exception only when content is captured (they can quote a prompt). */
function markFailed(span: Span, err: unknown, capture: boolean): void {
  const message = err instanceof Error ? err.message : undefined;
  span.setStatus({ code: SpanStatusCode.ERROR, message: capture ? message : undefined });
  if (capture && err instanceof Error) span.recordException(err);
}
