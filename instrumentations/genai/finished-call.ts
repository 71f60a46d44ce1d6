/**
 * An LLM call known only once it is over: a framework reported it (LangChain's model run) and no
 * SDK instrumentation saw a request for it. It is run as a live call is (agentops/event-runner.ts),
 * with the call's own start and end times: in a session an `LLMEvent` (a failure records its
 * ErrorEvent too), else a span of its own under the framework's.
 */
import { LLMEvent } from '../../src/client';
import { logger } from '../../src/shared/logger';
import { runEvent } from '../agentops/event-runner';
import type { Placement } from './framework-span';
import { applyError, applyOutcome, type RecorderDeps } from './recorder';
import * as S from '../shared/semconv';
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
  const failure: unknown = err;
  const body = err === undefined ? (): Promise<unknown> => Promise.resolve(undefined) : (): Promise<unknown> => Promise.reject(failure);
  try {
    runEvent({ tracer: deps.tracer, options: () => o }, place, event, body).then(noop, noop);
  } catch (e) {
    logger.limited('warn', 'llm-finished-call', 'recording a finished LLM call failed; the app is unaffected', { error: e });
  }
}
