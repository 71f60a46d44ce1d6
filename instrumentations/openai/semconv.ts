/** Names specific to the OpenAI instrumentation. */
export const INSTRUMENTATION_NAME = 'agentops-otel/instrumentation-openai';
export const MODULE_NAME = 'openai';
/** openai v4 through v7 (v7 needs Node >= 22 but has the same shape). */
export const SUPPORTED_VERSIONS = ['>=4.0.0 <8'];
/** The provider name the conventions give Azure OpenAI. */
export const PROVIDER_AZURE_OPENAI = 'azure.ai.openai';
export const ATTR_OPENAI_REQUEST_SERVICE_TIER = 'openai.request.service_tier';
export const ATTR_OPENAI_RESPONSE_SERVICE_TIER = 'openai.response.service_tier';
export const ATTR_OPENAI_RESPONSE_SYSTEM_FINGERPRINT = 'openai.response.system_fingerprint';
