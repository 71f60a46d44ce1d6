/**
 * The hot path of `session.record()`. An event recorded after the fact is complete at once: its
 * parent, times and attributes are all known. With the preload's export pipeline it therefore
 * needs no SDK span (no Span object, no context, no processor chain): the instrumentation hands
 * the finished span straight to the export hand-off, which batches it with the SDK's spans.
 *
 * The preload installs the sink only where the SDK would make the same span: a parent-based
 * sampler (an event's parent is always a local session or agent span, so the parent's sampled
 * flag decides) and no attribute limits set. Spans over the default count limit take the SDK
 * path, which counts what it drops.
 */
import { isAttributeValue } from '@opentelemetry/core';
import type { Attributes, SpanKind } from '@opentelemetry/api';
import type { ReadableSpan } from '@opentelemetry/sdk-trace-base';
import type { FinishedSpan } from '../../src/engine/wire';
import type { Event } from '../../src/client';
import { sessionIdGenerator } from './id-generator';
import type { SpanRef } from './session-states';
import * as U from './utils';

export type FinishedSpanSink = (span: FinishedSpan) => void;

/** OpenTelemetry's default attribute count limit per span. */
const ATTRIBUTE_COUNT_LIMIT = 128;

/** The variables under which the SDK would make another span than the sink does. */
export function finishedSpansAllowed(env: NodeJS.ProcessEnv): boolean {
  const sampler = env.OTEL_TRACES_SAMPLER?.trim();
  if (sampler !== undefined && sampler !== '' && !sampler.startsWith('parentbased_')) return false;
  const limits = ['OTEL_SPAN_ATTRIBUTE_COUNT_LIMIT', 'OTEL_ATTRIBUTE_COUNT_LIMIT', 'OTEL_SPAN_ATTRIBUTE_VALUE_LENGTH_LIMIT', 'OTEL_ATTRIBUTE_VALUE_LENGTH_LIMIT'];
  return limits.every((v) => env[v] === undefined || env[v] === '');
}

/**
 * Hands `event`'s span to `sink`; false (nothing done) when it must take the SDK path. `sibling`
 * is an SDK span of the instrumentation's tracer (the session's), for the resource and scope.
 */
export function recordFinished(sink: FinishedSpanSink, event: Event, parent: SpanRef, attributes: Attributes, name: string, kind: SpanKind, sibling: ReadableSpan): boolean {
  let count = 0;
  for (const key in attributes) {
    if (!Object.prototype.hasOwnProperty.call(attributes, key)) continue;
    // What SpanImpl.setAttribute leaves out: an empty key, no value, a value no attribute can hold.
    const value = attributes[key];
    if (key.length === 0 || value == null || !isAttributeValue(value)) delete attributes[key];
    else if (++count > ATTRIBUTE_COUNT_LIMIT) return false;
  }
  sink({
    parent: parent.span.spanContext(),
    spanId: sessionIdGenerator.generateSpanId(),
    name,
    kind,
    startTime: U.hrTimeFromNanos(event.initTimeNs),
    endTime: U.hrTimeFromNanos(event.endTimeNs ?? event.initTimeNs),
    attributes,
    sibling,
  });
  return true;
}
