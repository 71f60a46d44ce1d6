/**
 * The MCP protocol version a connection agreed on, learnt from its `initialize` result (sent or
 * answered) and put on the spans of its later requests. Kept per `Client` / `Server` object.
 */
import { obj, str } from '../genai/utils';

const versions = new WeakMap<object, string>();

export function rememberProtocolVersion(protocol: object, initializeResult: unknown): void {
  const version = str(obj(initializeResult).protocolVersion);
  if (version !== undefined) versions.set(protocol, version);
}

export function protocolVersionOf(protocol: object): string | undefined {
  return versions.get(protocol);
}
