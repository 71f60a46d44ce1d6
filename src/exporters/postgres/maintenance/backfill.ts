/**
 * Moves the rows of a version 1/2 table (renamed <table>_v2 by the upgrade) into the partitioned
 * table, a chunk of heap pages per statement: each statement deletes its chunk from the old table
 * and inserts it into the new one (ON CONFLICT DO NOTHING: a span the exporter wrote again
 * meanwhile is stored once), so the summary trigger counts every span exactly once and an
 * interrupted run simply goes on where it stopped. The old table is dropped once empty.
 */
import type { ClientBase } from 'pg';
import { describeError } from '../errors';
import { q, type TableNames } from '../identifier';
import { STORED_COLUMNS } from '../schema/tables';
import { createPartition, listPartitions, missingPeriods, periodsWithRows } from './partitions';
import type { PartitionInterval } from './periods';

/** 8 MiB of heap per statement: a few seconds at most, and little to redo after an interruption. */
const CHUNK_PAGES = 1024;
/** Periods of old rows that get a partition of their own (the newest); older rows go to the default partition. */
export const MAX_BACKFILL_PARTITIONS = 1000;

export interface BackfillResult {
  /** Rows moved into the partitioned table by this call. */
  rows: number;
  /** Rows still in the old table (0 once done). */
  remaining: number;
  partitions: string[];
  /** The old table was dropped (it was empty). */
  dropped: boolean;
  note?: string;
}

async function exists(db: ClientBase, name: string): Promise<boolean> {
  const r = await db.query<{ t: string | null }>('SELECT to_regclass($1)::text AS t', [q(name)]);
  return r.rows[0].t !== null;
}

/**
 * Runs the whole backfill (or until `stopping()`); each step commits on its own. Returns
 * undefined when there is no old table.
 */
export async function backfill(
  db: ClientBase,
  n: TableNames,
  interval: PartitionInterval,
  opts: { stopping?: () => boolean; progress?: (rows: number) => void } = {},
): Promise<BackfillResult | undefined> {
  if (!(await exists(db, n.legacy))) return undefined;
  const res: BackfillResult = { rows: 0, remaining: 0, partitions: [], dropped: false };
  // The old rows' periods get partitions first, so they do not all land in the default partition.
  const periods = (await periodsWithRows(db, n.legacy, interval)).slice(0, MAX_BACKFILL_PARTITIONS).map((p) => p.period);
  const parts = await listPartitions(db, n);
  for (const p of missingPeriods(parts.ranges, periods)) {
    await db.query("BEGIN; SET LOCAL lock_timeout = '2s'");
    try {
      res.partitions.push((await createPartition(db, n, p, parts.hasDefault)).name);
      await db.query('COMMIT');
    } catch (err) {
      await db.query('ROLLBACK').catch(() => undefined);
      throw err;
    }
  }
  const cols = STORED_COLUMNS.join(', ');
  const size = await db.query<{ pages: string }>(`SELECT (pg_relation_size($1) / current_setting('block_size')::bigint)::text AS pages`, [q(n.legacy)]);
  const pages = Number(size.rows[0].pages);
  for (let first = 0; first < pages; first += CHUNK_PAGES) {
    if (opts.stopping?.()) break;
    const r = await db.query(
      `WITH moved AS (DELETE FROM ${q(n.legacy)} WHERE ctid >= '(${first},0)'::tid AND ctid < '(${first + CHUNK_PAGES},0)'::tid RETURNING ${cols})
       INSERT INTO ${q(n.table)} (${cols}) SELECT ${cols} FROM moved ON CONFLICT DO NOTHING`,
    );
    res.rows += r.rowCount ?? 0;
    opts.progress?.(res.rows);
  }
  const left = await db.query<{ n: string }>(`SELECT count(*)::text AS n FROM ${q(n.legacy)}`);
  res.remaining = Number(left.rows[0].n);
  if (res.remaining === 0) {
    try {
      await db.query(`DROP TABLE ${q(n.legacy)}`);
      res.dropped = true;
      await db.query(`ANALYZE ${q(n.table)}`);
      await db.query(`ANALYZE ${q(n.summary)}`);
    } catch (err) {
      // Something of the user's still depends on it (a view): the table stays, empty, and is said so.
      res.note = `${n.legacy} is empty but was not dropped: ${describeError(err).message}`;
    }
  }
  return res;
}
