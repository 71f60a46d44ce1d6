/**
 * Time periods of the span table's range partitions. Pure functions: the partition key is the
 * span's start time in nanoseconds since the epoch (bigint), periods are whole UTC days, ISO
 * weeks (Monday 00:00 UTC) or calendar months, so every process computes the same bounds.
 */

export const PARTITION_INTERVALS = ['day', 'week', 'month'] as const;
export type PartitionInterval = (typeof PARTITION_INTERVALS)[number];

/** Periods created ahead of the current one: a week of days, four weeks, three months. */
export const PERIODS_AHEAD: Record<PartitionInterval, number> = { day: 7, week: 4, month: 3 };

const DAY_MS = 86_400_000;
const NS_PER_MS = 1_000_000n;
const LETTER: Record<PartitionInterval, string> = { day: 'd', week: 'w', month: 'm' };

export interface Period {
  interval: PartitionInterval;
  /** Start and end (exclusive) in epoch milliseconds. */
  startMs: number;
  endMs: number;
  /** The same bounds in nanoseconds: the partition bounds. */
  lo: bigint;
  hi: bigint;
}

/** Start of the period holding `ms`. */
export function periodStart(interval: PartitionInterval, ms: number): number {
  const d = new Date(ms);
  const day = Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), d.getUTCDate());
  switch (interval) {
    case 'day':
      return day;
    case 'week':
      return day - ((d.getUTCDay() + 6) % 7) * DAY_MS;
    case 'month':
      return Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), 1);
  }
}

/** Start of the period after the one starting at `startMs`. */
export function nextStart(interval: PartitionInterval, startMs: number): number {
  switch (interval) {
    case 'day':
      return startMs + DAY_MS;
    case 'week':
      return startMs + 7 * DAY_MS;
    case 'month': {
      const d = new Date(startMs);
      return Date.UTC(d.getUTCFullYear(), d.getUTCMonth() + 1, 1);
    }
  }
}

export function periodAt(interval: PartitionInterval, ms: number): Period {
  const startMs = periodStart(interval, ms);
  const endMs = nextStart(interval, startMs);
  return { interval, startMs, endMs, lo: BigInt(startMs) * NS_PER_MS, hi: BigInt(endMs) * NS_PER_MS };
}

/** `behind` periods before the one holding `nowMs`, that one, and `ahead` after it, oldest first. */
export function periodsAround(interval: PartitionInterval, nowMs: number, behind = 1, ahead = PERIODS_AHEAD[interval]): Period[] {
  let start = periodStart(interval, nowMs);
  for (let i = 0; i < behind; i++) start = periodStart(interval, start - 1);
  const out: Period[] = [];
  for (let i = 0; i <= behind + ahead; i++) {
    const p = periodAt(interval, start);
    out.push(p);
    start = p.endMs;
  }
  return out;
}

/** Epoch ms of a nanosecond time (floor, so times before 1970 land in the right period). */
export function nsToMs(ns: bigint): number {
  const q = ns / NS_PER_MS;
  return Number(ns < 0n && q * NS_PER_MS !== ns ? q - 1n : q);
}

/** `<table>_d20240501`, `<table>_w20240429`, `<table>_m202405`: sortable, and distinct per interval. */
export function partitionName(table: string, p: Period): string {
  const d = new Date(p.startMs);
  const y = String(d.getUTCFullYear()).padStart(4, '0');
  const m = String(d.getUTCMonth() + 1).padStart(2, '0');
  const day = String(d.getUTCDate()).padStart(2, '0');
  return `${table}_${LETTER[p.interval]}${y}${m}${p.interval === 'month' ? '' : day}`;
}

/** The bounds of an existing partition, from pg_get_expr(relpartbound): a range, DEFAULT, or null (not ours to read). */
export function parseBound(expr: string): { lo: bigint; hi: bigint } | 'default' | null {
  if (/^\s*DEFAULT\s*$/i.test(expr)) return 'default';
  const m = /^\s*FOR VALUES FROM \('?(-?\d+)'?\) TO \('?(-?\d+)'?\)\s*$/i.exec(expr);
  if (m === null) return null;
  return { lo: BigInt(m[1]), hi: BigInt(m[2]) };
}
