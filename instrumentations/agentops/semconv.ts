/** Attribute names: the OpenTelemetry GenAI conventions next to our own `agentops.*` ones. */
export const ATTR_SERVICE_NAME = 'service.name';

export const ATTR_GEN_AI_OPERATION_NAME = 'gen_ai.operation.name';
export const ATTR_GEN_AI_PROVIDER_NAME = 'gen_ai.provider.name';
export const ATTR_GEN_AI_CONVERSATION_ID = 'gen_ai.conversation.id';
export const ATTR_GEN_AI_AGENT_ID = 'gen_ai.agent.id';
export const ATTR_GEN_AI_AGENT_NAME = 'gen_ai.agent.name';
export const ATTR_GEN_AI_REQUEST_MODEL = 'gen_ai.request.model';
export const ATTR_GEN_AI_RESPONSE_MODEL = 'gen_ai.response.model';
export const ATTR_GEN_AI_USAGE_INPUT_TOKENS = 'gen_ai.usage.input_tokens';
export const ATTR_GEN_AI_USAGE_OUTPUT_TOKENS = 'gen_ai.usage.output_tokens';
export const ATTR_GEN_AI_USAGE_CACHE_READ_INPUT_TOKENS = 'gen_ai.usage.cache_read.input_tokens';
export const ATTR_GEN_AI_USAGE_CACHE_CREATION_INPUT_TOKENS = 'gen_ai.usage.cache_creation.input_tokens';
export const ATTR_GEN_AI_TOOL_NAME = 'gen_ai.tool.name';
export const ATTR_ERROR_TYPE = 'error.type';

export const GEN_AI_OPERATION_CHAT = 'chat';
export const GEN_AI_OPERATION_INVOKE_AGENT = 'invoke_agent';
export const GEN_AI_OPERATION_EXECUTE_TOOL = 'execute_tool';

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
export const ATTR_USAGE_COST = 'agentops.usage.cost_usd';
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
