/** Names specific to the @google/genai instrumentation. */
export const INSTRUMENTATION_NAME = 'agentops-otel/instrumentation-google-genai';
export const MODULE_NAME = '@google/genai';
/** 1.x and 2.x (tested with 2.32); 3.x needs Node >= 22 but has the same shape. */
export const SUPPORTED_VERSIONS = ['>=1.0.0 <4'];
