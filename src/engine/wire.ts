/**
 * The form a span crosses the thread boundary in: plain data that the structured clone copies
 * cheaply (no prototypes, no functions), with the resource and instrumentation scope interned,
 * since every span of a process shares a handful of them. `toWire` runs on the app's thread for
 * every span, so it only copies references; `WireReadableSpan` gives the export side back the
 * ReadableSpan shape that the OTLP serializer and the row encoder read.
 */
import type { Attributes, HrTime, Link, SpanContext, SpanKind, SpanStatus } from '@opentelemetry/api';
import { TraceState } from '@opentelemetry/core';
import type { InstrumentationScope } from '@opentelemetry/core';
import type { Resource } from '@opentelemetry/resources';
import type { ReadableSpan, TimedEvent } from '@opentelemetry/sdk-trace-base';
import { addLlmSpanCost } from '../shared/llm-span-cost';
import { NO_OVERRIDES, type PriceTable } from '../shared/prices';

export interface WireLink {
  t: string;
  s: string;
  f: number;
  ts?: string;
  a?: Attributes;
  da?: number;
}

export interface WireSpan {
  /** trace id, span id, trace flags, serialized trace state */
  t: string;
  s: string;
  f: number;
  ts?: string;
  /** parent span id, and whether that parent is remote */
  p?: string;
  pr?: boolean;
  n: string;
  k: number;
  st: HrTime;
  et: HrTime;
  c: number;
  m?: string;
  a: Attributes;
  e?: TimedEvent[];
  l?: WireLink[];
  /** dropped attribute, event and link counts, when not zero */
  da?: number;
  de?: number;
  dl?: number;
  /** interned resource and scope */
  r: number;
  sc: number;
}

export interface WireScope {
  name: string;
  version?: string;
  schemaUrl?: string;
}

export interface WireResource {
  attributes: Attributes;
  schemaUrl?: string;
}

/** Definitions of resources and scopes first seen in this batch. */
export interface WireDefinitions {
  resources?: Array<[number, WireResource]>;
  scopes?: Array<[number, WireScope]>;
}

/**
 * A span handed over whole, with no SDK span behind it (see the AgentOps instrumentation's
 * recorded events): its parent, times and attributes were all known at once. `sibling` is an SDK
 * span of the same tracer, whose resource and scope it shares.
 */
export interface FinishedSpan {
  parent: SpanContext;
  spanId: string;
  name: string;
  kind: SpanKind;
  startTime: HrTime;
  endTime: HrTime;
  attributes: Attributes;
  sibling: ReadableSpan;
}

/** Main-thread side: numbers resources and scopes by identity, once each. */
export class WireEncoder {
  private readonly resources = new Map<object, number>();
  private readonly scopes = new Map<object, number>();
  private readonly all: Required<WireDefinitions> = { resources: [], scopes: [] };
  private defs: WireDefinitions | undefined;

  encode(span: ReadableSpan): WireSpan {
    const ctx = span.spanContext();
    const parent = span.parentSpanContext;
    const w: WireSpan = {
      t: ctx.traceId,
      s: ctx.spanId,
      f: ctx.traceFlags,
      n: span.name,
      k: span.kind,
      st: span.startTime,
      et: span.endTime,
      c: span.status.code,
      a: span.attributes,
      r: this.resourceId(span.resource),
      sc: this.scopeId(span.instrumentationScope),
    };
    if (ctx.traceState !== undefined) w.ts = ctx.traceState.serialize();
    if (parent !== undefined) {
      w.p = parent.spanId;
      if (parent.isRemote) w.pr = true;
    }
    if (span.status.message !== undefined) w.m = span.status.message;
    if (span.events.length > 0) w.e = span.events;
    if (span.links.length > 0) w.l = span.links.map(linkToWire);
    if (span.droppedAttributesCount > 0) w.da = span.droppedAttributesCount;
    if (span.droppedEventsCount > 0) w.de = span.droppedEventsCount;
    if (span.droppedLinksCount > 0) w.dl = span.droppedLinksCount;
    return w;
  }

  /** As the SDK ends a span: an end before the start makes a span of no duration. */
  encodeFinished(f: FinishedSpan): WireSpan {
    const p = f.parent;
    const late = f.endTime[0] < f.startTime[0] || (f.endTime[0] === f.startTime[0] && f.endTime[1] < f.startTime[1]);
    const w: WireSpan = {
      t: p.traceId,
      s: f.spanId,
      f: p.traceFlags,
      p: p.spanId,
      n: f.name,
      k: f.kind,
      st: f.startTime,
      et: late ? f.startTime : f.endTime,
      c: 0,
      a: f.attributes,
      r: this.resourceId(f.sibling.resource),
      sc: this.scopeId(f.sibling.instrumentationScope),
    };
    if (p.traceState !== undefined) w.ts = p.traceState.serialize();
    return w;
  }

  /** The definitions made since the last call; they must travel with (or before) the spans using them. */
  takeDefinitions(): WireDefinitions | undefined {
    const d = this.defs;
    this.defs = undefined;
    return d;
  }

  /** Every definition made so far, for a new export host that saw none of them. */
  allDefinitions(): WireDefinitions {
    return { resources: [...this.all.resources], scopes: [...this.all.scopes] };
  }

