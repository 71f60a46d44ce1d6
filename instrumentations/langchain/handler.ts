/**
 * The callback handler the preload adds to every LangChain run (see instrumentation.ts). Runs
 * become spans in the right place:
 * - an agent run (`createAgent`, LangGraph's `createReactAgent`, AgentExecutor): in a session a session agent
 *   (`invoke_agent {name}`), else an `invoke_agent {name}` span;
 * - a chain (or retriever) run: a `chain {name}` framework span; runs LangChain hides (graph
 *   plumbing) are skipped and their children go to the run above;
 * - a tool run: in a session a ToolEvent run by `session.runEvent` (open until the tool ends), else
 *   an `execute_tool {name}` span;
 * - a model run: the LLM span of the SDK call it makes (openai, anthropic, ... are instrumented),
 *   placed under the model run's parent; only a model run that made no instrumented call gets an
 *   LLM span from here, from LangChain's own usage. So a call is priced once.
 *
 * A model run is paired with the SDK call it makes by the context they share: LangChain calls the
 * handler in the caller's async context, so the run's start and its SDK request see the same
 * OpenTelemetry context object. Runs of that context are taken in the order they started.
 */
import { context, SpanKind, trace, type Context, type Span } from '@opentelemetry/api';
import { ATTR_SERVICE_NAME } from '@opentelemetry/semantic-conventions';
import { ToolEvent } from '../../src/client';
import { nowNs } from '../../src/client/timestamps';
import { logger } from '../../src/shared/logger';
import { toAttributeText } from '../../src/shared/serialize';
import { stats } from '../../src/shared/stats';
import * as AS from '../agentops/semconv';
import { hrTimeFromNanos } from '../agentops/utils';
import { startAgentSpan, type AgentSpan } from '../genai/agent-span';
import { recordFinishedLlmCall } from '../genai/finished-call';
import { currentPlacement, startFrameworkSpan, type FrameworkSpan, type Placement } from '../genai/framework-span';
import { addParentResolver, type ParentInfo, type RecorderDeps } from '../genai/recorder';
import * as S from '../shared/semconv';
import { markSpanError } from '../genai/span-error';
import type { LlmRequest } from '../genai/types';
import { takeReactAgentName } from './react-agent';
import * as L from './semconv';
import * as U from './utils';

interface RunNode {
  /** `graph`: a LangGraph run whose kind (agent or chain) its first child's metadata tells. */
  kind: 'chain' | 'agent' | 'tool' | 'model' | 'pass' | 'graph';
  /** Where this run's children go. */
  place: Placement;
  /** Inside an agent's own graph (no tool run in between): a nested agent marker is the same agent. */
  inAgent: boolean;
  span?: FrameworkSpan;
  /** Our tool span, outside a session. */
  own?: Span;
  run?: AgentSpan;
  settle?: (failed: boolean, value: unknown) => void;
  request?: LlmRequest;
  startNs?: bigint;
  key?: Context;
  sdkSeen?: boolean;
  name?: string;
  runType?: string;
}

function noop(): void {}

export class AgentOpsCallbackHandler {
  readonly name = L.HANDLER_NAME;
  // LangChain awaits a handler with this set before it goes on, so a run is known before its body runs.
  readonly awaitHandlers = true;
  readonly raiseError = false;
  readonly ignoreLLM = false;
  readonly ignoreChain = false;
  readonly ignoreAgent = false;
  readonly ignoreRetriever = false;
  readonly ignoreRetry = true;
  readonly ignoreCustomEvent = true;
  private readonly nodes = new Map<string, RunNode>();
  private readonly pending = new WeakMap<Context, RunNode[]>();

  constructor(private readonly deps: RecorderDeps & { enabled(): boolean }) {
    addParentResolver(() => this.resolveParent());
  }

