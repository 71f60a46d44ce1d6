/**
 * A tracing processor for @openai/agents: it turns the SDK's own trace events into spans in the
 * right place. In an AgentOps session, each agent becomes a session agent (`invoke_agent {name}`),
 * each tool call a `ToolEvent` run by `session.runEvent` (so the span is open while the tool runs and
 * what the tool does nests under it), each handoff an `ActionEvent` ('handoff'). Without a session,
 * the same spans are made directly under a workflow span for the SDK's trace.
 *
 * Model calls are not spans here: the OpenAI instrumentation records the real call (with usage and
 * cost) and asks this processor where it belongs (`resolveParent`), so a model call is one span.
 */
import { context, SpanKind, SpanStatusCode, trace, type Context, type Span, type Tracer } from '@opentelemetry/api';
import { ATTR_ERROR_TYPE, ATTR_SERVICE_NAME } from '@opentelemetry/semantic-conventions';
import { isTraced } from '../agentops/session-states';
import { ActionEvent, getClient, ToolEvent, type Agent, type Session } from '../../src/client';
import { autoSession } from '../genai/auto-session';
import { logger } from '../../src/shared/logger';
import { stats } from '../../src/shared/stats';
import * as AS from '../agentops/semconv';
import type { ParentInfo } from '../genai/recorder';
import * as S from '../shared/semconv';
import * as G from './semconv';
import type { AgentsSpan, AgentsTrace, AgentsTracingProcessor } from './types';
import * as U from './utils';

interface Node {
  kind: 'trace' | 'agent' | 'tool' | 'pass';
  /** The context whose active span is this node's span: children start under it. */
  ctx: Context;
  session: Session | undefined;
  agentId?: string;
  agent?: Agent;
  /** Our span (no session), or the AgentOps span (to add attributes and status). */
  span?: Span;
  /** Ends a tool event run through `session.runEvent`. */
  settle?: (failed: boolean, value: unknown) => void;
  /** For pass-through nodes (model calls): the node they stand in. */
  target?: Node;
  llmSeen?: boolean;
}

export interface ProcessorDeps {
  tracer(): Tracer;
  mapping(): U.AgentsMapping;
  enabled(): boolean;
}

function noop(): void {}

export class AgentOpsTracingProcessor implements AgentsTracingProcessor {
  private readonly nodes = new Map<string, Node>();

  constructor(private readonly deps: ProcessorDeps) {}

  async onTraceStart(t: AgentsTrace): Promise<void> {
    this.guard('trace-start', () => {
      if (!this.deps.enabled()) return;
      const session = this.usableSession(getClient()?.currentSession() ?? autoSession());
      const ctx = context.active();
      if (session !== undefined) {
        this.nodes.set(t.traceId, { kind: 'trace', ctx, session });
        return;
      }
      const o = this.deps.mapping();
      const span = this.deps.tracer().startSpan(
        t.name ?? 'Agent workflow',
        {
          kind: SpanKind.INTERNAL,
          attributes: {
            [ATTR_SERVICE_NAME]: o.serviceName,
            [AS.ATTR_SPAN_KIND]: G.SPAN_KIND_WORKFLOW,
            [G.ATTR_WORKFLOW_NAME]: t.name ?? 'Agent workflow',
            ...(t.groupId ? { [G.ATTR_WORKFLOW_GROUP_ID]: t.groupId } : {}),
          },
        },
        ctx,
      );
      stats.spanCreated('workflow');
      this.nodes.set(t.traceId, { kind: 'trace', ctx: trace.setSpan(ctx, span), session: undefined, span });
    });
  }

  async onTraceEnd(t: AgentsTrace): Promise<void> {
    this.guard('trace-end', () => {
      const node = this.nodes.get(t.traceId);
      this.nodes.delete(t.traceId);
      node?.span?.end();
    });
  }

