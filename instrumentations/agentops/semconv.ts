/**
 * Our own `agentops.*` attribute names. The OpenTelemetry names come from
 * `@opentelemetry/semantic-conventions` (stable ones) and ../shared/semconv.ts (GenAI, incubating).
 */

export const ATTR_SESSION_ID = 'agentops.session.id';
export const ATTR_SESSION_TAGS = 'agentops.session.tags';
export const ATTR_SESSION_END_STATE = 'agentops.session.end_state';
export const ATTR_SESSION_END_STATE_REASON = 'agentops.session.end_state_reason';
export const ATTR_SESSION_EVENT_COUNTS_PREFIX = 'agentops.session.event_counts.';
export const ATTR_SPAN_KIND = 'agentops.span.kind';
export const ATTR_EVENT_ID = 'agentops.event.id';
export const ATTR_EVENT_TYPE = 'agentops.event.type';
export const ATTR_EVENT_PARAMS = 'agentops.event.params';
export const ATTR_EVENT_RETURNS = 'agentops.event.returns';
export const ATTR_EVENT_INCOMPLETE = 'agentops.event.incomplete';
export const ATTR_AGENT_ID = 'agentops.agent.id';
export const ATTR_AGENT_NAME = 'agentops.agent.name';
export const ATTR_LLM_PROMPT = 'agentops.llm.prompt';
export const ATTR_LLM_COMPLETION = 'agentops.llm.completion';
export const ATTR_LLM_THREAD_ID = 'agentops.llm.thread_id';
/** Set where LLM event spans are priced (src/shared/llm-span-cost.ts). */
export { ATTR_USAGE_COST } from '../../src/shared/llm-span-cost';
export const ATTR_ACTION_TYPE = 'agentops.action.type';
export const ATTR_LOGS = 'agentops.event.logs';
export const ATTR_SCREENSHOT = 'agentops.action.screenshot';
export const ATTR_ERROR_CODE = 'agentops.error.code';
export const ATTR_ERROR_DETAILS = 'agentops.error.details';
export const ATTR_ERROR_TRIGGER_EVENT_ID = 'agentops.error.trigger_event.id';
export const ATTR_ERROR_TRIGGER_EVENT_TYPE = 'agentops.error.trigger_event.type';

/** Values of `agentops.span.kind`: which part of the AgentOps model a span stands for. */
export const SPAN_KIND_SESSION = 'session';
export const SPAN_KIND_AGENT = 'agent';
