/**
 * SQL identifiers that come from configuration (the table name) are interpolated into DDL and
 * COPY statements, which cannot take bind parameters. They are therefore accepted only in a
 * deliberately small shape and always quoted, so no configured value can change a statement.
 */

/**
 * Lower-case, unquoted-style names only. The length cap leaves room for the longest derived name
 * (`<table>_dead_letter_pkey`, 17 more characters) within PostgreSQL's 63-byte identifier limit,
 * which would otherwise silently truncate it and make two derived names collide.
 */
export const TABLE_NAME_PATTERN = /^[a-z_][a-z0-9_]{0,45}$/;
export const TABLE_NAME_EXPECTED = 'a lower-case SQL identifier: a letter or _ followed by up to 45 letters, digits or _ (e.g. agentops_spans)';

export function isValidTableName(name: string): boolean {
  return TABLE_NAME_PATTERN.test(name);
}

/** Throws a plain Error (the config layer turns it into a ConfigError that names the variable). */
export function assertTableName(name: string): string {
  if (typeof name !== 'string' || !isValidTableName(name)) {
    throw new Error(`invalid table name ${JSON.stringify(String(name).slice(0, 80))}: expected ${TABLE_NAME_EXPECTED}`);
  }
  return name;
}

/** Double-quoted identifier. Safe only because the name already matched TABLE_NAME_PATTERN. */
export function quoteIdent(name: string): string {
  return `"${assertTableName(name)}"`;
}

/** Names of every object derived from the configured table name, in one place so DDL and DML agree. */
export interface TableNames {
  table: string;
  deadLetter: string;
  stage: string;
  startIndex: string;
  deadLetterIndex: string;
  /** The reporting views (schema version 2): see viewPrefix(). */
  sessionsView: string;
  /** Schema version 3: the per-session summary table, its indexes, and the trigger function that keeps it. */
  summary: string;
  summaryStartIndex: string;
  summaryTsIndex: string;
  summarize: string;
  /** The default partition (spans whose period has no partition of its own). */
  defaultPartition: string;
  /** A version 1/2 table renamed by the upgrade until its rows are moved, and its renamed indexes. */
  legacy: string;
  legacyPkey: string;
  legacyStartIndex: string;
  llmCallsView: string;
  errorsView: string;
}

/**
 * Views are per span table. Their prefix is the table name without a trailing `_spans`, so the
 * default table `agentops_spans` has `agentops_sessions`, `agentops_llm_calls` and
 * `agentops_errors`; a table `acme_spans` has `acme_sessions`, …; a table `traces` has
 * `traces_sessions`, …. (Consequence: tables `x` and `x_spans` in one database would share view
 * names; give them distinct names.)
 */
export function viewPrefix(table: string): string {
  assertTableName(table);
  return table.endsWith('_spans') && table.length > '_spans'.length ? table.slice(0, -'_spans'.length) : table;
}

export function tableNames(table: string): TableNames {
  assertTableName(table);
  return {
    table,
    deadLetter: `${table}_dead_letter`,
    stage: `${table}_stage`,
    startIndex: `${table}_start_ts_idx`,
    deadLetterIndex: `${table}_dl_failed_at_idx`,
    sessionsView: `${viewPrefix(table)}_sessions`,
    llmCallsView: `${viewPrefix(table)}_llm_calls`,
    errorsView: `${viewPrefix(table)}_errors`,
    summary: `${table}_summary`,
    summaryStartIndex: `${table}_sum_start_idx`,
    summaryTsIndex: `${table}_sum_ts_idx`,
    summarize: `${table}_summarize`,
    defaultPartition: `${table}_default`,
    legacy: `${table}_v2`,
    legacyPkey: `${table}_v2_pkey`,
    legacyStartIndex: `${table}_v2_start_idx`,
  };
}

/** Quotes a derived name, which is the validated table name plus a fixed suffix. */
export function q(derived: string): string {
  if (!/^[a-z_][a-z0-9_]{0,62}$/.test(derived)) throw new Error(`invalid derived identifier ${JSON.stringify(derived)}`);
  return `"${derived}"`;
}
