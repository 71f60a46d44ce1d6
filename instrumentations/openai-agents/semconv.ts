/** Names specific to the OpenAI Agents SDK instrumentation. */
export const INSTRUMENTATION_NAME = 'agentops-otel/instrumentation-openai-agents';
export const MODULE_NAME = '@openai/agents-core';
export const SUPPORTED_VERSIONS = ['>=0.1.0 <1'];
/** Where agents-core keeps its AsyncLocalStorage and trace provider: shared by its CJS and ESM builds. */
export const AGENTS_ALS_SYMBOL = Symbol.for('openai.agents.core.asyncLocalStorage');
export const PROCESSOR_SYMBOL = Symbol.for('agentops-otel.openai-agents.processor');

export const ATTR_HANDOFF_FROM = 'agentops.handoff.from_agent';
export const ATTR_HANDOFF_TO = 'agentops.handoff.to_agent';
export const ATTR_AGENT_TOOLS = 'agentops.agent.tools';
export const ATTR_AGENT_HANDOFFS = 'agentops.agent.handoffs';
export const ATTR_AGENT_OUTPUT_TYPE = 'agentops.agent.output_type';
export const ATTR_WORKFLOW_NAME = 'agentops.workflow.name';
export const ATTR_WORKFLOW_GROUP_ID = 'agentops.workflow.group_id';
export const SPAN_KIND_WORKFLOW = 'workflow';
export const SPAN_KIND_HANDOFF = 'handoff';
