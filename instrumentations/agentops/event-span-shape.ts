/**
 * An instrumentation that records an AgentOps event for a call it traces (an MCP `tools/call`)
 * can give the event's span the name and kind the conventions of that call want, so that the
 * event's span stays the one span of the call. Kept per event object, so it applies to that
 * event's span only, whatever else is recorded meanwhile.
 */
import type { SpanKind } from '@opentelemetry/api';
import type { Event } from '../../src/client';

export interface EventSpanShape {
  name: string;
  kind: SpanKind;
}

const shapes = new WeakMap<Event, EventSpanShape>();

export function setEventSpanShape(event: Event, shape: EventSpanShape): void {
  shapes.set(event, shape);
}

export function eventSpanShape(event: Event): EventSpanShape | undefined {
  return shapes.get(event);
}
