/** Pure mapping from @openai/agents span data to span names and attributes. */
import type { Attributes } from '@opentelemetry/api';
import { ATTR_SERVICE_NAME } from '@opentelemetry/semantic-conventions';
import * as AS from '../agentops/semconv';
import * as S from '../shared/semconv';
import { toAttributeText } from '../../src/shared/serialize';
import * as G from './semconv';
import type { AgentsSpan } from './types';
import type { ContentOptions } from '../../src/config/defaults';

export type AgentsMapping = ContentOptions;

function str(v: unknown): string | undefined {
  return typeof v === 'string' && v !== '' ? v : undefined;
}

function strings(v: unknown): string[] | undefined {
  return Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string') : undefined;
}

export function agentName(span: AgentsSpan): string {
  return str(span.spanData.name) ?? 'agent';
}

export function agentSpanName(span: AgentsSpan): string {
  return `${S.OPERATION_INVOKE_AGENT} ${agentName(span)}`;
}

/** What an agent span says beyond its name: its tools, handoffs and output type. */
export function agentDetailAttributes(span: AgentsSpan): Attributes {
  const d = span.spanData;
  const attrs: Attributes = {};
  const tools = strings(d.tools);
  const handoffs = strings(d.handoffs);
  if (tools !== undefined) attrs[G.ATTR_AGENT_TOOLS] = tools;
  if (handoffs !== undefined) attrs[G.ATTR_AGENT_HANDOFFS] = handoffs;
  const out = str(d.output_type);
  if (out !== undefined) attrs[G.ATTR_AGENT_OUTPUT_TYPE] = out;
  return attrs;
}

export function agentSpanAttributes(span: AgentsSpan, o: AgentsMapping): Attributes {
  return {
    [ATTR_SERVICE_NAME]: o.serviceName,
    [AS.ATTR_SPAN_KIND]: AS.SPAN_KIND_AGENT,
    [S.ATTR_GEN_AI_OPERATION_NAME]: S.OPERATION_INVOKE_AGENT,
    [S.ATTR_GEN_AI_AGENT_NAME]: agentName(span),
    [AS.ATTR_AGENT_NAME]: agentName(span),
    ...agentDetailAttributes(span),
  };
}

export function toolName(span: AgentsSpan): string {
  return str(span.spanData.name) ?? 'tool';
}

export function toolSpanName(span: AgentsSpan): string {
  return `${S.OPERATION_EXECUTE_TOOL} ${toolName(span)}`;
}

export function toolStartAttributes(span: AgentsSpan, o: AgentsMapping): Attributes {
  return {
    [ATTR_SERVICE_NAME]: o.serviceName,
    [AS.ATTR_SPAN_KIND]: 'tools',
    [S.ATTR_GEN_AI_OPERATION_NAME]: S.OPERATION_EXECUTE_TOOL,
    [S.ATTR_GEN_AI_TOOL_NAME]: toolName(span),
  };
}

/** Arguments and result of a tool call: content, so only when capture is on. */
export function toolContentAttributes(span: AgentsSpan, o: AgentsMapping): Attributes {
  if (!o.captureContent) return {};
  const attrs: Attributes = {};
  const input = span.spanData.input;
  const output = span.spanData.output;
  if (input !== undefined && input !== null && input !== '') attrs[S.ATTR_GEN_AI_TOOL_CALL_ARGUMENTS] = toAttributeText(input, o.maxAttributeLength);
  if (output !== undefined && output !== null && output !== '') attrs[S.ATTR_GEN_AI_TOOL_CALL_RESULT] = toAttributeText(output, o.maxAttributeLength);
  return attrs;
}

/** Tool input as the model sent it (a JSON string): parsed when it is JSON. */
export function parseToolInput(input: unknown): unknown {
  if (typeof input !== 'string') return input;
  try {
    return JSON.parse(input);
  } catch {
    return input;
  }
}

export function handoffNames(span: AgentsSpan): { from: string | undefined; to: string | undefined } {
  return { from: str(span.spanData.from_agent), to: str(span.spanData.to_agent) };
}

export function handoffSpanName(span: AgentsSpan): string {
  const { from, to } = handoffNames(span);
  return `handoff ${from ?? '?'} -> ${to ?? '?'}`;
}

export function handoffAttributes(span: AgentsSpan): Attributes {
  const { from, to } = handoffNames(span);
  const attrs: Attributes = {};
  if (from !== undefined) attrs[G.ATTR_HANDOFF_FROM] = from;
  if (to !== undefined) attrs[G.ATTR_HANDOFF_TO] = to;
  return attrs;
}

/** ISO timestamp of the agents SDK as epoch milliseconds (an OTel TimeInput), or undefined. */
export function isoToMillis(iso: string | null | undefined): number | undefined {
  if (typeof iso !== 'string') return undefined;
  const ms = Date.parse(iso);
  return Number.isFinite(ms) ? ms : undefined;
}

/** Span types that stand for a model call or another step with no span of its own: they resolve to their parent. */
export function isPassThrough(type: string): boolean {
  return type !== 'agent' && type !== 'function' && type !== 'handoff';
}
