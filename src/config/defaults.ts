/**
 * Defaults that the configuration reader, the variable table and the instrumentations (when
 * used without the preload, with a partial config) must agree on.
 */
export const DEFAULT_SERVICE_NAME = 'agentops';
export const DEFAULT_CAPTURE_CONTENT = true;
export const DEFAULT_MAX_ATTRIBUTE_LENGTH = 16384;
/**
 * What each exporter holds in memory before the oldest spans go to its spool. Kept small: a
 * larger queue buys nothing in delivery (the spool loses nothing) and costs the app's memory.
 */
export const DEFAULT_QUEUE_SPANS = 4096;
export const DEFAULT_QUEUE_BYTES = 16 * 2 ** 20;

/** What every instrumentation needs to know about a span's service and its content. */
export interface ContentOptions {
  serviceName: string;
  /** Prompts, completions, params and returns on spans. */
  captureContent: boolean;
  /** Longest text attribute before truncation. */
  maxAttributeLength: number;
}

export function contentOptions(c: Partial<ContentOptions>): ContentOptions {
  return {
    serviceName: c.serviceName ?? DEFAULT_SERVICE_NAME,
    captureContent: c.captureContent ?? DEFAULT_CAPTURE_CONTENT,
    maxAttributeLength: c.maxAttributeLength ?? DEFAULT_MAX_ATTRIBUTE_LENGTH,
  };
}
