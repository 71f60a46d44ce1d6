/**
 * Classification of failures by SQLSTATE and Node error code. The class decides what happens to
 * a batch: retried later, split to isolate bad rows, or kept waiting for an operator.
 */

export type ErrorClass =
  /** The server or the network is briefly unavailable: retry with backoff, then spool. */
  | 'transient'
  /** Nothing will succeed until someone acts (auth, missing database/table, privileges): wait like transient, log louder. */
  | 'config'
  /** The rows themselves are unacceptable: split the batch, dead-letter the culprits. */
  | 'data'
  /** A duplicate key: the batch (or part of it) was already stored; rewrite idempotently. */
  | 'duplicate'
  /** Anything else: retried a few times, then treated as data so it cannot loop forever. */
  | 'unknown';

const TRANSIENT_NODE_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EPIPE',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ENETDOWN',
  'EHOSTDOWN',
  'EAI_AGAIN',
  'ENOTFOUND',
  'ECONNABORTED',
  'ESOCKETTIMEDOUT',
]);

const TRANSIENT_SQLSTATES = new Set([
  '57P01', // admin_shutdown
  '57P02', // crash_shutdown
  '57P03', // cannot_connect_now
  '57P05', // idle_session_timeout
  '57014', // query_canceled (statement_timeout)
  '40001', // serialization_failure
  '40P01', // deadlock_detected
  '55P03', // lock_not_available
  '55006', // object_in_use
  '25P03', // idle_in_transaction_session_timeout
  '58000', // system_error
  '58030', // io_error
]);

const CONFIG_SQLSTATES = new Set([
  '3D000', // invalid_catalog_name: database does not exist
  '42P01', // undefined_table: schema not applied
  '42703', // undefined_column: schema older than this release
  '42501', // insufficient_privilege
  '25006', // read_only_sql_transaction (a standby)
]);

/**
 * TLS failures: the server's certificate is not trusted by the configured CA, does not name the
 * host, has expired, or the server does not speak TLS at all. Retrying cannot help; like a wrong
 * password they need someone to change the configuration (or the certificate).
 */
const TLS_CODES = new Set([
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'SELF_SIGNED_CERT_IN_CHAIN',
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'UNABLE_TO_GET_ISSUER_CERT',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'UNABLE_TO_DECRYPT_CERT_SIGNATURE',
  'UNABLE_TO_DECODE_ISSUER_PUBLIC_KEY',
  'CERT_SIGNATURE_FAILURE',
  'CERT_NOT_YET_VALID',
  'CERT_HAS_EXPIRED',
  'CERT_REVOKED',
  'CERT_UNTRUSTED',
  'CERT_REJECTED',
  'INVALID_CA',
  'INVALID_PURPOSE',
  'PATH_LENGTH_EXCEEDED',
  'HOSTNAME_MISMATCH',
  'ERR_TLS_CERT_ALTNAME_INVALID',
  'ERR_TLS_CERT_ALTNAME_FORMAT',
]);
const TLS_MESSAGES = [/The server does not support SSL connections/i];

/** True for a failure to establish a verified TLS connection (see TLS_CODES). */
export function isTlsError(err: unknown): boolean {
  const code = errorCode(err);
  if (code !== undefined && (TLS_CODES.has(code) || code.startsWith('ERR_SSL_'))) return true;
  const message = err instanceof Error ? err.message : String(err);
  return TLS_MESSAGES.some((re) => re.test(message));
}

/** Messages pg produces itself, without a code, for connections that died or timed out. */
const TRANSIENT_MESSAGES = [
  /Connection terminated/i,
  /timeout exceeded when trying to connect/i,
  /Query read timeout/i,
  /connection timeout/i,
  /Client has encountered a connection error/i,
  /Client was closed and is not queryable/i,
  /socket hang up/i,
  /the database system is (starting up|shutting down|in recovery mode)/i,
];

export function errorCode(err: unknown): string | undefined {
  if (err === null || typeof err !== 'object') return undefined;
  const code = (err as { code?: unknown }).code;
  return typeof code === 'string' ? code : undefined;
}

export function classifyError(err: unknown): ErrorClass {
  const code = errorCode(err);
  if (isTlsError(err)) return 'config';
  if (code !== undefined) {
    if (TRANSIENT_NODE_CODES.has(code)) return 'transient';
    if (/^[0-9A-Z]{5}$/.test(code)) return classifySqlState(code);
  }
  // AggregateError from net.connect to several addresses (IPv4+IPv6) carries the codes inside.
  const inner = (err as { errors?: unknown[] } | null)?.errors;
  if (Array.isArray(inner) && inner.length > 0 && inner.every((e) => classifyError(e) === 'transient')) return 'transient';
  const message = err instanceof Error ? err.message : String(err);
  if (TRANSIENT_MESSAGES.some((re) => re.test(message))) return 'transient';
  return 'unknown';
}

export function classifySqlState(code: string): ErrorClass {
  if (code === '23505') return 'duplicate';
  if (TRANSIENT_SQLSTATES.has(code)) return 'transient';
  if (CONFIG_SQLSTATES.has(code)) return 'config';
  const cls = code.slice(0, 2);
  switch (cls) {
    case '08': // connection_exception
    case '53': // insufficient_resources (disk full, out of memory, too many connections)
    case '57': // operator_intervention
    case '40': // transaction_rollback
      return 'transient';
    case '28': // invalid_authorization_specification
      return 'config';
    case '22': // data_exception
    case '23': // integrity_constraint_violation
    case '54': // program_limit_exceeded
      return 'data';
    default:
      return 'unknown';
  }
}

/** A short, log-safe description: code and first line of the message. */
export function describeError(err: unknown): { code?: string; message: string } {
  const code = errorCode(err);
  let message = err instanceof Error ? err.message : String(err);
  const nl = message.indexOf('\n');
  if (nl >= 0) message = message.slice(0, nl);
  if (message.length > 300) message = message.slice(0, 300) + '…';
  return code === undefined ? { message } : { code, message };
}
