/**
 * The span table's time partitions: which exist, creating one (and moving into it the rows the
 * default partition holds for its period), dropping one. The caller owns the transaction.
 *
 * A partition is created as a plain table, then attached: ATTACH takes only a SHARE UPDATE
 * EXCLUSIVE lock on the span table, so writers go on meanwhile (CREATE TABLE … PARTITION OF
 * would block them). Attaching does lock the default partition, briefly, to check that no row
 * of the new period is left in it.
 */
import type { ClientBase } from 'pg';
import { q, type TableNames } from '../identifier';
import { STORED_COLUMNS } from '../schema/tables';
import { nsToMs, parseBound, partitionName, periodAt, type PartitionInterval, type Period } from './periods';

export interface PartitionRange {
  name: string;
  lo: bigint;
  hi: bigint;
}

export interface Partitions {
  ranges: PartitionRange[];
  hasDefault: boolean;
}

/** The partitions of the span table, oldest first. */
export async function listPartitions(db: ClientBase, n: TableNames): Promise<Partitions> {
  const r = await db.query<{ name: string; bound: string }>(
    `SELECT c.relname AS name, pg_get_expr(c.relpartbound, c.oid) AS bound
     FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid
     WHERE i.inhparent = to_regclass($1)`,
    [q(n.table)],
  );
  const ranges: PartitionRange[] = [];
  let hasDefault = false;
  for (const row of r.rows) {
    const b = parseBound(row.bound);
    if (b === 'default') hasDefault = true;
    else if (b !== null) ranges.push({ name: row.name, ...b });
  }
  ranges.sort((a, b) => (a.lo < b.lo ? -1 : a.lo > b.lo ? 1 : 0));
  return { ranges, hasDefault };
}

export function overlaps(ranges: readonly PartitionRange[], p: { lo: bigint; hi: bigint }): boolean {
  return ranges.some((r) => r.lo < p.hi && p.lo < r.hi);
}

/** The periods among `wanted` that no partition covers yet (a changed interval never overlaps an existing partition). */
export function missingPeriods(ranges: readonly PartitionRange[], wanted: readonly Period[]): Period[] {
  const out: Period[] = [];
  for (const p of wanted) {
    if (
      !overlaps(ranges, p) &&
      !overlaps(
        out.map((o) => ({ name: '', lo: o.lo, hi: o.hi })),
        p,
      )
    )
      out.push(p);
  }
  return out;
}

/** start_ts bound of a nanosecond time, computed exactly as the generated column is (so the CHECK always holds). */
function tsExpr(ns: bigint): string {
  return `to_timestamp((${ns.toString()}::bigint / 1000)::double precision / 1000000)`;
}

/**
 * Creates the partition of `p`, moving into it the default partition's rows of that period.
 * Its CHECK on start_ts lets the planner skip it for queries filtered on start_ts (the views
 * expose start_ts; the partition key is start_time). Returns the name and the rows moved.
 */
export async function createPartition(db: ClientBase, n: TableNames, p: Period, hasDefault: boolean): Promise<{ name: string; moved: number }> {
  const name = partitionName(n.table, p);
  const t = q(n.table);
  const cols = STORED_COLUMNS.join(', ');
  if (hasDefault) await db.query(`LOCK TABLE ${q(n.defaultPartition)} IN ACCESS EXCLUSIVE MODE`);
  await db.query(`CREATE TABLE ${q(name)} (LIKE ${t} INCLUDING DEFAULTS INCLUDING GENERATED)`);
  await db.query(`ALTER TABLE ${q(name)} ADD CONSTRAINT ${q(name + '_ts')} CHECK (start_ts >= ${tsExpr(p.lo)} AND start_ts <= ${tsExpr(p.hi - 1n)})`);
  let moved = 0;
  if (hasDefault) {
    const r = await db.query(
      `WITH moved AS (DELETE FROM ${q(n.defaultPartition)} WHERE start_time >= ${p.lo.toString()} AND start_time < ${p.hi.toString()} RETURNING ${cols})
       INSERT INTO ${q(name)} (${cols}) SELECT ${cols} FROM moved`,
    );
    moved = r.rowCount ?? 0;
  }
  await db.query(`ALTER TABLE ${t} ATTACH PARTITION ${q(name)} FOR VALUES FROM (${p.lo.toString()}) TO (${p.hi.toString()})`);
  return { name, moved };
}

/** Drops a partition (whole: no row-by-row delete, no bloat). Takes an ACCESS EXCLUSIVE lock on the span table for an instant. */
export async function dropPartition(db: ClientBase, n: TableNames, name: string): Promise<void> {
  await db.query(`ALTER TABLE ${q(n.table)} DETACH PARTITION ${q(name)}`);
  await db.query(`DROP TABLE ${q(name)}`);
}

/**
 * The periods holding rows of `relation` (the default partition, or a version-2 table being
 * moved), newest first, with their row counts. One pass over the relation.
 */
export async function periodsWithRows(db: ClientBase, relation: string, interval: PartitionInterval): Promise<Array<{ period: Period; rows: number }>> {
  const r = await db.query<{ t: string; n: string }>(`SELECT min(start_time)::text AS t, count(*)::text AS n FROM ${q(relation)} GROUP BY floor(start_time / 86400000000000.0)`);
  const byStart = new Map<number, { period: Period; rows: number }>();
  for (const row of r.rows) {
    const period = periodAt(interval, nsToMs(BigInt(row.t)));
    const hit = byStart.get(period.startMs);
    if (hit) hit.rows += Number(row.n);
    else byStart.set(period.startMs, { period, rows: Number(row.n) });
  }
  return [...byStart.values()].sort((a, b) => b.period.startMs - a.period.startMs);
}
