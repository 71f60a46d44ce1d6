/**
 * W3C trace context in `params._meta` (`traceparent`, `tracestate`), as the MCP conventions and
 * SEP-414 say. Always the W3C format, whatever propagator the app configured: these two keys are
 * what the server side takes out again, so what one side writes the other must read.
 *
 * The client writes them into a copy of the request (the app's object is never changed) and never
 * over keys the app set itself. The server reads them and hands its handler the request without
 * them, so a handler sees `_meta` (and `params`) as the client app wrote it; the trace context
 * reaches the handler as its active OpenTelemetry context instead.
 */
import { trace, type Context } from '@opentelemetry/api';
import { W3CTraceContextPropagator } from '@opentelemetry/core';
import type { McpRequest } from './types';

export const TRACE_KEYS = ['traceparent', 'tracestate'] as const;

const propagator = new W3CTraceContextPropagator();
const setter = { set: (carrier: Record<string, string>, key: string, value: string) => (carrier[key] = value) };
const getter = {
  keys: (carrier: Record<string, unknown>) => Object.keys(carrier),
  get: (carrier: Record<string, unknown>, key: string) => {
    const v = carrier[key];
    return typeof v === 'string' ? v : undefined;
  },
};

/**
 * The `_meta` objects written here. The app never sees them (it keeps its own request), so one
 * coming back to be sent is the SDK sending the same request again: a retry leg, whose params
 * are a copy of the first leg's.
 */
const ours = new WeakSet<object>();

function isPlainObject(v: unknown): v is Record<string, unknown> {
  if (v === null || typeof v !== 'object' || Array.isArray(v)) return false;
  const proto = Object.getPrototypeOf(v) as unknown;
  return proto === Object.prototype || proto === null;
}

/** The request with the context of `ctx` in `params._meta`, or the request itself when there is nothing to add. */
export function withTraceContext(request: McpRequest, ctx: Context): McpRequest {
  const params = request.params;
  if (params !== undefined && !isPlainObject(params)) return request;
  const meta = params?._meta;
  if (meta !== undefined && !isPlainObject(meta)) return request;
  // Keys the app set are the app's: not overwritten.
  if (meta !== undefined && TRACE_KEYS.some((k) => k in meta)) return request;
  const carrier: Record<string, string> = {};
  propagator.inject(ctx, carrier, setter);
  if (carrier.traceparent === undefined) return request;
  const carried = { ...meta, ...carrier };
  ours.add(carried);
  return { ...request, params: { ...params, _meta: carried } };
}

/** Whether the request's `_meta` is one `withTraceContext` wrote. */
export function carriesOurContext(request: McpRequest): boolean {
  const meta = (request.params as { _meta?: unknown } | null | undefined)?._meta;
  return meta !== null && typeof meta === 'object' && ours.has(meta);
}

export interface Taken {
  /** The request as the handler should see it. */
  request: McpRequest;
  /** The remote parent, when a valid `traceparent` came. */
  parent: Context | undefined;
}

/**
 * Takes the trace context out of a received request. A malformed `traceparent` gives no parent
 * (the span starts a new trace); it is removed all the same, like a valid one.
 */
export function takeTraceContext(request: McpRequest, base: Context): Taken {
  const params = request.params;
  if (!isPlainObject(params)) return { request, parent: undefined };
  const meta = params._meta;
  if (!isPlainObject(meta) || !TRACE_KEYS.some((k) => k in meta)) return { request, parent: undefined };
  const extracted = propagator.extract(base, meta, getter);
  const parent = trace.getSpanContext(extracted) !== undefined && extracted !== base ? extracted : undefined;
  const rest = without(meta, (k) => k === 'traceparent' || k === 'tracestate');
  // A `_meta` (or `params`) that only existed to carry the context goes with it. Keys keep their
  // order, so that even a handler that prints the request prints what it would have.
  const nextParams = without(params, (k) => k === '_meta' && Object.keys(rest).length === 0, { _meta: rest });
  const next = without(request, (k) => k === 'params' && Object.keys(nextParams).length === 0, { params: nextParams }) as McpRequest;
  return { request: next, parent };
}

/** A copy of `o` without the keys `drop` names, and with `replace` values in place of the others it names. */
function without(o: Record<string, unknown>, drop: (key: string) => boolean, replace: Record<string, unknown> = {}): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const k of Object.keys(o)) {
    if (drop(k)) continue;
    out[k] = k in replace ? replace[k] : o[k];
  }
  return out;
}
