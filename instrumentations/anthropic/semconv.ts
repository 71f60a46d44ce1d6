/** Names specific to the Anthropic instrumentation. */
export const INSTRUMENTATION_NAME = 'agentops-otel/instrumentation-anthropic';
export const MODULE_NAME = '@anthropic-ai/sdk';
export const SUPPORTED_VERSIONS = ['>=0.20.0 <2'];
