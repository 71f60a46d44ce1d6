/**
 * Traces the MCP TypeScript SDK (`@modelcontextprotocol/sdk` 1.x), client and server, by patching
 * `Protocol`, the base class of `Client` and `Server`, in the file that defines it: `request` is
 * the sending side (client.ts), `_onrequest` the receiving side (server.ts). The CommonJS and ESM
 * builds are separate classes, each patched once.
 *
 * ESM files come through InstrumentationBase (import-in-the-middle). CommonJS files need a
 * require-in-the-middle hook of our own that names them: the one InstrumentationBase shares
 * resolves the package's main entry before it looks at a file inside it, and the SDK's main entry
 * (`dist/cjs/index.js`) is not in the package, so no file of it would ever be seen.
 *
 * A version we do not support is left alone, with one warning naming it.
 */
import { InstrumentationNodeModuleDefinition, InstrumentationNodeModuleFile, type InstrumentationModuleDefinition } from '@opentelemetry/instrumentation';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { Hook } from 'require-in-the-middle';
import { logger } from '../../src/shared/logger';
import { ProtocolInstrumentation, warnUnsupported, type ProtocolShape } from './protocol-patch';
import * as M from './semconv';
import type { McpInstrumentationConfig, ProtocolModule } from './types';
import { isSupportedVersion } from './utils';

/** 1.x sends through `Protocol.request(request, schema, options)`. */
const SHAPE: ProtocolShape = { send: 'request', requestIndex: 0 };

/** The CommonJS hook is one per process; it serves the instrumentation enabled now. */
let cjsHook: Hook | undefined;
let cjsTarget: McpInstrumentation | undefined;
/** CommonJS `Protocol` modules loaded so far, patched when an instrumentation is enabled later. */
const cjsLoaded: Array<{ exports: ProtocolModule; version: string | undefined }> = [];

function serveCjs(target: McpInstrumentation | undefined): void {
  cjsTarget = target;
}

function versionAt(basedir: string | undefined): string | undefined {
  if (basedir === undefined) return undefined;
  try {
    const version = (JSON.parse(fs.readFileSync(path.join(basedir, 'package.json'), 'utf8')) as { version?: unknown }).version;
    return typeof version === 'string' ? version : undefined;
  } catch {
    return undefined;
  }
}

export class McpInstrumentation extends ProtocolInstrumentation {
  constructor(config: McpInstrumentationConfig = {}) {
    super(M.INSTRUMENTATION_NAME, config);
  }

  protected shape(): ProtocolShape {
    return SHAPE;
  }

  protected init(): InstrumentationNodeModuleDefinition[] {
    const file = (name: string, isProtocol: boolean): InstrumentationNodeModuleFile =>
      new InstrumentationNodeModuleFile(
        `${M.MODULE_NAME}/${name}`,
        ['*'],
        (exports: ProtocolModule, version?: string) => {
          this.onLoad(exports, version, isProtocol);
          return exports;
        },
        (exports: ProtocolModule) => (isProtocol ? this.unpatch(exports) : undefined),
      );
    const files = [...M.ESM_PROTOCOL_FILES.map((f) => file(f, true)), ...M.ESM_ENTRY_FILES.map((f) => file(f, false))];
    const definition = new InstrumentationNodeModuleDefinition(
      M.MODULE_NAME,
      ['*'],
      (exports: unknown, version?: string) => {
        this.onLoad(exports as ProtocolModule, version, false);
        return exports;
      },
      () => undefined,
      files,
    );
    // Every version is looked at (onLoad decides), pre-releases too: '*' alone leaves them out.
    (definition as InstrumentationModuleDefinition).includePrerelease = true;
    return [definition];
  }

  override enable(): void {
    super.enable();
    serveCjs(this);
    for (const loaded of cjsLoaded) this.onLoad(loaded.exports, loaded.version, true);
    if (cjsHook === undefined) {
      cjsHook = new Hook([M.CJS_PROTOCOL, ...M.CJS_ENTRIES], { internals: true }, (exports, name, basedir) => {
        try {
          const version = versionAt(basedir);
          const isProtocol = name.split(path.sep).join('/') === M.CJS_PROTOCOL;
          if (isProtocol) cjsLoaded.push({ exports: exports as ProtocolModule, version });
          cjsTarget?.onLoad(exports as ProtocolModule, version, isProtocol);
        } catch (err) {
          logger.limited('warn', 'mcp-patch', `could not instrument ${M.MODULE_NAME}; it runs untraced`, { error: err });
        }
        return exports;
      });
    }
  }

  override disable(): void {
    super.disable();
    if (cjsTarget === this) {
      serveCjs(undefined);
      for (const loaded of cjsLoaded) this.unpatch(loaded.exports);
    }
  }

  /** A file of the SDK was loaded: its `Protocol` is patched, or the version is warned about. */
  private onLoad(exports: ProtocolModule, version: string | undefined, isProtocol: boolean): void {
    if (!isSupportedVersion(version)) warnUnsupported(M.MODULE_NAME, version, M.SUPPORTED_VERSIONS_TEXT);
    else if (isProtocol) this.patch(exports, M.MODULE_NAME);
  }
}
