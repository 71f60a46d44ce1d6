import type { InstrumentationConfig } from '@opentelemetry/instrumentation';
import type { ContentOptions } from '../../src/config/defaults';

export interface McpInstrumentationConfig extends InstrumentationConfig {
  serviceName?: string;
  /** Tool arguments and results, error messages, on spans. Default true. */
  captureContent?: boolean;
  maxAttributeLength?: number;
}

/** A JSON-RPC request as the SDK passes it around (`{ method, params }`, with `id` once sent). */
export interface McpRequest {
  method?: unknown;
  params?: unknown;
  id?: unknown;
  [key: string]: unknown;
}

/** What the SDK gives a request handler besides the request. */
export interface McpHandlerExtra {
  sessionId?: unknown;
  requestId?: unknown;
}

export type McpRequestHandler = (request: McpRequest, extra: McpHandlerExtra | undefined) => unknown;

/** The parts of the SDK's `Protocol` (base of `Client` and `Server`) that are read. */
export interface ProtocolThis {
  transport?: unknown;
  _requestMessageId?: unknown;
  _requestHandlers?: unknown;
  fallbackRequestHandler?: unknown;
}

export interface ProtocolModule {
  Protocol?: { prototype: Record<string, unknown> };
}

/** The mapping options every span function takes. */
export type McpMapping = ContentOptions;

/** How a request ended, as far as its span is concerned. */
export interface McpOutcome {
  /** Set when it failed: a JSON-RPC error code, `tool_error`, or an error class. */
  errorType?: string;
  /** The JSON-RPC error code of the response, when there is one. */
  statusCode?: string;
  /** The error's message (recorded only when content is captured). */
  message?: string;
}
