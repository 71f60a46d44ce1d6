/**
 * Traces @google/genai: `models.generateContent`, `models.generateContentStream` and
 * `models.embedContent`. A chat (`chats.create()`, then `sendMessage` / `sendMessageStream`) sends
 * through the client's own `models.generateContent` / `generateContentStream`, so each chat send
 * is that one span; the Chat class itself is left alone, or a send would be two spans.
 *
 * The SDK makes those methods arrow functions that the `Models` constructor assigns to each
 * instance (only 1.0's `embedContent` is a prototype method), so the prototype has nothing to
 * wrap. It gets a setter of the same name instead: the constructor's assignment goes through it,
 * and it stores the wrapped function as the instance's own property, as the assignment would
 * have. The CommonJS and ESM builds have separate `Models` classes, each patched once.
 *
 * The SDK returns plain promises and, for streams, an async generator. The app gets a promise that
 * settles exactly as the SDK's does (one derived from it, so an unawaited rejection is still
 * unhandled) and the very generator the SDK made, watched in place.
 */
import { InstrumentationBase, InstrumentationNodeModuleDefinition, isWrapped } from '@opentelemetry/instrumentation';
import { logger } from '../../src/shared/logger';
import { recorderDeps } from '../genai/base';
import { traceLlmCall, type LlmCall, type RecorderDeps } from '../genai/recorder';
import * as S from '../shared/semconv';
import { observeAsyncIterator } from '../genai/stream';
import { obj, serverAttributes } from '../genai/utils';
import * as G from './semconv';
import type { GoogleGenAIInstrumentationConfig, GoogleGenAIModule, ModelsMethod, ModelsThis } from './types';
import * as U from './utils';
import { PACKAGE_VERSION } from '../../src/shared/version';

type AnyFn = (...args: any[]) => any; // eslint-disable-line @typescript-eslint/no-explicit-any

const METHODS: ModelsMethod[] = ['generateContent', 'generateContentStream', 'embedContent'];
/** Marks our setters, so that a second patch leaves them and unpatch finds them. */
const OUR_SETTER = Symbol.for('agentops-otel.google-genai.setter');

function isPromise(v: unknown): v is Promise<unknown> {
  return v !== null && (typeof v === 'object' || typeof v === 'function') && typeof (v as { then?: unknown }).then === 'function';
}

function targetOf(models: ModelsThis | undefined, params: unknown): U.CallTarget {
  const api = models?.apiClient;
  const vertex = typeof api?.isVertexAI === 'function' && api.isVertexAI() === true;
  // A per-call httpOptions.baseUrl wins over the client's, as in the SDK.
  const base: unknown = obj(obj(obj(params).config).httpOptions).baseUrl ?? (typeof api?.getBaseUrl === 'function' ? api.getBaseUrl() : undefined);
  return { vertex, server: serverAttributes(base) };
}

export class GoogleGenAIInstrumentation extends InstrumentationBase<GoogleGenAIInstrumentationConfig> {
  constructor(config: GoogleGenAIInstrumentationConfig = {}) {
    super(G.INSTRUMENTATION_NAME, PACKAGE_VERSION, config);
  }

