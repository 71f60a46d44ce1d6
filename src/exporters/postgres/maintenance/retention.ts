/**
 * Retention: whole partitions older than AGENTOPS_PG_RETENTION_DAYS are dropped (instant, no
 * bloat), the few old rows of the default partition and of the dead-letter table deleted, and the
 * summaries of the sessions that lost spans made to match the spans left: a session with none
 * left loses its summary, one with some left (it straddled the cut) is recomputed from them.
 *
 * All of it is one transaction that holds the span table's ACCESS EXCLUSIVE lock (taken by the
 * detach) from the drop to the commit: no writer can add a span of a session being recomputed
 * in between, so the summaries are exact when it commits.
 */
import type { ClientBase } from 'pg';
import { q, type TableNames } from '../identifier';
import { recomputeSql } from '../schema/summary';
import { dropPartition, listPartitions } from './partitions';
import { periodStart, type PartitionInterval } from './periods';

const NS_PER_MS = 1_000_000n;
const DAY_MS = 86_400_000;
/** Sessions recomputed per statement. */
const RECOMPUTE_CHUNK = 1000;

export interface RetentionResult {
  /** Spans older than this (ISO) are gone. */
  cutoff: string;
  dropped: string[];
  deletedDefaultRows: number;
  summariesRemoved: number;
  summariesRebuilt: number;
  deadLettersDeleted: number;
}

/** Applies retention as of `nowMs` in the caller's open transaction. */
export async function applyRetention(db: ClientBase, n: TableNames, interval: PartitionInterval, days: number, nowMs: number): Promise<RetentionResult> {
  const cutoffMs = nowMs - days * DAY_MS;
  const cutoff = BigInt(cutoffMs) * NS_PER_MS;
  // A default-partition row goes when its whole period is older than the cutoff, as a partition would.
  const periodCut = BigInt(periodStart(interval, cutoffMs)) * NS_PER_MS;
  const res: RetentionResult = { cutoff: new Date(cutoffMs).toISOString(), dropped: [], deletedDefaultRows: 0, summariesRemoved: 0, summariesRebuilt: 0, deadLettersDeleted: 0 };

  const parts = await listPartitions(db, n);
  // Every span removed below started before `lost`; every span kept starts at or after `kept`.
  let lost = 0n;
  let kept = periodCut;
  for (const p of parts.ranges) {
    if (p.hi <= cutoff) {
      await dropPartition(db, n, p.name);
      res.dropped.push(p.name);
      if (p.hi > lost) lost = p.hi;
    } else if (p.lo < kept) {
      kept = p.lo;
    }
  }
  if (parts.hasDefault) {
    const d = await db.query(`DELETE FROM ${q(n.defaultPartition)} WHERE start_time < ${periodCut.toString()}`);
    res.deletedDefaultRows = d.rowCount ?? 0;
    if (res.deletedDefaultRows > 0 && periodCut > lost) lost = periodCut;
  }
  if (lost > 0n) {
    const s = q(n.summary);
    const gone = await db.query(`DELETE FROM ${s} WHERE first_start_time < $1::bigint AND last_start_time < $2::bigint`, [lost.toString(), kept.toString()]);
    res.summariesRemoved = gone.rowCount ?? 0;
    const straddling = await db.query<{ id: string }>(`SELECT trace_id::text AS id FROM ${s} WHERE first_start_time < $1::bigint`, [lost.toString()]);
    const ids = straddling.rows.map((r) => r.id);
    const [del, ins] = recomputeSql(n);
    for (let i = 0; i < ids.length; i += RECOMPUTE_CHUNK) {
      const chunk = ids.slice(i, i + RECOMPUTE_CHUNK);
      await db.query(del, [chunk]);
      const r = await db.query(ins, [chunk]);
      res.summariesRebuilt += r.rowCount ?? 0;
    }
  }
  const dl = await db.query(`DELETE FROM ${q(n.deadLetter)} WHERE failed_at < to_timestamp($1::double precision / 1000)`, [cutoffMs]);
  res.deadLettersDeleted = dl.rowCount ?? 0;
  return res;
}
