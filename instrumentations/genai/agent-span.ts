/**
 * An agent run of a framework (a LangChain `createAgent` or LangGraph `createReactAgent` graph, an
 * AI SDK `ToolLoopAgent` call) as an `invoke_agent {name}` span. Inside a session it is an agent
 * of that session (`session.createAgent`, ended when the run ends), so the LLM calls and tools run
 * under it are its events; outside one it is a span of its own under `place`.
 */
import { context, SpanKind, trace, type Attributes, type Tracer } from '@opentelemetry/api';
import { ATTR_SERVICE_NAME } from '@opentelemetry/semantic-conventions';
import type { ContentOptions } from '../../src/config/defaults';
import { stats } from '../../src/shared/stats';
import * as AS from '../agentops/semconv';
import type { Placement } from './framework-span';
import * as S from '../shared/semconv';
import { markSpanError } from './span-error';

export interface AgentSpan {
  /** Where the run's LLM calls, tools and inner spans go. */
  place: Placement;
  /** Runs `fn` as the agent: in its context, and in a session as its agent (the events `fn` records are the agent's). */
  run<T>(fn: () => T): T;
  /** Ends the run once (ERROR when `err` is given), with `attributes` added; later calls do nothing. */
  end(err?: unknown, attributes?: Attributes): void;
}

export function startAgentSpan(tracer: Tracer, options: ContentOptions, name: string, place: Placement, attributes: Attributes = {}): AgentSpan {
  let ended = false;
  const session = place.session;
  if (session !== undefined && !session.ended) {
    const agent = session.createAgent({ name });
    const ctx = agent.run(() => context.active());
    const span = trace.getSpan(ctx);
    span?.setAttributes(attributes);
    return {
      place: { ctx, session, agentId: agent.id },
      run: (fn) => agent.run(fn),
      end(err, more) {
        if (ended) return;
        ended = true;
        if (more !== undefined) span?.setAttributes(more);
        if (err !== undefined) markSpanError(span, err, options.captureContent);
        agent.end();
      },
    };
  }
  stats.spanCreated('agent');
  const own = tracer.startSpan(
    `${S.OPERATION_INVOKE_AGENT} ${name}`,
    {
      kind: SpanKind.INTERNAL,
      attributes: {
        [ATTR_SERVICE_NAME]: options.serviceName,
        [AS.ATTR_SPAN_KIND]: 'agent',
        [S.ATTR_GEN_AI_OPERATION_NAME]: S.OPERATION_INVOKE_AGENT,
        [S.ATTR_GEN_AI_AGENT_NAME]: name,
        ...attributes,
      },
    },
    place.ctx,
  );
  const ctx = trace.setSpan(place.ctx, own);
  return {
    place: { ctx, session: undefined, agentId: undefined },
    run: (fn) => context.with(ctx, fn),
    end(err, more) {
      if (ended) return;
      ended = true;
      if (more !== undefined) own.setAttributes(more);
      if (err !== undefined) markSpanError(own, err, options.captureContent);
      own.end();
    },
  };
}
