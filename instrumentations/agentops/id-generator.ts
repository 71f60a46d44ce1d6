import type { IdGenerator } from '@opentelemetry/sdk-trace-base';
import { RandomIdGenerator } from '@opentelemetry/sdk-trace-base';

/**
 * Gives a session's root span the session id as its trace id, so the session is one true root
 * span (no synthetic remote parent) and is found in Jaeger or PostgreSQL by the id the app logs.
 *
 * `startSpan` is synchronous and asks for a trace id only for a root span, so a pending id set
 * around that one call cannot leak to another span, and no AsyncLocalStorage is needed.
 */
export class SessionAwareIdGenerator implements IdGenerator {
  private pending: string | undefined;
  private readonly random = new RandomIdGenerator();

  /** Runs `fn`; a root span it starts gets `traceId` (32 lowercase hex digits). */
  withTraceId<T>(traceId: string, fn: () => T): T {
    const previous = this.pending;
    this.pending = traceId;
    try {
      return fn();
    } finally {
      this.pending = previous;
    }
  }

  generateTraceId(): string {
    const id = this.pending;
    if (id !== undefined) {
      this.pending = undefined;
      return id;
    }
    return this.random.generateTraceId();
  }

  generateSpanId(): string {
    return this.random.generateSpanId();
  }
}

/** The one generator the provider and the AgentOps instrumentation share. */
export const sessionIdGenerator = new SessionAwareIdGenerator();

/** A session UUID as a trace id: its 32 hex digits, lowercase. */
export { uuidHex as sessionIdToTraceId } from '../../src/client/ids';
