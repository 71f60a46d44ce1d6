/**
 * Traces the OpenAI SDK (v4 to v7): `chat.completions.create`, `responses.create` and
 * `embeddings.create`, plain and streamed, and every helper built on them (`.parse()`,
 * `.stream()`, `runTools()`, the Agents SDK's models), for `OpenAI` and `AzureOpenAI` clients
 * alike (the latter is a subclass: the same resources, provider `azure.ai.openai`). The methods are patched on the resource
 * prototypes, reached from the package's main export: the CommonJS and the ESM builds are separate
 * classes, each patched once, so a call goes through exactly one wrapper.
 */
import { InstrumentationBase, InstrumentationNodeModuleDefinition, isWrapped } from '@opentelemetry/instrumentation';
import { observeSdkResult, recorderDeps } from '../genai/base';
import { traceLlmCall, type RecorderDeps } from '../genai/recorder';
import type { LlmOutcome, LlmRequest } from '../genai/types';
import { serverAttributes } from '../genai/utils';
import * as O from './semconv';
import type { OpenAIClass, OpenAIInstrumentationConfig, OpenAIModule, ResourceClass, ResourceThis } from './types';
import * as U from './utils';
import { PACKAGE_VERSION } from '../../src/shared/version';

type AnyFn = (...args: any[]) => any; // eslint-disable-line @typescript-eslint/no-explicit-any

interface Method {
  resource: (c: OpenAIClass) => ResourceClass | undefined;
  describe: (body: unknown, server: ReturnType<typeof serverAttributes>) => LlmRequest;
  outcome: (value: unknown) => LlmOutcome;
  accumulator: (capture: boolean) => { add(chunk: unknown): void; outcome(): LlmOutcome };
}

const METHODS: Method[] = [
  {
    resource: (c) => c.Chat?.Completions,
    describe: U.chatRequest,
    outcome: U.chatOutcome,
    accumulator: (capture) => new U.ChatStreamAccumulator(capture),
  },
  {
    resource: (c) => c.Responses,
    describe: U.responsesRequest,
    outcome: U.responseOutcome,
    accumulator: () => new U.ResponsesStreamAccumulator(),
  },
  {
    resource: (c) => c.Embeddings,
    describe: U.embeddingsRequest,
    outcome: U.embeddingsOutcome,
    accumulator: () => ({ add: () => undefined, outcome: () => ({ usage: {} }) }),
  },
];

export class OpenAIInstrumentation extends InstrumentationBase<OpenAIInstrumentationConfig> {
  constructor(config: OpenAIInstrumentationConfig = {}) {
    super(O.INSTRUMENTATION_NAME, PACKAGE_VERSION, config);
  }

  protected init(): InstrumentationNodeModuleDefinition[] {
    return [
      new InstrumentationNodeModuleDefinition(
        O.MODULE_NAME,
        O.SUPPORTED_VERSIONS,
        (exports: OpenAIModule) => {
          this.patch(exports);
          return exports;
        },
        (exports: OpenAIModule) => this.unpatch(exports),
      ),
    ];
  }

  private deps(): RecorderDeps {
    return recorderDeps(
      () => this.tracer,
      () => this.getConfig(),
      () => this.meter,
    );
  }

  /** Patches the SDK module given (also usable on a module loaded before the preload). */
  patch(exports: OpenAIModule): void {
    const client = exports?.OpenAI ?? exports?.default;
    if (client === undefined) return;
    const deps = this.deps();
    const azure = exports?.AzureOpenAI;
    for (const m of METHODS) {
      const proto = m.resource(client)?.prototype;
      if (proto === undefined || typeof proto.create !== 'function' || isWrapped(proto.create)) continue;
      this._wrap(
        proto as Record<string, AnyFn>,
        'create',
        (original: AnyFn) =>
          function create(this: ResourceThis, ...args: unknown[]) {
            const body = args[0];
            return traceLlmCall(
              deps,
              () => U.withProvider(m.describe(body, serverAttributes(this?._client?.baseURL)), U.providerOf(this?._client, azure)),
              () => original.apply(this, args),
              (result, call) => {
                const capture = deps.options().captureContent;
                observeSdkResult(result, call, (body as { stream?: unknown } | undefined)?.stream === true, m.outcome, () => m.accumulator(capture));
              },
            );
          },
      );
    }
  }

  unpatch(exports: OpenAIModule): void {
    const client = exports?.OpenAI ?? exports?.default;
    if (client === undefined) return;
    for (const m of METHODS) {
      const proto = m.resource(client)?.prototype;
      if (proto !== undefined && isWrapped(proto.create)) this._unwrap(proto as Record<string, AnyFn>, 'create');
    }
  }
}
