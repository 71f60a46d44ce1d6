/**
 * Traces the AWS SDK v3 Bedrock Runtime client: `ConverseCommand`, `ConverseStreamCommand`,
 * `InvokeModelCommand` and `InvokeModelWithResponseStreamCommand`, each sent call one span.
 *
 * Patched at `BedrockRuntimeClient.prototype.send`, as an own property over the one it inherits
 * from the Smithy `Client`, rather than with a middleware:
 *   - `send(command, options?, callback?)` is the one entry point of every v3 client since 3.0
 *     (the aggregated `BedrockRuntime` class's `converse()` etc. call it), so one wrapper sees every
 *     call, with the command's `input`, the output the app gets, and the error after all retries;
 *   - a middleware would have to be added to each client's stack (the constructor is not ours to
 *     replace in ESM), and with `cacheMiddleware` a stack already resolved ignores late additions;
 *   - the Smithy `Client.prototype.send` is shared by every AWS client of the process: patching
 *     it would put a check on all of them (and clash with other AWS SDK instrumentations).
 * A command is recognised by its class (this copy of the package's) or, failing that, its
 * constructor name; any other command passes through untouched.
 *
 * Streams (`stream` of ConverseStream, `body` of InvokeModelWithResponseStream) are observed in
 * place: the app keeps the SDK's object and reads every event itself, unchanged.
 */
import { InstrumentationBase, InstrumentationNodeModuleDefinition, isWrapped } from '@opentelemetry/instrumentation';
import { logger } from '../../src/shared/logger';
import { observeAsyncIterable } from '../genai/async-iterable';
import { recorderDeps } from '../genai/base';
import { traceLlmCall, type LlmCall, type RecorderDeps } from '../genai/recorder';
import * as S from '../shared/semconv';
import type { AttributeMap, LlmOutcome, LlmRequest } from '../genai/types';
import { obj, type Obj } from '../genai/utils';
import * as B from './semconv';
import type { BedrockInstrumentationConfig, BedrockModule, BodyFamily, ClientThis } from './types';
import * as U from './utils';
import { PACKAGE_VERSION } from '../../src/shared/version';
import { InvokeStreamAccumulator } from './invoke-stream';

type AnyFn = (...args: any[]) => any; // eslint-disable-line @typescript-eslint/no-explicit-any

interface Accumulator {
  add(event: unknown): void;
  outcome(): LlmOutcome;
}

/** What one call needs from the command: its request, and how to read what the SDK returns. */
interface CallPlan {
  request: LlmRequest;
  /** For a stream: the output property holding the event stream, and a fresh accumulator. */
  stream?: { key: 'stream' | 'body'; accumulator: () => Accumulator };
  outcome(output: unknown): LlmOutcome;
}

function plan(kind: B.CommandName, input: unknown, server: AttributeMap, capture: boolean): CallPlan {
  const p = obj(input);
  if (kind === B.CONVERSE) return { request: U.converseRequest(p, server, false), outcome: U.converseOutcome };
  if (kind === B.CONVERSE_STREAM) {
    return { request: U.converseRequest(p, server, true), stream: { key: 'stream', accumulator: () => new U.ConverseStreamAccumulator(capture) }, outcome: () => ({ usage: {} }) };
  }
  const modelId = typeof p.modelId === 'string' ? p.modelId : undefined;
  const body = U.decodeJson(p.body);
  const family: BodyFamily = U.bodyFamily(modelId, body);
  const streaming = kind === B.INVOKE_MODEL_STREAM;
  return {
    request: U.invokeRequest(modelId, family, body, server, streaming),
    stream: streaming ? { key: 'body', accumulator: () => new InvokeStreamAccumulator(family, capture) } : undefined,
    outcome: (output) => U.invokeOutcome(family, U.decodeJson(obj(output).body)),
  };
}

export class BedrockInstrumentation extends InstrumentationBase<BedrockInstrumentationConfig> {
  constructor(config: BedrockInstrumentationConfig = {}) {
    super(B.INSTRUMENTATION_NAME, PACKAGE_VERSION, config);
  }

