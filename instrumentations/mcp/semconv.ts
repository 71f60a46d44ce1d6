/**
 * Names for the MCP instrumentation: the OpenTelemetry MCP conventions (semantic-conventions-genai,
 * docs/gen-ai/mcp.md, status: development) that @opentelemetry/semantic-conventions does not export,
 * and where the SDK keeps the code we patch.
 */
export const INSTRUMENTATION_NAME = 'agentops-otel/instrumentation-mcp';
export const MODULE_NAME = '@modelcontextprotocol/sdk';

/**
 * 1.2 is the first release with separate CommonJS and ESM builds (`dist/cjs`, `dist/esm`); tested
 * with 1.32. utils.isSupportedVersion() decides; this is how messages and docs say it.
 */
export const SUPPORTED_VERSIONS_TEXT = '>=1.2.0 <2';

/**
 * Where `Protocol`, the base class of `Client` and `Server`, is defined: what is patched. Apps load
 * the SDK through subpath exports (`@modelcontextprotocol/sdk/client/index.js`), which all import it.
 * CommonJS files are named as require-in-the-middle names them (no `.js`, no `/index`).
 */
export const CJS_PROTOCOL = `${MODULE_NAME}/dist/cjs/shared/protocol`;
export const ESM_PROTOCOL_FILES = ['dist/esm/shared/protocol.js', 'dist/shared/protocol.js'];
/** Entry points, watched only to warn about a version we do not support (1.0 and 1.1 had one ESM build in `dist/`). */
export const CJS_ENTRIES = [`${MODULE_NAME}/dist/cjs/client`, `${MODULE_NAME}/dist/cjs/server`];
export const ESM_ENTRY_FILES = ['dist/esm/client/index.js', 'dist/esm/server/index.js', 'dist/client/index.js', 'dist/server/index.js'];
/**
 * What the ESM loader hook must let through to import-in-the-middle: apps import subpaths and the
 * SDK imports `../shared/protocol.js` relatively, so the bare package name alone would match neither.
 */
export const ESM_FILES = /\/@modelcontextprotocol\/sdk\/dist\/(esm\/)?(shared\/protocol|client\/index|server\/index)\.js$/;

export const ATTR_MCP_METHOD_NAME = 'mcp.method.name';
export const ATTR_MCP_SESSION_ID = 'mcp.session.id';
export const ATTR_MCP_PROTOCOL_VERSION = 'mcp.protocol.version';
export const ATTR_MCP_RESOURCE_URI = 'mcp.resource.uri';
export const ATTR_JSONRPC_REQUEST_ID = 'jsonrpc.request.id';
export const ATTR_RPC_RESPONSE_STATUS_CODE = 'rpc.response.status_code';
export const ATTR_GEN_AI_PROMPT_NAME = 'gen_ai.prompt.name';

export const METHOD_TOOLS_CALL = 'tools/call';
export const METHOD_PROMPTS_GET = 'prompts/get';
export const METHOD_INITIALIZE = 'initialize';
/** Requests whose params carry a resource URI. */
export const RESOURCE_METHODS = new Set(['resources/read', 'resources/subscribe', 'resources/unsubscribe']);

/** `error.type` of a tool result with `isError: true` (the call itself succeeded). */
export const ERROR_TYPE_TOOL_ERROR = 'tool_error';
/** The JSON-RPC codes the SDK answers with when no handler matches, and when a handler throws without one. */
export const JSONRPC_METHOD_NOT_FOUND = -32601;
export const JSONRPC_INTERNAL_ERROR = -32603;

/** Our own: `agentops.span.kind` of an MCP span that is not an AgentOps event. */
export const SPAN_KIND_MCP = 'mcp';
