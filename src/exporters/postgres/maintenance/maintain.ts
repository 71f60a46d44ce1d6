/**
 * One maintenance pass over the span table: move the rows of an upgraded version-2 table,
 * create the partitions of the coming periods, give the default partition's rows a partition
 * when their period enters the window, and apply retention. Run by `agentops-otel maintain`,
 * `agentops-otel migrate`, and by the exporter at start-up and hourly.
 *
 * Idempotent. One process at a time per table: a session-level advisory lock, tried, not waited
 * for (a second process reports that another one is at work). Each step is its own short
 * transaction with a lock timeout, so a busy table delays a step to the next pass instead of
 * stalling writers behind it. Retention refuses to run when the database's clock and this
 * process's disagree by more than MAX_CLOCK_SKEW_MS: with a wrong clock it could drop live data.
 */
import type { ClientBase } from 'pg';
import { describeError } from '../errors';
import { q, tableNames } from '../identifier';
import { backfill, type BackfillResult } from './backfill';
import { createPartition, listPartitions, missingPeriods, periodsWithRows } from './partitions';
import { periodsAround, type PartitionInterval } from './periods';
import { applyRetention, type RetentionResult } from './retention';

export const MAX_CLOCK_SKEW_MS = 5 * 60_000;
/** Classid of the maintenance advisory lock ("agop"); the objid is hashtext(table). */
const LOCK_CLASS = 1634168688;
const LOCK_TIMEOUT = '2s';

export interface MaintenanceOptions {
  interval: PartitionInterval;
  retentionDays: number;
  /** This process's clock (ms); tests move it. */
  nowMs?: number;
  stopping?: () => boolean;
  progress?: (line: string) => void;
}

export interface MaintenanceReport {
  table: string;
  interval: PartitionInterval;
  retentionDays: number;
  /** Why nothing was done: another process maintains, or the table is missing or older. */
  skipped?: string;
  /** Database clock minus this process's clock. */
  clockSkewMs?: number;
  created: string[];
  movedFromDefault: number;
  backfill?: BackfillResult;
  retention: 'off' | 'applied' | 'refused' | 'failed';
  retentionResult?: RetentionResult;
  /** Steps that could not be done this time (they are retried next time), one line each. */
  problems: string[];
  /** Something changed in the database. */
  changed: boolean;
}

async function inTransaction<T>(db: ClientBase, fn: () => Promise<T>): Promise<T> {
  await db.query(`BEGIN; SET LOCAL lock_timeout = '${LOCK_TIMEOUT}'`);
  try {
    const r = await fn();
    await db.query('COMMIT');
    return r;
  } catch (err) {
    await db.query('ROLLBACK').catch(() => undefined);
    throw err;
  }
}

/** Runs one pass on `db` (a connection of its own: the advisory lock is held by the session). */
export async function runMaintenance(db: ClientBase, table: string, opts: MaintenanceOptions): Promise<MaintenanceReport> {
  const n = tableNames(table);
  const report: MaintenanceReport = { table: n.table, interval: opts.interval, retentionDays: opts.retentionDays, created: [], movedFromDefault: 0, retention: 'off', problems: [], changed: false };
  const kind = (await db.query<{ k: string | null }>('SELECT (SELECT relkind FROM pg_class WHERE oid = to_regclass($1))::text AS k', [q(n.table)])).rows[0].k;
  if (kind !== 'p') {
    report.skipped =
      kind === null ? `table ${n.table} does not exist (run agentops-otel migrate)` : `table ${n.table} is not partitioned: it is of an older schema version (run agentops-otel migrate)`;
    return report;
  }
  const got = await db.query<{ ok: boolean }>('SELECT pg_try_advisory_lock($1, hashtext($2)) AS ok', [LOCK_CLASS, n.table]);
  if (!got.rows[0].ok) {
    report.skipped = 'another process is maintaining this table now';
    return report;
  }
  try {
    const nowMs = opts.nowMs ?? Date.now();
    const server = await db.query<{ ms: string }>('SELECT (extract(epoch FROM clock_timestamp()) * 1000)::bigint::text AS ms');
    report.clockSkewMs = Number(server.rows[0].ms) - nowMs;

    try {
      report.backfill = await backfill(db, n, opts.interval, { stopping: opts.stopping, progress: (rows) => opts.progress?.(`moved ${rows} rows from ${n.legacy}`) });
      if (report.backfill && (report.backfill.rows > 0 || report.backfill.partitions.length > 0 || report.backfill.dropped)) report.changed = true;
    } catch (err) {
      report.problems.push(`moving the rows of ${n.legacy}: ${describeError(err).message}`);
    }

    // Partitions of the coming periods, and of the periods the default partition holds rows of
    // between the oldest partition and the last period created ahead.
    const ahead = periodsAround(opts.interval, nowMs);
    const parts = await listPartitions(db, n);
    const oldest = parts.ranges.length > 0 && parts.ranges[0].lo < ahead[0].lo ? parts.ranges[0].lo : ahead[0].lo;
    const horizon = ahead[ahead.length - 1].hi;
    const fromDefault = parts.hasDefault ? (await periodsWithRows(db, n.defaultPartition, opts.interval)).map((p) => p.period).filter((p) => p.lo >= oldest && p.hi <= horizon) : [];
    for (const p of missingPeriods(parts.ranges, [...ahead, ...fromDefault])) {
      if (opts.stopping?.()) break;
      try {
        const r = await inTransaction(db, () => createPartition(db, n, p, parts.hasDefault));
        report.created.push(r.name);
        report.movedFromDefault += r.moved;
        report.changed = true;
      } catch (err) {
        report.problems.push(`creating the partition for ${new Date(p.startMs).toISOString().slice(0, 10)}: ${describeError(err).message}`);
      }
    }

    if (opts.retentionDays > 0 && !opts.stopping?.()) {
      if (Math.abs(report.clockSkewMs) > MAX_CLOCK_SKEW_MS) {
        report.retention = 'refused';
        report.problems.push(
          `retention refused: the database clock is ${Math.round(report.clockSkewMs / 1000)} s off this machine's (more than ${MAX_CLOCK_SKEW_MS / 60_000} min); nothing was dropped`,
        );
      } else {
        try {
          report.retentionResult = await inTransaction(db, () => applyRetention(db, n, opts.interval, opts.retentionDays, nowMs));
          report.retention = 'applied';
          const r = report.retentionResult;
          if (r.dropped.length + r.deletedDefaultRows + r.summariesRemoved + r.summariesRebuilt + r.deadLettersDeleted > 0) report.changed = true;
        } catch (err) {
          report.retention = 'failed';
          report.problems.push(`retention: ${describeError(err).message} (retried next time)`);
        }
      }
    }
  } finally {
    await db.query('SELECT pg_advisory_unlock($1, hashtext($2))', [LOCK_CLASS, n.table]).catch(() => undefined);
  }
  return report;
}