  protected init(): InstrumentationNodeModuleDefinition[] {
    return [
      new InstrumentationNodeModuleDefinition(
        B.MODULE_NAME,
        B.SUPPORTED_VERSIONS,
        (exports: BedrockModule) => {
          this.patch(exports);
          return exports;
        },
        (exports: BedrockModule) => this.unpatch(exports),
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
  patch(exports: BedrockModule): void {
    const proto = exports?.BedrockRuntimeClient?.prototype;
    // Own property only: an inherited `send` may be wrapped by someone else, and is not ours to skip on.
    if (proto === undefined || typeof proto.send !== 'function' || isWrapped(Object.getOwnPropertyDescriptor(proto, 'send')?.value)) return;
    const deps = this.deps();
    const kindOf = commandKinds(exports);
    this._wrap(
      proto as Record<string, AnyFn>,
      'send',
      (original: AnyFn) =>
        function send(this: ClientThis, ...args: unknown[]) {
          const kind = kindOf(args[0]);
          if (kind === undefined) return original.apply(this, args);
          // Set when the request is sent, after the call's span started: time to first chunk fits in the span.
          let sentAt = performance.now();
          const server = serverOf(this);
          let p: CallPlan | undefined;
          // Set by the recorder right after `original` returns, so before any response can arrive.
          let call: LlmCall | undefined;
          const done = (output: unknown): void => {
            if (call !== undefined && p !== undefined) guard(call, () => watchOutput(output, p!, call!, sentAt, server));
          };
          const failed = (err: unknown): void => call?.fail(err, server.value);
          return traceLlmCall(
            deps,
            () => {
              p = plan(kind, obj(args[0]).input, server.value ?? {}, deps.options().captureContent);
              return p.request;
            },
            () => {
              sentAt = performance.now();
              return sendObserved(original, this, args, done, failed);
            },
            (_result, c) => {
              call = c;
            },
          );
        },
    );
  }

  unpatch(exports: BedrockModule): void {
    const proto = exports?.BedrockRuntimeClient?.prototype;
    if (proto === undefined || !isWrapped(Object.getOwnPropertyDescriptor(proto, 'send')?.value)) return;
    this._unwrap(proto as Record<string, AnyFn>, 'send');
    // Back to inheriting the Smithy client's `send`, as before we came.
    const parent = Object.getPrototypeOf(proto) as Record<string, unknown> | null;
    if (parent !== null && proto.send === parent.send) delete proto.send;
  }
}

function commandKinds(exports: BedrockModule): (command: unknown) => B.CommandName | undefined {
  const classes = B.COMMANDS.map((name) => [name, exports?.[name]] as const);
  return (command) => {
    if (command === null || typeof command !== 'object') return undefined;
    try {
      for (const [name, cls] of classes) if (typeof cls === 'function' && command instanceof cls) return name;
      // A command built by another copy of the package (two versions installed side by side).
      const ctor = (command as { constructor?: { name?: unknown } }).constructor?.name;
      return B.COMMANDS.find((name) => name === ctor);
    } catch {
      return undefined; // a hostile object (a Proxy, a throwing getter): not ours to trace
    }
  };
}

/**
 * Calls the SDK's `send` and reports its outcome, leaving what the app gets as it was: in the
 * promise form, a promise settling exactly as the SDK's does (our handlers run first, so a stream
 * is watched before the app can read it); in the callback form, the app's callback called with
 * the same arguments, right after ours.
 */
function sendObserved(original: AnyFn, self: unknown, args: unknown[], done: (output: unknown) => void, failed: (err: unknown) => void): unknown {
  const cbIndex = typeof args[1] === 'function' ? 1 : typeof args[2] === 'function' ? 2 : -1;
  if (cbIndex >= 0) {
    const callback = args[cbIndex] as AnyFn;
    const patched = [...args];
    patched[cbIndex] = function (this: unknown, ...cbArgs: unknown[]): unknown {
      if (cbArgs[0] !== null && cbArgs[0] !== undefined) failed(cbArgs[0]);
      else done(cbArgs[1]);
      return callback.apply(this, cbArgs);
    };
    return original.apply(self, patched);
  }
  const result: unknown = original.apply(self, args);
  if (result === null || typeof (result as PromiseLike<unknown>)?.then !== 'function') {
    done(undefined);
    return result;
  }
  // Rejects exactly when the SDK's promise does: an app that never awaits still sees its unhandled rejection.
  return (result as Promise<unknown>).then(
    (output) => {
      done(output);
      return output;
    },
    (err: unknown) => {
      failed(err);
      throw err;
    },
  );
}

function watchOutput(output: unknown, p: CallPlan, call: LlmCall, sentAt: number, server: ServerSlot): void {
  const response = U.responseAttributes(output);
  if (p.stream === undefined) {
    call.end(p.outcome(output), { ...server.value, ...response });
    return;
  }
  const acc = p.stream.accumulator();
  let firstChunkAt: number | undefined;
  const watched = observeAsyncIterable<unknown>(obj(output)[p.stream.key], {
    onChunk: (event) => {
      firstChunkAt ??= performance.now();
      acc.add(event);
    },
    onEnd: (how, err) => {
      if (how === 'error') {
        call.fail(err, { ...server.value, ...response });
        return;
      }
      call.end(acc.outcome(), {
        ...server.value,
        ...response,
        [S.ATTR_GEN_AI_RESPONSE_TIME_TO_FIRST_CHUNK]: firstChunkAt !== undefined ? (firstChunkAt - sentAt) / 1000 : undefined,
        [S.ATTR_LLM_STREAM_ABANDONED]: how === 'abandoned' ? true : undefined,
      });
    },
  });
  if (!watched) call.end({ usage: {} }, { ...server.value, ...response, [S.ATTR_LLM_RESPONSE_UNREAD]: true });
}

interface ServerSlot {
  value?: AttributeMap;
}

const servers = new WeakMap<object, ServerSlot>();

/**
 * The client's endpoint as `server.*`. The client keeps it only behind async providers (its
 * constructor turns the `endpoint` and `region` it was given into them, in place), so it is
 * resolved once per client in the background: a client's first call gets it when it ends, the
 * following ones from their start.
 */
function serverOf(client: unknown): ServerSlot {
  if (client === null || typeof client !== 'object') return {};
  let slot = servers.get(client);
  if (slot === undefined) {
    const fresh: ServerSlot = {};
    slot = fresh;
    servers.set(client, fresh);
    resolveServer(client as ClientThis).then(
      (value) => {
        fresh.value = value;
      },
      () => {
        fresh.value = {};
      },
    );
  }
  return slot;
}

/** The providers the SDK itself resolves on every call (memoized by it): an explicit endpoint, one from the AWS config, else the Region's. */
async function resolveServer(client: ClientThis): Promise<AttributeMap> {
  const config: Obj = obj(client.config);
  if (typeof config.endpoint === 'function') return U.endpointServer(await config.endpoint());
  if (config.ignoreConfiguredEndpointUrls !== true && typeof config.serviceConfiguredEndpoint === 'function') {
    const configured: unknown = await config.serviceConfiguredEndpoint();
    if (typeof configured === 'string' && configured !== '') return U.endpointServer(configured);
  }
  const value = async (provider: unknown): Promise<unknown> => (typeof provider === 'function' ? (provider as () => unknown)() : provider);
  const [region, fips, dualstack] = await Promise.all([value(config.region), value(config.useFipsEndpoint), value(config.useDualstackEndpoint)]);
  return U.regionServer(region, fips, dualstack);
}

/** A failure of ours ends the call (untraced from there on); the app's call is never affected. */
function guard(call: LlmCall, fn: () => void): void {
  try {
    fn();
  } catch (err) {
    logger.limited('warn', 'llm-bedrock-output', 'tracing a Bedrock response failed; the call is unaffected', { error: err });
    call.end({ usage: {} });
  }
}