  async onSpanStart(span: AgentsSpan): Promise<void> {
    this.guard('span-start', () => {
      if (!this.deps.enabled()) return;
      const parent = this.parentOf(span);
      const type = span.spanData.type;
      if (type === 'agent') this.startAgent(span, parent);
      else if (type === 'function') this.startTool(span, parent);
      else this.nodes.set(span.spanId, { kind: 'pass', ctx: parent.ctx, session: parent.session, agentId: parent.agentId, target: parent });
    });
  }

  async onSpanEnd(span: AgentsSpan): Promise<void> {
    this.guard('span-end', () => {
      const node = this.nodes.get(span.spanId);
      this.nodes.delete(span.spanId);
      const type = span.spanData.type;
      if (type === 'handoff') {
        if (this.deps.enabled()) this.recordHandoff(span, node?.target ?? this.parentOf(span));
        return;
      }
      if (node === undefined) return;
      if (node.kind === 'agent') this.endAgent(span, node);
      else if (node.kind === 'tool') this.endTool(span, node);
    });
  }

  async shutdown(): Promise<void> {}
  async forceFlush(): Promise<void> {}

  /** Where an LLM call made now belongs: the agent or tool the agents SDK is running, if any. */
  resolveParent(current: AgentsSpan | null | undefined): ParentInfo | undefined {
    if (!this.deps.enabled() || current === null || current === undefined) return undefined;
    let node = this.nodes.get(current.spanId) ?? (current.parentId !== null ? this.nodes.get(current.parentId) : undefined) ?? this.nodes.get(current.traceId);
    if (node === undefined) return undefined;
    const pass = node.kind === 'pass' ? node : undefined;
    while (node.kind === 'pass' && node.target !== undefined) node = node.target;
    return {
      ctx: node.ctx,
      session: node.session,
      agentId: node.agentId,
      onLlmCall: () => {
        if (pass !== undefined) pass.llmSeen = true;
      },
    };
  }

  private usableSession(session: Session | undefined): Session | undefined {
    return isTraced(session) ? session : undefined;
  }

  /** The node of the span's parent, else of its trace; an unknown trace (processor added mid-run) gets one now. */
  private parentOf(span: AgentsSpan): Node {
    let node = (span.parentId !== null ? this.nodes.get(span.parentId) : undefined) ?? this.nodes.get(span.traceId);
    while (node !== undefined && node.kind === 'pass' && node.target !== undefined) node = node.target;
    if (node !== undefined) return node;
    const session = this.usableSession(getClient()?.currentSession() ?? autoSession());
    const fallback: Node = { kind: 'trace', ctx: context.active(), session };
    this.nodes.set(span.traceId, fallback);
    return fallback;
  }

  private startAgent(span: AgentsSpan, parent: Node): void {
    const o = this.deps.mapping();
    const session = parent.session !== undefined && !parent.session.ended ? parent.session : undefined;
    if (session !== undefined) {
      const agent = session.createAgent({ name: U.agentName(span) });
      const ctx = agent.run(() => context.active());
      const own = trace.getSpan(ctx);
      own?.setAttributes(U.agentDetailAttributes(span));
      this.nodes.set(span.spanId, { kind: 'agent', ctx, session, agentId: agent.id, agent, span: own });
      return;
    }
    const otel = this.deps.tracer().startSpan(U.agentSpanName(span), { kind: SpanKind.INTERNAL, attributes: U.agentSpanAttributes(span, o) }, parent.ctx);
    stats.spanCreated('agent');
    this.nodes.set(span.spanId, { kind: 'agent', ctx: trace.setSpan(parent.ctx, otel), session: undefined, span: otel });
  }

  private endAgent(span: AgentsSpan, node: Node): void {
    // From 0.10 on the SDK fills an agent span's tools and handoffs in after it started.
    node.span?.setAttributes(U.agentDetailAttributes(span));
    if (span.error !== null && span.error !== undefined) this.markError(node.span, span.error.message);
    if (node.agent !== undefined) node.agent.end();
    else node.span?.end();
  }