  /** Where an SDK LLM call made now belongs: under the model run it serves, if one is waiting for it. */
  resolveParent(): ParentInfo | undefined {
    const node = this.pending.get(context.active())?.find((n) => n.sdkSeen !== true);
    if (node === undefined) return undefined;
    node.sdkSeen = true;
    return { ctx: node.place.ctx, session: node.place.session, agentId: node.place.agentId };
  }

  handleChainStart(serialized: unknown, _inputs: unknown, runId: string, parentRunId?: string, tags?: string[], metadata?: Record<string, unknown>, runType?: string, runName?: string): void {
    this.guard('chain-start', () => this.startChain(serialized, runId, parentRunId, tags, metadata, runType, runName, 'chain'));
  }

  handleChainEnd(_outputs: unknown, runId: string): void {
    this.guard('chain-end', () => this.endRun(runId));
  }

  handleChainError(err: unknown, runId: string): void {
    this.guard('chain-error', () => this.endRun(runId, err ?? new Error('chain failed')));
  }

  handleRetrieverStart(serialized: unknown, _query: string, runId: string, parentRunId?: string, tags?: string[], metadata?: Record<string, unknown>, runName?: string): void {
    this.guard('retriever-start', () => this.startChain(serialized, runId, parentRunId, tags, metadata, 'retriever', runName, 'retrieve'));
  }

  handleRetrieverEnd(_documents: unknown, runId: string): void {
    this.guard('retriever-end', () => this.endRun(runId));
  }

  handleRetrieverError(err: unknown, runId: string): void {
    this.guard('retriever-error', () => this.endRun(runId, err ?? new Error('retriever failed')));
  }

  handleToolStart(serialized: unknown, input: string, runId: string, parentRunId?: string, _tags?: string[], metadata?: Record<string, unknown>, runName?: string, toolCallId?: string): void {
    this.guard('tool-start', () => this.startTool(serialized, input, runId, parentRunId, metadata, runName, toolCallId));
  }

  handleToolEnd(output: unknown, runId: string): void {
    this.guard('tool-end', () => this.endTool(runId, false, U.toolOutput(output)));
  }

  handleToolError(err: unknown, runId: string): void {
    this.guard('tool-error', () => this.endTool(runId, true, err ?? new Error('tool failed')));
  }

  handleChatModelStart(serialized: unknown, messages: unknown, runId: string, parentRunId?: string, extraParams?: Record<string, unknown>, _tags?: string[], metadata?: Record<string, unknown>): void {
    this.guard('model-start', () => this.startModel(U.modelRequest(serialized, extraParams, metadata, messages, true), runId, parentRunId, metadata));
  }

  handleLLMStart(serialized: unknown, prompts: unknown, runId: string, parentRunId?: string, extraParams?: Record<string, unknown>, _tags?: string[], metadata?: Record<string, unknown>): void {
    // A chat model with a handler lacking handleChatModelStart would come here too; ours has it.
    this.guard('model-start', () => this.startModel(U.modelRequest(serialized, extraParams, metadata, prompts, false), runId, parentRunId, metadata));
  }

  handleLLMEnd(output: unknown, runId: string): void {
    this.guard('model-end', () => this.endModel(runId, output));
  }

  handleLLMError(err: unknown, runId: string): void {
    this.guard('model-error', () => this.endModel(runId, undefined, err ?? new Error('model call failed')));
  }

  /** The node of a run's parent; a graph run still undecided is decided by this child's metadata. */
  private parentOf(parentRunId: string | undefined, metadata: unknown): RunNode | undefined {
    const node = parentRunId !== undefined ? this.nodes.get(parentRunId) : undefined;
    if (node?.kind === 'graph') this.decideGraph(node, parentRunId as string, metadata);
    return node;
  }

