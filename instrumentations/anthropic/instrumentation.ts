/**
 * Traces the Anthropic SDK: `messages.create` (plain and `stream: true`) and `messages.stream()`,
 * which is built on `create`, so its `MessageStream` (helpers, events, `finalMessage()`) is the
 * SDK's own, untouched, and its call is one span.
 *
 * From 1.x the SDK can emit its own OpenTelemetry span per API call when a tracer provider is
 * registered, as the preload does. For the calls we record, that span would be a second span of
 * the same call, so the SDK's tracer is hidden from the SDK while our call runs (and only then).
 */
import { context, createContextKey } from '@opentelemetry/api';
import { InstrumentationBase, InstrumentationNodeModuleDefinition, isWrapped } from '@opentelemetry/instrumentation';
import { observeSdkResult, recorderDeps } from '../genai/base';
import { insideLlmCall, traceLlmCall, type RecorderDeps } from '../genai/recorder';
import { serverAttributes } from '../genai/utils';
import * as A from './semconv';
import type { AnthropicInstrumentationConfig, AnthropicModule, MessagesThis } from './types';
import * as U from './utils';
import { PACKAGE_VERSION } from '../../src/shared/version';

type AnyFn = (...args: any[]) => any; // eslint-disable-line @typescript-eslint/no-explicit-any

const NATIVE_MUTED = createContextKey('agentops-otel.anthropic-native-muted');
const PATCHED_CLIENT = Symbol.for('agentops-otel.anthropic-native-muted');

function nativeMuted(): boolean {
  const ctx = context.active();
  return ctx.getValue(NATIVE_MUTED) === true || insideLlmCall(ctx);
}

/** Makes the client's `_tracer` read as undefined inside our calls; elsewhere it is unchanged. */
export function muteNativeSpans(client: unknown): void {
  if (client === null || typeof client !== 'object') return;
  const c = client as Record<string | symbol, unknown>;
  if (c[PATCHED_CLIENT] === true) return;
  const desc = Object.getOwnPropertyDescriptor(c, '_tracer');
  Object.defineProperty(c, PATCHED_CLIENT, { value: true, enumerable: false, configurable: true });
  if (desc === undefined || !('value' in desc) || desc.configurable !== true || desc.value === undefined) return;
  let tracer = desc.value;
  Object.defineProperty(c, '_tracer', {
    configurable: true,
    enumerable: desc.enumerable,
    get: () => (nativeMuted() ? undefined : tracer),
    set: (v: unknown) => {
      tracer = v;
    },
  });
}

export class AnthropicInstrumentation extends InstrumentationBase<AnthropicInstrumentationConfig> {
  constructor(config: AnthropicInstrumentationConfig = {}) {
    super(A.INSTRUMENTATION_NAME, PACKAGE_VERSION, config);
  }

  protected init(): InstrumentationNodeModuleDefinition[] {
    return [
      new InstrumentationNodeModuleDefinition(
        A.MODULE_NAME,
        A.SUPPORTED_VERSIONS,
        (exports: AnthropicModule) => {
          this.patch(exports);
          return exports;
        },
        (exports: AnthropicModule) => this.unpatch(exports),
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

  patch(exports: AnthropicModule): void {
    const proto = (exports?.Anthropic ?? exports?.default)?.Messages?.prototype;
    if (proto === undefined || typeof proto.create !== 'function' || isWrapped(proto.create)) return;
    const deps = this.deps();
    this._wrap(
      proto as Record<string, AnyFn>,
      'create',
      (original: AnyFn) =>
        function create(this: MessagesThis, ...args: unknown[]) {
          const params = args[0];
          try {
            muteNativeSpans(this?._client);
          } catch {
            // the SDK's own span may then show up too; never an error for the app
          }
          return traceLlmCall(
            deps,
            () => U.messagesRequest(params, serverAttributes(this?._client?.baseURL)),
            () => original.apply(this, args),
            (result, call) => {
              const capture = deps.options().captureContent;
              observeSdkResult(result, call, (params as { stream?: unknown } | undefined)?.stream === true, U.messageOutcome, () => new U.MessagesStreamAccumulator(capture));
            },
          );
        },
    );
    if (typeof proto.stream === 'function' && !isWrapped(proto.stream)) {
      this._wrap(
        proto as Record<string, AnyFn>,
        'stream',
        (original: AnyFn) =>
          function stream(this: MessagesThis, ...args: unknown[]) {
            try {
              muteNativeSpans(this?._client);
            } catch {
              // as above
            }
            return context.with(context.active().setValue(NATIVE_MUTED, true), () => original.apply(this, args));
          },
      );
    }
  }

  unpatch(exports: AnthropicModule): void {
    const proto = (exports?.Anthropic ?? exports?.default)?.Messages?.prototype;
    if (proto === undefined) return;
    if (isWrapped(proto.create)) this._unwrap(proto as Record<string, AnyFn>, 'create');
    if (isWrapped(proto.stream)) this._unwrap(proto as Record<string, AnyFn>, 'stream');
  }
}
