/**
 * The AgentOps event model: the TypeScript counterpart of the SDK's `event.py`.
 * Events are plain data; a session records them.
 */
import { errorTypeName, readSafely } from './error-type';
import { newId } from './ids';
import { nanosToIso, nowNs, toEpochNanos, type TimestampInput } from './timestamps';

export enum EventType {
  LLM = 'llms',
  ACTION = 'actions',
  API = 'apis',
  TOOL = 'tools',
  ERROR = 'errors',
}

/** Scalar values the instrumentation may copy onto a span as they are. */
export type EventAttributeValue = string | number | boolean | string[] | number[] | boolean[];

export interface EventInit {
  id?: string;
  params?: unknown;
  returns?: unknown;
  initTimestamp?: TimestampInput;
  endTimestamp?: TimestampInput;
  agentId?: string;
  /** Extra key/values for instrumentations that know more than the AgentOps model holds. */
  attributes?: Record<string, EventAttributeValue | undefined>;
}

export class Event {
  readonly id: string;
  readonly eventType: EventType;
  params: unknown;
  returns: unknown;
  agentId: string | undefined;
  attributes: Record<string, EventAttributeValue | undefined> | undefined;
  /** Nanoseconds since the epoch; the ISO accessors below are views of these. */
  initTimeNs: bigint;
  endTimeNs: bigint | undefined;
  /** Set when a timestamp given by the caller could not be used and was replaced. */
  invalidTimestamp: boolean;

  constructor(eventType: EventType, init: EventInit = {}) {
    this.id = typeof init.id === 'string' && init.id !== '' ? init.id : newId();
    this.eventType = eventType;
    this.params = init.params;
    this.returns = init.returns;
    this.agentId = init.agentId;
    this.attributes = init.attributes;
    this.invalidTimestamp = false;
    const start = toEpochNanos(init.initTimestamp);
    if (init.initTimestamp !== undefined && start === undefined) this.invalidTimestamp = true;
    this.initTimeNs = start ?? nowNs();
    const end = toEpochNanos(init.endTimestamp);
    if (init.endTimestamp !== undefined && end === undefined) this.invalidTimestamp = true;
    this.endTimeNs = end;
  }

  get initTimestamp(): string {
    return nanosToIso(this.initTimeNs);
  }
  set initTimestamp(value: TimestampInput) {
    this.initTimeNs = toEpochNanos(value) ?? this.initTimeNs;
  }
  get endTimestamp(): string | undefined {
    return this.endTimeNs === undefined ? undefined : nanosToIso(this.endTimeNs);
  }
  set endTimestamp(value: TimestampInput | undefined) {
    this.endTimeNs = value === undefined ? undefined : toEpochNanos(value);
  }
}

export interface LLMEventInit extends EventInit {
  threadId?: string;
  prompt?: unknown;
  promptTokens?: number;
  completion?: unknown;
  completionTokens?: number;
  model?: string;
  cost?: number;
}

export class LLMEvent extends Event {
  threadId: string | undefined;
  prompt: unknown;
  promptTokens: number | undefined;
  completion: unknown;
  completionTokens: number | undefined;
  model: string | undefined;
  cost: number | undefined;

  constructor(init: LLMEventInit = {}) {
    super(EventType.LLM, init);
    this.threadId = init.threadId;
    this.prompt = init.prompt;
    this.promptTokens = init.promptTokens;
    this.completion = init.completion;
    this.completionTokens = init.completionTokens;
    this.model = init.model;
    this.cost = init.cost;
  }
}

export interface ActionEventInit extends EventInit {
  actionType?: string;
  logs?: unknown;
  screenshot?: string;
}

export class ActionEvent extends Event {
  actionType: string | undefined;
  logs: unknown;
  screenshot: string | undefined;

  constructor(init: ActionEventInit = {}) {
    super(EventType.ACTION, init);
    this.actionType = init.actionType;
    this.logs = init.logs;
    this.screenshot = init.screenshot;
  }
}

export interface ToolEventInit extends EventInit {
  name?: string;
  logs?: unknown;
}

export class ToolEvent extends Event {
  name: string | undefined;
  logs: unknown;

  constructor(init: ToolEventInit = {}) {
    super(EventType.TOOL, init);
    this.name = init.name;
    this.logs = init.logs;
  }
}

export interface ErrorEventInit extends EventInit {
  triggerEvent?: Event;
  exception?: unknown;
  errorType?: string;
  code?: string;
  details?: unknown;
  logs?: unknown;
}

export class ErrorEvent extends Event {
  triggerEvent: Event | undefined;
  exception: unknown;
  errorType: string | undefined;
  code: string | undefined;
  details: unknown;
  logs: unknown;

  constructor(init: ErrorEventInit = {}) {
    super(EventType.ERROR, init);
    this.triggerEvent = init.triggerEvent;
    this.exception = init.exception;
    this.errorType = init.errorType ?? errorTypeName(init.exception);
    this.code = init.code ?? errorCode(init.exception);
    this.details = init.details ?? errorMessage(init.exception);
    this.logs = init.logs ?? errorStack(init.exception);
    // Default: an error lasts no time; it happened when it was recorded.
    if (this.endTimeNs === undefined && init.initTimestamp !== undefined) this.endTimeNs = this.initTimeNs;
  }
}

// An error's fields can be getters that throw (and `stack` is built from `name`): read as absent.
function errorCode(e: unknown): string | undefined {
  const code = readSafely(() => (e as { code?: unknown } | null)?.code);
  return typeof code === 'string' || typeof code === 'number' ? String(code) : undefined;
}
function errorMessage(e: unknown): string | undefined {
  if (e instanceof Error) return readSafely(() => e.message) as string | undefined;
  if (typeof e === 'string') return e;
  return undefined;
}
function errorStack(e: unknown): string | undefined {
  return e instanceof Error ? (readSafely(() => e.stack) as string | undefined) : undefined;
}
