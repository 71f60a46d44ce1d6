/**
 * Event times are kept as nanoseconds since the epoch in a bigint: a JS number cannot hold
 * them exactly (they exceed 2^53), and spans must start and end at the event's own times.
 */
export type TimestampInput = Date | string | number | bigint;

const NS_PER_MS = 1_000_000n;
const MAX_EPOCH_NS = 2n ** 63n - 1n;
const MAX_EPOCH_MS = Number(MAX_EPOCH_NS / NS_PER_MS);

/** Wall-clock now with sub-millisecond precision (the same clock OpenTelemetry uses). */
export function nowNs(): bigint {
  const t = performance.timeOrigin + performance.now();
  const ms = Math.floor(t);
  return BigInt(ms) * NS_PER_MS + BigInt(Math.round((t - ms) * 1e6));
}

/**
 * Accepts a Date, an ISO-8601 string, epoch milliseconds (number) or epoch nanoseconds (bigint).
 * Returns undefined for anything unusable (NaN dates, unparsable strings, negative values),
 * so callers can warn and fall back instead of throwing into the app.
 */
export function toEpochNanos(input: TimestampInput | null | undefined): bigint | undefined {
  if (input === undefined || input === null) return undefined;
  if (typeof input === 'bigint') return input >= 0n && input <= MAX_EPOCH_NS ? input : undefined;
  let ms: number;
  if (input instanceof Date) ms = input.getTime();
  else if (typeof input === 'number') ms = input;
  else if (typeof input === 'string') ms = Date.parse(input);
  else return undefined;
  // Beyond 2262-04-11 nanoseconds no longer fit the signed 64 bits every tracing backend uses.
  if (!Number.isFinite(ms) || ms < 0 || ms > MAX_EPOCH_MS) return undefined;
  const whole = Math.floor(ms);
  return BigInt(whole) * NS_PER_MS + BigInt(Math.round((ms - whole) * 1e6));
}

/** ISO-8601 with microseconds when the value has them (Date alone would cut to milliseconds). */
export function nanosToIso(ns: bigint): string {
  const ms = ns / NS_PER_MS;
  const iso = new Date(Number(ms)).toISOString();
  const micros = (ns % NS_PER_MS) / 1000n;
  if (micros === 0n) return iso;
  return iso.slice(0, -1) + micros.toString().padStart(3, '0') + 'Z';
}
