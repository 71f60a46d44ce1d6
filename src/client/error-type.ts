/**
 * The type of a thrown value, as `error.type` names it, the same for an ErrorEvent and for the
 * span of the call that threw: the error's own `name` when it set one, else its class name
 * (the OpenAI and Anthropic SDKs' errors, RateLimitError and the like, leave `name` at "Error"),
 * else "Error", or the kind of value for a thrown non-object. Hostile getters read as absent.
 */
export function errorTypeName(e: unknown): string | undefined {
  if (e === undefined) return undefined;
  if (e === null || (typeof e !== 'object' && typeof e !== 'function')) return typeof e;
  const name = readSafely(() => (e as { name?: unknown }).name);
  if (typeof name === 'string' && name !== '' && name !== 'Error') return name;
  const ctor = readSafely(() => (e as { constructor?: { name?: unknown } }).constructor?.name);
  if (typeof ctor === 'string' && ctor !== '' && ctor !== 'Object' && ctor !== 'Function') return ctor;
  return name === 'Error' || e instanceof Error ? 'Error' : typeof e;
}

/** A property read that may throw (a hostile getter), as undefined. */
export function readSafely(get: () => unknown): unknown {
  try {
    return get();
  } catch {
    return undefined;
  }
}