  /**
   * `createAgent`'s graph run carries no marker itself: its nodes' runs do (`ls_integration`), so
   * a graph run becomes an agent or a chain when its first child starts (or when it ends childless).
   */
  private decideGraph(node: RunNode, runId: string, metadata: unknown): void {
    const name = node.name ?? 'LangGraph';
    const agentName = U.agentNameOf(metadata, name);
    if (agentName !== undefined) {
      Object.assign(node, this.startAgent(agentName, node.place));
      return;
    }
    const span = this.chainSpan(`chain ${name}`, runId, node.runType, node.place, node.startNs);
    Object.assign(node, { kind: 'chain', place: span, span });
  }

  private chainSpan(name: string, runId: string, runType: string | undefined, place: Placement, startNs?: bigint): FrameworkSpan {
    const o = this.deps.options();
    return startFrameworkSpan(
      this.deps.tracer,
      name,
      { [ATTR_SERVICE_NAME]: o.serviceName, [AS.ATTR_SPAN_KIND]: L.SPAN_KIND_CHAIN, [L.ATTR_RUN_ID]: runId, ...(typeof runType === 'string' ? { [L.ATTR_RUN_TYPE]: runType } : {}) },
      place,
      startNs !== undefined ? hrTimeFromNanos(startNs) : undefined,
    );
  }

  private startChain(
    serialized: unknown,
    runId: string,
    parentRunId: string | undefined,
    tags: unknown,
    metadata: unknown,
    runType: string | undefined,
    given: string | undefined,
    prefix: string,
  ): void {
    if (!this.deps.enabled()) return;
    const parent = this.parentOf(parentRunId, metadata);
    const place = parent?.place ?? currentPlacement();
    const inAgent = parent?.inAgent ?? false;
    if (U.isHidden(tags)) {
      this.nodes.set(runId, { kind: 'pass', place, inAgent });
      return;
    }
    const name = U.runName(serialized, given);
    // A createReactAgent graph's own run (the first graph run of its token's context) is an agent.
    const reactAgent = prefix === 'chain' && U.isGraph(serialized) ? takeReactAgentName() : undefined;
    if (reactAgent !== undefined && !inAgent) {
      this.nodes.set(runId, this.startAgent(reactAgent, place));
      return;
    }
    if (prefix === 'chain' && !inAgent && U.isGraph(serialized)) {
      this.nodes.set(runId, { kind: 'graph', place, inAgent, name, runType, startNs: nowNs() });
      return;
    }
    const agentName = prefix === 'chain' && !inAgent ? U.agentNameOf(metadata, name) : undefined;
    if (agentName !== undefined) {
      this.nodes.set(runId, this.startAgent(agentName, place));
      return;
    }
    const span = this.chainSpan(`${prefix} ${name}`, runId, runType, place);
    this.nodes.set(runId, { kind: 'chain', place: span, inAgent, span });
  }

  private startAgent(name: string, place: Placement): RunNode {
    const run = startAgentSpan(this.deps.tracer, this.deps.options(), name, place);
    return { kind: 'agent', place: run.place, inAgent: true, run };
  }

  private endRun(runId: string, err?: unknown): void {
    const node = this.nodes.get(runId);
    this.nodes.delete(runId);
    if (node === undefined) return;
    if (node.kind === 'graph') this.decideGraph(node, runId, undefined);
    if (node.kind === 'chain') node.span?.end(err);
    if (node.kind === 'agent') node.run?.end(err);
  }

