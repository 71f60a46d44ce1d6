/**
 * A model given as a string id (`generateText({ model: 'openai/gpt-4o' })`) is resolved as the SDK
 * resolves it: through the global provider (`globalThis.AI_SDK_DEFAULT_PROVIDER`), else the
 * gateway provider the `ai` module exports; its `languageModel(id)` or `embeddingModel(id)`. The
 * SDK then gets the model object, which it takes as it would have taken the one it resolved, and
 * the model proxy (model.ts) sees its requests.
 *
 * Anything that does not resolve cleanly (no provider, a provider that throws, a model of a
 * specification the SDK would not take as an object) leaves the string as it was: the SDK resolves
 * it itself, and its errors reach the app as they would without the preload.
 */
type AnyFn = (...args: any[]) => any; // eslint-disable-line @typescript-eslint/no-explicit-any

export type ModelKind = 'language' | 'embedding';

/** The model specifications the SDK takes as objects (ai 6: v2 and v3; ai 7: v2 to v4). */
const SPECIFICATIONS = new Set(['v2', 'v3', 'v4']);

/** The provider a string id resolves through now: the global provider, else the gateway. */
export function defaultProvider(gateway: unknown): unknown {
  return (globalThis as { AI_SDK_DEFAULT_PROVIDER?: unknown }).AI_SDK_DEFAULT_PROVIDER ?? gateway;
}

export function resolveModelId(model: unknown, kind: ModelKind, provider: unknown): unknown {
  if (typeof model !== 'string' || provider === null || (typeof provider !== 'object' && typeof provider !== 'function')) return model;
  try {
    const make = (provider as Record<string, unknown>)[kind === 'language' ? 'languageModel' : 'embeddingModel'];
    if (typeof make !== 'function') return model;
    const resolved = (make as AnyFn).call(provider, model) as { specificationVersion?: unknown } | null | undefined;
    return resolved !== null && typeof resolved === 'object' && SPECIFICATIONS.has(String(resolved.specificationVersion)) ? resolved : model;
  } catch {
    return model;
  }
}
