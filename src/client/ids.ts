import { randomUUID } from 'node:crypto';

const UUID = /^[0-9a-f]{8}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{12}$/i;
const NIL = /^[0-]+$/;

export function newId(): string {
  return randomUUID();
}

/** A UUID in any case, with or without dashes, and not the nil UUID (an all-zero trace id is invalid). */
export function isValidUuid(value: unknown): value is string {
  return typeof value === 'string' && UUID.test(value) && !NIL.test(value);
}

/** The UUID's 32 hex digits, lowercase: a session id as the trace id Jaeger and OTLP use. */
export function uuidHex(value: string): string {
  return value.replace(/-/g, '').toLowerCase();
}

/** Canonical lowercase dashed form. */
export function normalizeUuid(value: string): string {
  const hex = uuidHex(value);
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}