  private startTool(span: AgentsSpan, parent: Node): void {
    const o = this.deps.mapping();
    const session = parent.session !== undefined && !parent.session.ended ? parent.session : undefined;
    if (session !== undefined) {
      const event = new ToolEvent({
        name: U.toolName(span),
        agentId: parent.agentId,
        params: o.captureContent ? U.parseToolInput(span.spanData.input) : undefined,
        attributes: { [S.ATTR_GEN_AI_TOOL_NAME]: U.toolName(span) },
      });
      let settle!: (failed: boolean, value: unknown) => void;
      const done = new Promise<unknown>((resolve, reject) => {
        settle = (failed, value) => (failed ? reject(value) : resolve(value));
      });
      let ctx = parent.ctx;
      context.with(parent.ctx, () => {
        const p = session.runEvent(event, () => {
          ctx = context.active();
          return done;
        }) as unknown;
        if (p instanceof Promise) p.then(noop, noop);
      });
      this.nodes.set(span.spanId, { kind: 'tool', ctx, session, agentId: parent.agentId, span: trace.getSpan(ctx), settle });
      return;
    }
    const otel = this.deps.tracer().startSpan(U.toolSpanName(span), { kind: SpanKind.INTERNAL, attributes: U.toolStartAttributes(span, o) }, parent.ctx);
    stats.spanCreated('tools');
    this.nodes.set(span.spanId, { kind: 'tool', ctx: trace.setSpan(parent.ctx, otel), session: undefined, span: otel });
  }

  private endTool(span: AgentsSpan, node: Node): void {
    const o = this.deps.mapping();
    const error = span.error;
    if (node.settle !== undefined) {
      // The AgentOps span: arguments/result as GenAI attributes too (content: gated).
      node.span?.setAttributes(U.toolContentAttributes(span, o));
      if (error !== null && error !== undefined) {
        const err = new Error(error.message);
        err.name = 'ToolError';
        node.settle(true, err);
      } else {
        node.settle(false, o.captureContent ? span.spanData.output : undefined);
      }
      return;
    }
    const otel = node.span;
    if (otel === undefined) return;
    otel.setAttributes(U.toolContentAttributes(span, o));
    if (error !== null && error !== undefined) {
      otel.setAttribute(ATTR_ERROR_TYPE, 'ToolError');
      this.markError(otel, error.message);
    }
    otel.end();
  }

  private recordHandoff(span: AgentsSpan, parent: Node): void {
    const o = this.deps.mapping();
    const session = parent.session !== undefined && !parent.session.ended ? parent.session : undefined;
    if (session !== undefined) {
      const { from, to } = U.handoffNames(span);
      context.with(parent.ctx, () =>
        session.record(
          new ActionEvent({
            actionType: 'handoff',
            agentId: parent.agentId,
            params: { from_agent: from, to_agent: to },
            initTimestamp: span.startedAt ?? undefined,
            endTimestamp: span.endedAt ?? undefined,
            attributes: U.handoffAttributes(span) as Record<string, string>,
          }),
        ),
      );
      return;
    }
    const otel = this.deps.tracer().startSpan(
      U.handoffSpanName(span),
      {
        kind: SpanKind.INTERNAL,
        startTime: U.isoToMillis(span.startedAt),
        attributes: { [ATTR_SERVICE_NAME]: o.serviceName, [AS.ATTR_SPAN_KIND]: G.SPAN_KIND_HANDOFF, ...U.handoffAttributes(span) },
      },
      parent.ctx,
    );
    stats.spanCreated('handoff');
    otel.end(U.isoToMillis(span.endedAt));
  }

  private markError(span: Span | undefined, message: string): void {
    span?.setStatus({ code: SpanStatusCode.ERROR, message: this.deps.mapping().captureContent ? message : undefined });
  }

  private guard(what: string, fn: () => void): void {
    try {
      fn();
    } catch (err) {
      logger.limited('warn', `openai-agents:${what}`, `tracing an @openai/agents ${what} failed; the app is unaffected`, { error: err });
    }
  }
}
