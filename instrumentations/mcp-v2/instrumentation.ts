/**
 * Traces the MCP TypeScript SDK v2 (`@modelcontextprotocol/client`, `@modelcontextprotocol/server`
 * 2.x), client and server, as instrumentations/mcp does 1.x: the same spans, attributes, trace
 * context in `params._meta` and tool events, by the same code (mcp/protocol-patch.ts).
 *
 * Each package bundles `Protocol` into a chunk whose file name is a content hash, and exports it
 * from its main entry: the main entry is what is hooked (require and import alike), and its
 * `Protocol.prototype` what is patched. The CommonJS and ESM builds, and the two packages, each have
 * their own class, each patched once.
 *
 * A version we do not support is left alone, with one warning naming it.
 */
import { InstrumentationNodeModuleDefinition, type InstrumentationModuleDefinition } from '@opentelemetry/instrumentation';
import { ProtocolInstrumentation, warnUnsupported, type ProtocolShape } from '../mcp/protocol-patch';
import type { McpInstrumentationConfig, ProtocolModule } from '../mcp/types';
import * as V from './semconv';
import { isSupportedV2Version } from './utils';

const SHAPE: ProtocolShape = { send: V.SEND_METHOD, requestIndex: V.SEND_REQUEST_INDEX };

export class McpV2Instrumentation extends ProtocolInstrumentation {
  constructor(config: McpInstrumentationConfig = {}) {
    super(V.INSTRUMENTATION_NAME, config);
  }

  protected shape(): ProtocolShape {
    return SHAPE;
  }

  protected init(): InstrumentationNodeModuleDefinition[] {
    return V.MODULES.map((name) => {
      const definition = new InstrumentationNodeModuleDefinition(
        name,
        ['*'],
        (exports: ProtocolModule, version?: string) => {
          if (isSupportedV2Version(version)) this.patch(exports, name);
          else warnUnsupported(name, version, V.SUPPORTED_VERSIONS_TEXT);
          return exports;
        },
        (exports: ProtocolModule) => {
          this.unpatch(exports);
        },
      );
      // Every version is looked at (the patch decides), pre-releases too: '*' alone leaves them out.
      (definition as InstrumentationModuleDefinition).includePrerelease = true;
      return definition;
    });
  }
}
