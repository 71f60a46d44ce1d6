/**
 * The AI SDK's `ToolLoopAgent` (`Experimental_Agent`): each `generate()` / `stream()` is an agent
 * run, `invoke_agent {id}` (genai/agent-span.ts), with one LLM span per model request and one tool
 * span per tool execution under it. The agent calls the SDK's generateText / streamText from inside
 * the module, not the exported functions the preload wraps, so the run is traced here instead, by
 * the same model proxy and tool copies a traced call uses.
 *
 * The method runs on a shadow of the agent (an object whose prototype is the agent): its
 * `prepareCall` returns the agent's prepared call with the model (a string id resolved, resolve.ts)
 * and the tools traced, and for `stream()` its settings chain the end callbacks. The agent object
 * itself is never changed, and the app gets what the method returns.
 */
import { ATTR_SERVICE_NAME } from '@opentelemetry/semantic-conventions';
import { logger } from '../../src/shared/logger';
import { startAgentSpan, type AgentSpan } from '../genai/agent-span';
import { currentPlacement } from '../genai/framework-span';
import * as S from '../shared/semconv';
import { chain, endWhenDropped, stepsOf, wrapTools, type CallDeps } from './call';
import { wrapModel } from './model';
import { resolveModelId } from './resolve';
import * as A from './semconv';

type AnyFn = (...args: any[]) => any; // eslint-disable-line @typescript-eslint/no-explicit-any

interface AgentLike {
  settings?: Record<string, unknown>;
  prepareCall?: AnyFn;
  constructor?: { name?: unknown };
}

function agentName(agent: AgentLike): string {
  const id = agent.settings?.id;
  if (typeof id === 'string' && id !== '') return id;
  const cls = agent.constructor?.name;
  return typeof cls === 'string' && cls !== '' ? cls : 'agent';
}

/** The agent as its method should see it for this run: traced model and tools, and for a stream the end callbacks chained. */
function shadowOf(deps: CallDeps, agent: AgentLike, run: AgentSpan, streaming: boolean): object {
  const settings: Record<string, unknown> = { ...agent.settings };
  if (streaming) {
    const done = (): void => run.end();
    // ai 6 passes `onFinish` on to streamText, ai 7 `onEnd`; each ignores the other.
    settings.onFinish = chain(done, settings.onFinish);
    settings.onEnd = chain(done, settings.onEnd);
    settings.onAbort = chain(() => run.end(undefined, { [S.ATTR_LLM_STREAM_ABANDONED]: true }), settings.onAbort);
  }
  const prepareCall = agent.prepareCall;
  const shadow: object = Object.create(agent, {
    settings: { value: settings },
    prepareCall: {
      value: async function (this: unknown, ...args: unknown[]) {
        const prepared = (await (prepareCall as AnyFn).apply(shadow, args)) as Record<string, unknown>;
        try {
          const model = resolveModelId(prepared.model, 'language', deps.provider());
          const traced: Record<string, unknown> = { ...prepared, model: wrapModel(model, run.place, deps, { onFailure: streaming ? (err) => run.end(err) : undefined }) };
          if (prepared.tools !== undefined) traced.tools = wrapTools(prepared.tools, run.place, deps);
          return traced;
        } catch (err) {
          logger.limited('warn', 'ai-sdk-agent', 'tracing an AI SDK agent call failed; the call is unaffected', { error: err });
          return prepared;
        }
      },
    },
  });
  return shadow;
}

/** Runs `ToolLoopAgent.prototype.generate` / `.stream` (`original`) on `agent` as a traced agent run. */
export function traceAgentCall(deps: CallDeps, method: 'generate' | 'stream', original: AnyFn, agent: AgentLike, args: unknown[]): unknown {
  const streaming = method === 'stream';
  let run: AgentSpan | undefined;
  let shadow: object | undefined;
  try {
    if (typeof agent?.prepareCall !== 'function' || agent.settings === null || typeof agent.settings !== 'object') return original.apply(agent, args);
    const o = deps.options();
    run = startAgentSpan(deps.getTracer(), o, agentName(agent), currentPlacement(), { [ATTR_SERVICE_NAME]: o.serviceName, [A.ATTR_AI_SDK_OPERATION]: `agent.${method}` });
    shadow = shadowOf(deps, agent, run, streaming);
  } catch (err) {
    run?.end();
    logger.limited('warn', 'ai-sdk-agent', 'tracing an AI SDK agent call failed; the call is unaffected', { error: err });
    return original.apply(agent, args);
  }
  const r = run;
  let result: unknown;
  try {
    result = r.run(() => original.apply(shadow, args));
  } catch (err) {
    r.end(err);
    throw err;
  }
  if (result === null || typeof (result as PromiseLike<unknown>)?.then !== 'function') {
    r.end();
    return result;
  }
  (result as PromiseLike<unknown>).then(
    (value) => {
      if (!streaming) r.end(undefined, stepsOf(value));
      else if (value !== null && typeof value === 'object') endWhenDropped(value, () => r.end(undefined, { [S.ATTR_LLM_STREAM_ABANDONED]: true }));
      else r.end();
    },
    (err: unknown) => r.end(err),
  );
  return result;
}
