/**
 * LangGraph's prebuilt `createReactAgent` builds a plain compiled graph: none of its runs says it
 * is an agent (unlike `langchain`'s `createAgent`, whose runs carry `ls_integration`). So the
 * factory is wrapped: the graph it returns is marked, and each run of a marked graph starts in an
 * OpenTelemetry context holding a token with the agent's name. The callback handler takes the
 * token at the first graph run that starts in that context (the agent's own run) and makes it an
 * agent; graphs run later inside it (a tool's own graph) find the token taken.
 *
 * The mark is two non-enumerable own methods of the graph (`stream`, which `invoke`, `batch` and
 * `streamEvents` all go through, and `withConfig`, whose copy is marked too): they call the
 * graph's own methods, and the app gets the same values and errors.
 */
import { context, createContextKey } from '@opentelemetry/api';
import { logger } from '../../src/shared/logger';

type AnyFn = (...args: any[]) => any; // eslint-disable-line @typescript-eslint/no-explicit-any

const TOKEN_KEY = createContextKey('agentops-otel.langchain.react-agent');

interface Token {
  name: string;
  taken: boolean;
}

const marked = new WeakSet<object>();

/** The agent name of the marked graph run starting now, once; undefined for any other run. */
export function takeReactAgentName(): string | undefined {
  const token = context.active().getValue(TOKEN_KEY) as Token | undefined;
  if (token === undefined || token.taken) return undefined;
  token.taken = true;
  return token.name;
}

/** The name the agent goes by: the one it was created with, else the graph's. */
function agentName(params: unknown, graph: unknown): string {
  const given = (params as { name?: unknown } | null | undefined)?.name;
  if (typeof given === 'string' && given !== '') return given;
  const own = (graph as { name?: unknown }).name;
  return typeof own === 'string' && own !== '' ? own : 'react_agent';
}

function defineMethod(target: object, key: string, fn: AnyFn): void {
  Object.defineProperty(target, key, { value: fn, enumerable: false, configurable: true, writable: true });
}

function mark(graph: unknown, name: string): void {
  if (graph === null || typeof graph !== 'object' || marked.has(graph)) return;
  const g = graph as Record<string, unknown>;
  const stream = g.stream;
  const withConfig = g.withConfig;
  if (typeof stream !== 'function') return;
  marked.add(graph);
  defineMethod(graph, 'stream', function (this: unknown, ...args: unknown[]) {
    const token: Token = { name, taken: false };
    return context.with(context.active().setValue(TOKEN_KEY, token), () => (stream as AnyFn).apply(this, args));
  });
  if (typeof withConfig === 'function') {
    defineMethod(graph, 'withConfig', function (this: unknown, ...args: unknown[]) {
      const copy = (withConfig as AnyFn).apply(this, args) as unknown;
      mark(copy, name);
      return copy;
    });
  }
}

/** `createReactAgent`, returning the very graph it built, marked. */
export function wrapCreateReactAgent(original: AnyFn): AnyFn {
  return function createReactAgent(this: unknown, ...args: unknown[]) {
    const graph = original.apply(this, args) as unknown;
    try {
      mark(graph, agentName(args[0], graph ?? {}));
    } catch (err) {
      logger.limited('warn', 'langchain:react-agent', 'marking a createReactAgent graph failed; it runs as a plain graph', { error: err });
    }
    return graph;
  };
}