  private resourceId(resource: Resource): number {
    let id = this.resources.get(resource);
    if (id === undefined) {
      id = this.resources.size;
      this.resources.set(resource, id);
      let attributes: Attributes = {};
      try {
        attributes = { ...resource.attributes };
      } catch {
        // A resource whose asynchronous attributes failed: it travels without them.
      }
      const def: [number, WireResource] = [id, { attributes, schemaUrl: resource.schemaUrl }];
      ((this.defs ??= {}).resources ??= []).push(def);
      this.all.resources.push(def);
    }
    return id;
  }

  private scopeId(scope: InstrumentationScope): number {
    let id = this.scopes.get(scope);
    if (id === undefined) {
      id = this.scopes.size;
      this.scopes.set(scope, id);
      const def: [number, WireScope] = [id, { name: scope.name, version: scope.version, schemaUrl: scope.schemaUrl }];
      ((this.defs ??= {}).scopes ??= []).push(def);
      this.all.scopes.push(def);
    }
    return id;
  }
}

function linkToWire(link: Link): WireLink {
  const w: WireLink = { t: link.context.traceId, s: link.context.spanId, f: link.context.traceFlags };
  if (link.context.traceState !== undefined) w.ts = link.context.traceState.serialize();
  if (link.attributes !== undefined) w.a = link.attributes;
  if (link.droppedAttributesCount) w.da = link.droppedAttributesCount;
  return w;
}

const EMPTY_SCOPE: WireScope = { name: 'unknown' };

/** Export side: keeps the definitions, so every span of one resource shares one object (OTLP groups by identity). */
export class WireDecoder {
  private readonly resources = new Map<number, Resource>();
  private readonly scopes = new Map<number, InstrumentationScope>();
  private readonly fallbackResource = wireResource({ attributes: {} });

  /** `prices`: AGENTOPS_PRICE_TABLE, for the LLM event spans priced as they are decoded. */
  constructor(private readonly prices: Readonly<PriceTable> = NO_OVERRIDES) {}

  define(defs: WireDefinitions | undefined): void {
    if (defs === undefined) return;
    for (const [id, r] of defs.resources ?? []) this.resources.set(id, wireResource(r));
    for (const [id, s] of defs.scopes ?? []) this.scopes.set(id, { name: s.name, version: s.version, schemaUrl: s.schemaUrl });
  }

  /** Off the app's thread: LLM event spans are priced here, where the price data costs the app nothing. */
  decode(w: WireSpan): WireReadableSpan {
    if (w.a !== undefined) addLlmSpanCost(w.a, this.prices);
    return new WireReadableSpan(w, this.resources.get(w.r) ?? this.fallbackResource, this.scopes.get(w.sc) ?? EMPTY_SCOPE);
  }
}

/** Just what the serializers read of a Resource; detection already happened on the app's side. */
function wireResource(r: WireResource): Resource {
  return {
    attributes: r.attributes,
    schemaUrl: r.schemaUrl,
    asyncAttributesPending: false,
    waitForAsyncAttributes: () => Promise.resolve(),
    merge: () => {
      throw new Error('a wire resource is read-only');
    },
    getRawAttributes: () => Object.entries(r.attributes),
  };
}

export class WireReadableSpan implements ReadableSpan {
  readonly name: string;
  readonly kind: SpanKind;
  readonly parentSpanContext: SpanContext | undefined;
  readonly startTime: HrTime;
  readonly endTime: HrTime;
  readonly status: SpanStatus;
  readonly attributes: Attributes;
  readonly links: Link[];
  readonly events: TimedEvent[];
  readonly ended = true;
  readonly droppedAttributesCount: number;
  readonly droppedEventsCount: number;
  readonly droppedLinksCount: number;
  private readonly ctx: SpanContext;

  constructor(
    w: WireSpan,
    readonly resource: Resource,
    readonly instrumentationScope: InstrumentationScope,
  ) {
    this.ctx = { traceId: w.t, spanId: w.s, traceFlags: w.f, traceState: w.ts !== undefined ? new TraceState(w.ts) : undefined };
    this.parentSpanContext = w.p !== undefined ? { traceId: w.t, spanId: w.p, traceFlags: w.f, isRemote: w.pr === true } : undefined;
    this.name = w.n;
    this.kind = w.k;
    this.startTime = w.st;
    this.endTime = w.et;
    this.status = w.m !== undefined ? { code: w.c, message: w.m } : { code: w.c };
    this.attributes = w.a ?? {};
    this.events = w.e ?? [];
    this.links = (w.l ?? []).map((l) => ({
      context: { traceId: l.t, spanId: l.s, traceFlags: l.f, traceState: l.ts !== undefined ? new TraceState(l.ts) : undefined },
      attributes: l.a,
      droppedAttributesCount: l.da,
    }));
    this.droppedAttributesCount = w.da ?? 0;
    this.droppedEventsCount = w.de ?? 0;
    this.droppedLinksCount = w.dl ?? 0;
  }

  spanContext(): SpanContext {
    return this.ctx;
  }

  get duration(): HrTime {
    let s = this.endTime[0] - this.startTime[0];
    let ns = this.endTime[1] - this.startTime[1];
    if (ns < 0) {
      s -= 1;
      ns += 1e9;
    }
    return [s, ns];
  }
}
