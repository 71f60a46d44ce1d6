/**
 * Pure mapping from the AgentOps model to span names and attributes. No tracer here, so it is
 * unit-tested directly. Events are read by their `eventType` and fields, never by `instanceof`:
 * the client we patch may be another copy of the package than this one.
 */
import type { Attributes, HrTime } from '@opentelemetry/api';
import { ATTR_ERROR_TYPE, ATTR_SERVICE_NAME } from '@opentelemetry/semantic-conventions';
import type { Agent, ActionEvent, ErrorEvent, Event, LLMEvent, Session, ToolEvent } from '../../src/client';
import { safeJson, toAttributeText, truncateText } from '../../src/shared/serialize';
import { addLlmSpanCost } from '../../src/shared/llm-span-cost';
import type { PriceTable } from '../../src/shared/prices';
import * as AS from './semconv';
import type { ContentOptions } from '../../src/config/defaults';
import * as S from '../shared/semconv';

export interface MappingOptions extends ContentOptions {
  /** AGENTOPS_PRICE_TABLE overrides; the built-in prices apply either way. */
  prices?: Readonly<PriceTable>;
  /** The export engine prices LLM events' spans off the app's thread: none is priced here. */
  costInExport?: boolean;
}

const NS_PER_S = 1_000_000_000n;

/** Exact: a bigint of nanoseconds becomes [seconds, nanoseconds] with no float in between. */
export function hrTimeFromNanos(ns: bigint): HrTime {
  return [Number(ns / NS_PER_S), Number(ns % NS_PER_S)];
}

export function sessionSpanAttributes(session: Session, o: MappingOptions): Attributes {
  return {
    [ATTR_SERVICE_NAME]: o.serviceName,
    [AS.ATTR_SPAN_KIND]: AS.SPAN_KIND_SESSION,
    [AS.ATTR_SESSION_ID]: session.id,
    [S.ATTR_GEN_AI_CONVERSATION_ID]: session.id,
    [AS.ATTR_SESSION_TAGS]: session.tags.slice(),
  };
}

export function sessionEndAttributes(session: Session): Attributes {
  const attrs: Attributes = {
    [AS.ATTR_SESSION_END_STATE]: session.endState ?? 'Indeterminate',
  };
  if (session.endStateReason !== undefined) attrs[AS.ATTR_SESSION_END_STATE_REASON] = truncateText(session.endStateReason, 4096);
  const counts = session.eventCounts as unknown as Record<string, number>;
  for (const k of Object.keys(counts)) attrs[AS.ATTR_SESSION_EVENT_COUNTS_PREFIX + k] = counts[k];
  return attrs;
}

export function agentSpanName(agent: Agent): string {
  return `${S.OPERATION_INVOKE_AGENT} ${agent.name}`;
}

export function agentSpanAttributes(agent: Agent, session: Session, o: MappingOptions): Attributes {
  return {
    [ATTR_SERVICE_NAME]: o.serviceName,
    [AS.ATTR_SPAN_KIND]: AS.SPAN_KIND_AGENT,
    [S.ATTR_GEN_AI_OPERATION_NAME]: S.OPERATION_INVOKE_AGENT,
    [AS.ATTR_SESSION_ID]: session.id,
    [S.ATTR_GEN_AI_CONVERSATION_ID]: session.id,
    [AS.ATTR_AGENT_ID]: agent.id,
    [AS.ATTR_AGENT_NAME]: agent.name,
    [S.ATTR_GEN_AI_AGENT_ID]: agent.id,
    [S.ATTR_GEN_AI_AGENT_NAME]: agent.name,
  };
}

export function eventSpanName(event: Event): string {
  switch (event.eventType) {
    case 'llms': {
      const model = (event as LLMEvent).model;
      // An LLM instrumentation may name another operation (`embeddings`) in the event's attributes.
      const op = event.attributes?.[S.ATTR_GEN_AI_OPERATION_NAME];
      const operation = typeof op === 'string' && op !== '' ? op : S.OPERATION_CHAT;
      return typeof model === 'string' && model !== '' ? `${operation} ${model}` : operation;
    }
    case 'tools': {
      const name = (event as ToolEvent).name;
      return typeof name === 'string' && name !== '' ? `${S.OPERATION_EXECUTE_TOOL} ${name}` : S.OPERATION_EXECUTE_TOOL;
    }
    case 'actions': {
      const type = (event as ActionEvent).actionType;
      return typeof type === 'string' && type !== '' ? `action ${type}` : 'action';
    }
    case 'errors': {
      const type = (event as ErrorEvent).errorType;
      return typeof type === 'string' && type !== '' ? `error ${type}` : 'error';
    }
    default:
      return String(event.eventType);
  }
}

/** Attributes known when the span starts (enough for samplers and for a span ended later); no session: an event outside any. */
export function eventStartAttributes(event: Event, session: Session | undefined, agent: Agent | undefined, o: MappingOptions): Attributes {
  const attrs: Attributes = {
    [ATTR_SERVICE_NAME]: o.serviceName,
    [AS.ATTR_SPAN_KIND]: String(event.eventType),
    [AS.ATTR_EVENT_ID]: event.id,
    [AS.ATTR_EVENT_TYPE]: String(event.eventType),
  };
  if (session !== undefined) {
    attrs[AS.ATTR_SESSION_ID] = session.id;
    attrs[S.ATTR_GEN_AI_CONVERSATION_ID] = session.id;
  }
  if (event.agentId !== undefined) {
    attrs[AS.ATTR_AGENT_ID] = String(event.agentId);
    attrs[S.ATTR_GEN_AI_AGENT_ID] = String(event.agentId);
  }
  if (agent !== undefined) attrs[S.ATTR_GEN_AI_AGENT_NAME] = agent.name;
  return attrs;
}

