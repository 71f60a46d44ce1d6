/**
 * CLI failures: one clear line for the user, an exit code, and (with --verbose) the stack.
 *
 * Exit codes: 0 ok (also when the reader of stdout closed it early, as `| head` does), 1 a check
 * or an operation failed (database unreachable, no such session, doctor found a problem), 2 the
 * command line itself is wrong (unknown flag, bad value).
 */
import { classifyError } from '../exporters/postgres/errors';

export const EXIT_OK = 0;
export const EXIT_FAILURE = 1;
export const EXIT_USAGE = 2;

export class CliError extends Error {
  override readonly name: string = 'CliError';
  constructor(
    message: string,
    readonly exitCode: number = EXIT_FAILURE,
    readonly hint?: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

export class UsageError extends CliError {
  override readonly name = 'UsageError';
  constructor(message: string, hint?: string) {
    super(message, EXIT_USAGE, hint);
  }
}

/**
 * Whoever read stdout closed it (`agentops-otel export … | head`). Not a failure: the command
 * stops writing and ends quietly with exit 0, as the reader had what it wanted.
 */
export class OutputClosed extends Error {
  override readonly name = 'OutputClosed';
  constructor() {
    super('stdout was closed by its reader');
  }
}

interface PgLikeError {
  code?: string;
  errno?: number;
  message?: string;
  syscall?: string;
  address?: string;
}

/**
 * A database error as one line that says what is wrong and what to do. `target` is the masked
 * connection description (describeTarget), `table` the span table.
 */
export function describeDbError(err: unknown, target: string, table?: string): CliError {
  const e = (err ?? {}) as PgLikeError;
  const code = typeof e.code === 'string' ? e.code : undefined;
  const msg = typeof e.message === 'string' && e.message !== '' ? e.message : String(err);
  const cause = { cause: err };
  switch (code) {
    case 'ECONNREFUSED':
      return new CliError(
        `cannot connect to PostgreSQL at ${target}: connection refused`,
        EXIT_FAILURE,
        'start PostgreSQL (docker compose up -d postgres) or point AGENTOPS_PG_URL at a running server',
        cause,
      );
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
      return new CliError(`cannot connect to PostgreSQL at ${target}: host not found`, EXIT_FAILURE, 'check the host in AGENTOPS_PG_URL / AGENTOPS_PG_HOST', cause);
    case 'ETIMEDOUT':
    case 'EHOSTUNREACH':
    case 'ENETUNREACH':
      return new CliError(`cannot connect to PostgreSQL at ${target}: ${code}`, EXIT_FAILURE, 'check the host, port and firewall; AGENTOPS_PG_CONNECT_TIMEOUT_MS sets the wait', cause);
    case '28P01':
    case '28000':
      return new CliError(
        `PostgreSQL at ${target} refused the credentials: ${msg}`,
        EXIT_FAILURE,
        'check the user and password in AGENTOPS_PG_URL (or AGENTOPS_PG_USER / AGENTOPS_PG_PASSWORD)',
        cause,
      );
    case '3D000':
      return new CliError(`PostgreSQL at ${target}: ${msg}`, EXIT_FAILURE, 'create it (createdb, or CREATE DATABASE) or set the database in AGENTOPS_PG_URL', cause);
    case '42P01':
      return new CliError(`PostgreSQL at ${target}: ${msg}`, EXIT_FAILURE, `the schema${table ? ` for table ${table}` : ''} is missing or older than this version: run "agentops-otel migrate"`, cause);
    case '42501':
      return new CliError(`PostgreSQL at ${target}: permission denied (${msg})`, EXIT_FAILURE, 'grant the user SELECT (and, for migrate/replay, CREATE and INSERT) on the schema', cause);
  }
  if (/timeout/i.test(msg)) {
    return new CliError(`cannot connect to PostgreSQL at ${target}: ${msg}`, EXIT_FAILURE, 'check that the server is up and reachable; AGENTOPS_PG_CONNECT_TIMEOUT_MS sets the wait', cause);
  }
  const cls = classifyError(err);
  const kind = cls === 'transient' ? 'temporary failure' : 'error';
  return new CliError(`PostgreSQL at ${target}: ${kind}${code ? ` ${code}` : ''}: ${msg}`, EXIT_FAILURE, undefined, cause);
}
