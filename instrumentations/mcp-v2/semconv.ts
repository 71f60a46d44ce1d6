/**
 * Names for the instrumentation of the MCP TypeScript SDK v2, which comes as separate packages:
 * `@modelcontextprotocol/client` and `@modelcontextprotocol/server` (each bundling its own copy of
 * `@modelcontextprotocol/core`'s `Protocol`). The span names and attributes are the 1.x
 * instrumentation's (instrumentations/mcp/semconv.ts).
 */
export const INSTRUMENTATION_NAME = 'agentops-otel/instrumentation-mcp';

export const CLIENT_MODULE = '@modelcontextprotocol/client';
export const SERVER_MODULE = '@modelcontextprotocol/server';
export const MODULES = [CLIENT_MODULE, SERVER_MODULE] as const;

/** Tested with 2.4; 2.0 has the same `Protocol`. utils.isSupportedV2Version() decides. */
export const SUPPORTED_VERSIONS_TEXT = '>=2.0.0 <3';

/**
 * Every request a v2 `Client` or `Server` sends (`request()`, the SDK's own requests, a handler's
 * `ctx.mcpReq.send()`) goes through this method of `Protocol`, the request its second argument.
 */
export const SEND_METHOD = '_requestWithSchemaViaCodec';
export const SEND_REQUEST_INDEX = 1;