/** Everything else, read when the event is recorded (its result is known by then), added to `attrs`. */
export function eventEndAttributes(event: Event, o: MappingOptions, attrs: Attributes): Attributes {
  const content = o.captureContent;
  const max = o.maxAttributeLength;
  if (event.agentId !== undefined) {
    attrs[AS.ATTR_AGENT_ID] = String(event.agentId);
    attrs[S.ATTR_GEN_AI_AGENT_ID] = String(event.agentId);
  }
  if (content) {
    if (event.params !== undefined) attrs[AS.ATTR_EVENT_PARAMS] = toAttributeText(event.params, max);
    if (event.returns !== undefined) attrs[AS.ATTR_EVENT_RETURNS] = toAttributeText(event.returns, max);
  }
  switch (event.eventType) {
    case 'llms': {
      const e = event as LLMEvent;
      attrs[S.ATTR_GEN_AI_OPERATION_NAME] = S.OPERATION_CHAT;
      if (typeof e.model === 'string' && e.model !== '') attrs[S.ATTR_GEN_AI_REQUEST_MODEL] = e.model;
      if (isCount(e.promptTokens)) attrs[S.ATTR_GEN_AI_USAGE_INPUT_TOKENS] = e.promptTokens;
      if (isCount(e.completionTokens)) attrs[S.ATTR_GEN_AI_USAGE_OUTPUT_TOKENS] = e.completionTokens;
      if (isCount(e.cost)) attrs[AS.ATTR_USAGE_COST] = e.cost;
      if (e.threadId !== undefined) attrs[AS.ATTR_LLM_THREAD_ID] = String(e.threadId);
      if (content) {
        if (e.prompt !== undefined) attrs[AS.ATTR_LLM_PROMPT] = toAttributeText(e.prompt, max);
        if (e.completion !== undefined) attrs[AS.ATTR_LLM_COMPLETION] = toAttributeText(e.completion, max);
      }
      break;
    }
    case 'tools': {
      const e = event as ToolEvent;
      attrs[S.ATTR_GEN_AI_OPERATION_NAME] = S.OPERATION_EXECUTE_TOOL;
      if (e.name !== undefined) attrs[S.ATTR_GEN_AI_TOOL_NAME] = String(e.name);
      if (content && e.logs !== undefined) attrs[AS.ATTR_LOGS] = toAttributeText(e.logs, max);
      break;
    }
    case 'actions': {
      const e = event as ActionEvent;
      if (e.actionType !== undefined) attrs[AS.ATTR_ACTION_TYPE] = String(e.actionType);
      if (content && e.logs !== undefined) attrs[AS.ATTR_LOGS] = toAttributeText(e.logs, max);
      if (content && e.screenshot !== undefined) attrs[AS.ATTR_SCREENSHOT] = truncateText(String(e.screenshot), max);
      break;
    }
    case 'errors': {
      const e = event as ErrorEvent;
      attrs[ATTR_ERROR_TYPE] = e.errorType !== undefined ? String(e.errorType) : '_OTHER';
      if (e.code !== undefined) attrs[AS.ATTR_ERROR_CODE] = String(e.code);
      if (content && e.details !== undefined) attrs[AS.ATTR_ERROR_DETAILS] = toAttributeText(e.details, max);
      if (content && e.logs !== undefined) attrs[AS.ATTR_LOGS] = toAttributeText(e.logs, max);
      if (e.triggerEvent !== undefined && e.triggerEvent !== null) {
        attrs[AS.ATTR_ERROR_TRIGGER_EVENT_ID] = String(e.triggerEvent.id);
        attrs[AS.ATTR_ERROR_TRIGGER_EVENT_TYPE] = String(e.triggerEvent.eventType);
      }
      break;
    }
  }
  copyExtraAttributes(event, attrs, content, max);
  // Priced from the attributes as the span shows them, the provider and cache counts included.
  if (!o.costInExport) addLlmSpanCost(attrs, o.prices);
  return attrs;
}

/**
 * Instrumentations attach provider details (`gen_ai.*`, `server.*`) through `event.attributes`.
 * Keys marked as content by the caller's naming (messages) are dropped when capture is off.
 */
function copyExtraAttributes(event: Event, attrs: Attributes, content: boolean, max: number): void {
  const extra = event.attributes;
  if (extra === undefined || extra === null || typeof extra !== 'object') return;
  for (const key of Object.keys(extra)) {
    const v = extra[key];
    if (v === undefined || v === null) continue;
    if (!content && isContentKey(key)) continue;
    if (typeof v === 'string') attrs[key] = truncateText(v, max);
    else if (typeof v === 'number' || typeof v === 'boolean') attrs[key] = v;
    else if (Array.isArray(v)) attrs[key] = v.filter((x) => typeof x === 'string' || typeof x === 'number' || typeof x === 'boolean') as string[];
  }
}

const CONTENT_KEYS = /(\.messages$|\.system_instructions$|\.prompt$|\.completion$|\.arguments$|\.result$|\.content$)/;
export function isContentKey(key: string): boolean {
  return CONTENT_KEYS.test(key);
}

/** A thrown non-Error as text; String() itself may throw (a hostile toString). */
export function exceptionText(value: unknown): string {
  try {
    return typeof value === 'string' ? value : safeJson(value, 4096);
  } catch {
    return '[unprintable]';
  }
}

function isCount(n: unknown): n is number {
  return typeof n === 'number' && Number.isFinite(n) && n >= 0;
}