  protected init(): InstrumentationNodeModuleDefinition[] {
    return [
      new InstrumentationNodeModuleDefinition(
        G.MODULE_NAME,
        G.SUPPORTED_VERSIONS,
        (exports: GoogleGenAIModule) => {
          this.patch(exports);
          return exports;
        },
        (exports: GoogleGenAIModule) => this.unpatch(exports),
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

  /** Patches the SDK module given: clients constructed from then on are traced. */
  patch(exports: GoogleGenAIModule): void {
    const proto = exports?.Models?.prototype as Record<string, unknown> | undefined;
    if (proto === undefined || proto === null) return;
    for (const method of METHODS) {
      try {
        this.patchMethod(proto, method);
      } catch (err) {
        logger.limited('warn', 'google-genai-patch', `could not instrument @google/genai models.${method}; it runs untraced`, { error: err });
      }
    }
  }

  unpatch(exports: GoogleGenAIModule): void {
    const proto = exports?.Models?.prototype as Record<string, unknown> | undefined;
    if (proto === undefined || proto === null) return;
    for (const method of METHODS) {
      const desc = Object.getOwnPropertyDescriptor(proto, method);
      if ((desc?.set as { [OUR_SETTER]?: boolean } | undefined)?.[OUR_SETTER] === true) delete proto[method];
      else if (isWrapped(proto[method])) this._unwrap(proto as Record<string, AnyFn>, method);
    }
  }

  private patchMethod(proto: Record<string, unknown>, method: ModelsMethod): void {
    const desc = Object.getOwnPropertyDescriptor(proto, method);
    if (desc !== undefined && 'value' in desc) {
      if (typeof desc.value === 'function' && !isWrapped(desc.value)) this._wrap(proto as Record<string, AnyFn>, method, (original: AnyFn) => this.traced(method, original));
      return;
    }
    // An accessor already there is ours from an earlier patch, or the SDK's: either way not ours to replace.
    if (desc !== undefined) return;
    const traced = (fn: AnyFn, owner: ModelsThis): AnyFn => this.traced(method, fn, owner);
    const setter = function (this: ModelsThis, fn: unknown): void {
      let value = fn;
      if (typeof fn === 'function') {
        try {
          value = traced(fn as AnyFn, this);
        } catch (err) {
          logger.limited('warn', 'google-genai-patch', `could not instrument @google/genai models.${method}; it runs untraced`, { error: err });
        }
      }
      Object.defineProperty(this, method, { value, writable: true, enumerable: true, configurable: true });
    };
    Object.defineProperty(setter, OUR_SETTER, { value: true });
    Object.defineProperty(proto, method, { configurable: true, enumerable: false, get: () => undefined, set: setter });
  }

  /**
   * The traced version of `original`. `owner` is the instance an arrow function was assigned to
   * (it ignores `this`, so a detached `const gen = ai.models.generateContent` still works and is
   * still traced); a prototype method reads its instance from `this`.
   */
  private traced(method: ModelsMethod, original: AnyFn, owner?: ModelsThis): AnyFn {
    const self = this;
    const deps = this.deps();
    const streaming = method === 'generateContentStream';
    const wrapper = function (this: ModelsThis, ...args: unknown[]): unknown {
      if (!self.isEnabled()) return original.apply(this, args);
      const params = args[0];
      // Set when the SDK is called, after the call's span started: time to first chunk fits in the span.
      let startedMs = performance.now();
      let call: LlmCall | undefined;
      const settle = (value: unknown): void => {
        if (call !== undefined) self.settle(method, value, call, deps.options().captureContent, startedMs);
      };
      return traceLlmCall(
        deps,
        () => {
          const target = targetOf(owner ?? this, params);
          return method === 'embedContent' ? U.embedRequest(params, target) : U.generateRequest(params, target, streaming);
        },
        () => {
          startedMs = performance.now();
          const result: unknown = original.apply(this, args);
          if (!isPromise(result)) return result;
          return result.then(
            (value) => {
              settle(value);
              return value;
            },
            (err: unknown) => {
              call?.fail(err);
              throw err;
            },
          );
        },
        (result, handle) => {
          call = handle;
          // Not a promise: an SDK we do not know; nothing to wait for.
          if (!isPromise(result)) handle.end({ usage: {} });
        },
      );
    };
    Object.defineProperty(wrapper, 'name', { value: original.name, configurable: true });
    return wrapper;
  }

  /** Ends the call with the SDK's response, or, for a stream, when the app has read it (or stopped, or it failed). */
  private settle(method: ModelsMethod, value: unknown, call: LlmCall, capture: boolean, startedMs: number): void {
    try {
      if (method === 'generateContentStream') {
        const acc = new U.GenerateStreamAccumulator(capture, startedMs);
        const watched = observeAsyncIterator<unknown>(value, {
          onChunk: (chunk) => acc.add(chunk),
          onEnd: (how, err) => {
            if (how === 'error') call.fail(err);
            else call.end(acc.outcome(), how === 'abandoned' ? { [S.ATTR_LLM_STREAM_ABANDONED]: true } : undefined);
          },
        });
        if (watched) return;
      }
      call.end(method === 'embedContent' ? U.embedOutcome(value) : U.generateOutcome(value));
    } catch (err) {
      logger.limited('warn', 'llm-observe', 'observing an LLM response failed; the call is unaffected', { error: err });
      call.end({ usage: {} });
    }
  }
}
