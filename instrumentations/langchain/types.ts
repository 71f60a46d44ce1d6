import type { InstrumentationConfig } from '@opentelemetry/instrumentation';
import type { PriceTable } from '../../src/shared/prices';

export interface LangChainInstrumentationConfig extends InstrumentationConfig {
  serviceName?: string;
  captureContent?: boolean;
  maxAttributeLength?: number;
  prices?: Readonly<PriceTable>;
}

type AnyFn = (...args: any[]) => any; // eslint-disable-line @typescript-eslint/no-explicit-any

/** The part of a CallbackManager (instance) we use. */
export interface CallbackManagerLike {
  handlers?: Array<{ name?: string }>;
  addHandler?(handler: unknown, inherit?: boolean): void;
}

/** The callback manager module (CommonJS or ESM build of @langchain/core/callbacks/manager). */
export interface ManagerModule {
  CallbackManager?: (new () => CallbackManagerLike) & { _configureSync?: AnyFn };
}

/** What LangChain passes as the serialized runnable / model / tool. */
export interface Serialized {
  id?: string[];
  name?: string;
  kwargs?: Record<string, unknown>;
}

/** LangGraph's prebuilt entry point (CommonJS or ESM build of @langchain/langgraph/prebuilt). */
export interface PrebuiltModule {
  createReactAgent?: AnyFn;
}
