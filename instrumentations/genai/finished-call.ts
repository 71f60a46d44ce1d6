/**
 * An LLM call known only once it is over: a framework reported it (LangChain's model run) and no
 * SDK instrumentation saw a request for it. It gets the span a live call gets, with the call's own
 * start time: in a session an `LLMEvent` (a failure records its ErrorEvent too, as a live call's
 * does), else a span of its own under the framework's.
 */
import { context, SpanKind, SpanStatusCode, type Attributes } from '@opentelemetry/api';
import { isTraced } from '../agentops/session-states';
import { LLMEvent } from '../../src/client';
import { stats } from '../../src/shared/stats';
import * as AS from '../agentops/semconv';
import * as AU from '../agentops/utils';
import type { Placement } from './framework-span';
import { applyError, applyOutcome, spanName, type RecorderDeps } from './recorder';
import * as S from './semconv';
import type { LlmOutcome, LlmRequest } from './types';

function noop(): void {}

export function recordFinishedLlmCall(deps: RecorderDeps, req: LlmRequest, place: Placement, startNs: bigint, outcome: LlmOutcome, err?: unknown): void {
  const o = deps.options();
  const event = new LLMEvent({
    model: req.requestModel,
    agentId: place.agentId,
    prompt: o.captureContent ? req.prompt : undefined,
    initTimestamp: startNs,
    attributes: {
      [S.ATTR_GEN_AI_OPERATION_NAME]: req.operation,
      [S.ATTR_GEN_AI_PROVIDER_NAME]: req.provider,
      ...req.attributes,
      ...(req.streaming ? { [S.ATTR_LLM_STREAMING]: true } : {}),
    },
  });
  if (err === undefined) applyOutcome(event, req, o, outcome, undefined);
  else applyError(event, err);
  const session = place.session;
  if (isTraced(session)) {
    const failure: unknown = err;
    const body = err === undefined ? (): Promise<unknown> => Promise.resolve(undefined) : (): Promise<unknown> => Promise.reject(failure);
    context.with(place.ctx, () => {
      const p = session.runEvent(event, body);
      p.then(noop, noop);
    });
    return;
  }
  const attrs: Attributes = { [AS.ATTR_SERVICE_NAME]: o.serviceName, [AS.ATTR_SPAN_KIND]: 'llms', [AS.ATTR_EVENT_ID]: event.id, [AS.ATTR_EVENT_TYPE]: 'llms' };
  stats.spanCreated('llms');
  const span = deps.tracer.startSpan(spanName(req), { kind: SpanKind.INTERNAL, startTime: AU.hrTimeFromNanos(startNs), attributes: attrs }, place.ctx);
  span.setAttributes(AU.eventEndAttributes(event, { serviceName: o.serviceName, captureContent: o.captureContent, maxAttributeLength: o.maxAttributeLength }, {}));
  if (err !== undefined) span.setStatus({ code: SpanStatusCode.ERROR, message: o.captureContent && err instanceof Error ? err.message : undefined });
  span.end(AU.hrTimeFromNanos(event.endTimeNs ?? startNs));
}
