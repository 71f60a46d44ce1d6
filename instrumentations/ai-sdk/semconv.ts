/** Names specific to the Vercel AI SDK instrumentation. */
export const INSTRUMENTATION_NAME = 'agentops-otel/instrumentation-ai-sdk';
export const MODULE_NAME = 'ai';
/** Majors whose calls are traced (tested with 6.x on Node 20 and 7.x on Node 22 and later). */
export const SUPPORTED_MAJORS = [6, 7] as const;

/** `agentops.span.kind` of the span an AI SDK call (generateText, streamText, ...) gets. */
export const SPAN_KIND_AI_SDK_CALL = 'ai_sdk.call';
export const ATTR_AI_SDK_OPERATION = 'agentops.ai_sdk.operation';
export const ATTR_AI_SDK_STEPS = 'agentops.ai_sdk.steps';
/** The AI SDK provider a call went through when it is not the model's own (the AI Gateway). */
export const ATTR_AI_SDK_PROVIDER = 'agentops.ai_sdk.provider';
export const ATTR_GEN_AI_TOOL_CALL_ID = 'gen_ai.tool.call.id';
export const ATTR_GEN_AI_TOOL_TYPE = 'gen_ai.tool.type';

/** The functions traced, and the model method each one's model is called through. */
export const TEXT_FUNCTIONS = ['generateText', 'streamText', 'generateObject', 'streamObject'] as const;
export const EMBED_FUNCTIONS = ['embed', 'embedMany'] as const;
export const STREAMING_FUNCTIONS: ReadonlySet<string> = new Set(['streamText', 'streamObject']);

/** The agent class (also exported as `Experimental_Agent`) and its traced methods. */
export const AGENT_CLASS = 'ToolLoopAgent';
export const AGENT_METHODS = ['generate', 'stream'] as const;