  private startTool(serialized: unknown, input: string, runId: string, parentRunId: string | undefined, metadata: unknown, given: string | undefined, toolCallId: string | undefined): void {
    if (!this.deps.enabled()) return;
    const parent = this.parentOf(parentRunId, metadata);
    const place = parent?.place ?? currentPlacement();
    const name = U.runName(serialized, given);
    const attributes: Record<string, string> = { [S.ATTR_GEN_AI_TOOL_NAME]: name };
    if (typeof toolCallId === 'string' && toolCallId !== '') attributes['gen_ai.tool.call.id'] = toolCallId;
    const params = parseInput(input);
    const session = place.session;
    if (session !== undefined && !session.ended) {
      let settle!: (failed: boolean, value: unknown) => void;
      const done = new Promise<unknown>((resolve, reject) => {
        settle = (failed, value) => (failed ? reject(value) : resolve(value));
      });
      let ctx = place.ctx;
      context.with(place.ctx, () => {
        const p = session.runEvent(new ToolEvent({ name, params, agentId: place.agentId, attributes }), () => {
          ctx = context.active();
          return done;
        }) as unknown;
        if (p instanceof Promise) p.then(noop, noop);
      });
      this.nodes.set(runId, { kind: 'tool', place: { ctx, session, agentId: place.agentId }, inAgent: false, settle });
      return;
    }
    const o = this.deps.options();
    stats.spanCreated('tools');
    const own = this.deps.tracer.startSpan(
      `${S.OPERATION_EXECUTE_TOOL} ${name}`,
      {
        kind: SpanKind.INTERNAL,
        attributes: {
          [ATTR_SERVICE_NAME]: o.serviceName,
          [AS.ATTR_SPAN_KIND]: 'tools',
          [S.ATTR_GEN_AI_OPERATION_NAME]: S.OPERATION_EXECUTE_TOOL,
          ...attributes,
          ...(o.captureContent ? { [S.ATTR_GEN_AI_TOOL_CALL_ARGUMENTS]: toAttributeText(input, o.maxAttributeLength) } : {}),
        },
      },
      place.ctx,
    );
    this.nodes.set(runId, { kind: 'tool', place: { ctx: trace.setSpan(place.ctx, own), session: undefined, agentId: place.agentId }, inAgent: false, own });
  }

  private endTool(runId: string, failed: boolean, value: unknown): void {
    const node = this.nodes.get(runId);
    this.nodes.delete(runId);
    if (node === undefined) return;
    if (node.settle !== undefined) {
      node.settle(failed, value);
      return;
    }
    const span = node.own;
    if (span === undefined) return;
    const o = this.deps.options();
    if (failed) {
      markSpanError(span, value, o.captureContent);
    } else if (o.captureContent && value !== undefined) {
      span.setAttribute(S.ATTR_GEN_AI_TOOL_CALL_RESULT, toAttributeText(value, o.maxAttributeLength));
    }
    span.end();
  }

  private startModel(request: LlmRequest, runId: string, parentRunId: string | undefined, metadata: unknown): void {
    if (!this.deps.enabled()) return;
    const parent = this.parentOf(parentRunId, metadata);
    const place = parent?.place ?? currentPlacement();
    const key = context.active();
    const node: RunNode = { kind: 'model', place, inAgent: parent?.inAgent ?? false, request, startNs: nowNs(), key };
    this.nodes.set(runId, node);
    const list = this.pending.get(key);
    if (list === undefined) this.pending.set(key, [node]);
    else list.push(node);
  }

  private endModel(runId: string, output: unknown, err?: unknown): void {
    const node = this.nodes.get(runId);
    this.nodes.delete(runId);
    if (node === undefined || node.kind !== 'model' || node.key === undefined) return;
    const list = this.pending.get(node.key);
    const i = list?.indexOf(node) ?? -1;
    if (list !== undefined && i >= 0) list.splice(i, 1);
    if (node.sdkSeen === true || node.request === undefined || node.startNs === undefined) return;
    const outcome = output !== undefined ? U.modelOutcome(output, this.deps.options().captureContent) : { usage: {} };
    recordFinishedLlmCall(this.deps, node.request, node.place, node.startNs, outcome, err);
  }

  private guard(what: string, fn: () => void): void {
    try {
      fn();
    } catch (err) {
      logger.limited('warn', `langchain:${what}`, `tracing a LangChain ${what} failed; the app is unaffected`, { error: err });
    }
  }
}

function parseInput(input: unknown): unknown {
  if (typeof input !== 'string') return input;
  try {
    return JSON.parse(input) as unknown;
  } catch {
    return input;
  }
}
