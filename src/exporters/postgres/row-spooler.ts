/**
 * The PostgreSQL exporter's way to the spool: rows that do not fit in memory, or that the
 * database would not take, are written by one sequential writer. Rows waiting for it are bounded
 * like the buffer; past that they are written synchronously (a few ms of blocking I/O is the
 * back-pressure) rather than dropped.
 */
import { logger } from '../../shared/logger';
import { stats, type ExporterCounters } from '../../shared/stats';
import type { Spool } from '../spool';

/**
 * A replayer reads one spool file into memory at a time, so files are capped by rows and by
 * bytes (large rows would otherwise make a 20,000-row file tens of MB).
 */
const SPOOL_FILE_MAX_LINES = 20_000;
const SPOOL_FILE_MAX_BYTES = 8 * 1024 * 1024;

export interface RowSpoolerOptions {
  bufferMaxSpans: number;
  bufferMaxBytes: number;
  spoolMaxBytes: number;
  counters: ExporterCounters;
  drop(reason: string, n: number, why?: string, err?: unknown): void;
  /** A file was written: the replayer has work. */
  onSpooled(): void;
  /** The writer has nothing left in memory. */
  onIdle(): void;
}

export class RowSpooler {
  /** Rows (and their bytes) waiting for the writer. */
  spans = 0;
  bytes = 0;
  private pending: Array<{ lines: string[]; bytes: number }> = [];
  private writing = false;
  private chain: Promise<void> = Promise.resolve();
  /** The lines being written now: an exit before the write finishes must not lose them. */
  private writingLines: string[] | undefined;

  constructor(
    readonly spool: Spool,
    private readonly o: RowSpoolerOptions,
  ) {}

  /** Queues `lines` for the spool; returns the number of spans dropped at once. */
  add(lines: string[], bytes: number, overflowReason: string, force: boolean): number {
    const n = lines.length;
    if (n === 0) return 0;
    if (!this.spool.enabled) {
      this.o.drop('spool_disabled', n, 'buffer full and spool disabled (AGENTOPS_PG_SPOOL_MAX_BYTES=0)');
      return n;
    }
    // One chunk always fits; past the bound (a burst faster than both the database and the
    // asynchronous writer) the chunk is written synchronously.
    if (!force && this.spans > 0 && (this.spans + n > this.o.bufferMaxSpans || this.bytes + bytes > this.o.bufferMaxBytes)) {
      const r = this.spool.writeSync(lines);
      if (r.ok) {
        this.o.counters.spooled += n;
        stats.onProgress?.();
        this.o.onSpooled();
        logger.limited('warn', 'pg.spool_sync', 'postgres exporter: spans arrive faster than the database and the spool writer take them; spooling synchronously', { spans: n });
        return 0;
      }
      this.o.drop(r.reason === 'spool_write_failed' ? overflowReason : r.reason, n, 'memory buffer full and spool writer behind', r.error);
      return n;
    }
    this.spans += n;
    this.bytes += bytes;
    this.pending.push({ lines, bytes });
    if (!this.writing) {
      this.writing = true;
      this.chain = this.drain();
    }
    return 0;
  }

  /** Resolves when every row handed to `add` is on disk (or counted as dropped). */
  settled(): Promise<void> {
    return this.chain;
  }

  /** Takes back every row not yet on disk, for a synchronous write at exit. */
  takeAll(): string[] {
    const lines = [...(this.writingLines ?? [])];
    for (const p of this.pending.splice(0)) for (const l of p.lines) lines.push(l);
    this.spans = 0;
    this.bytes = 0;
    return lines;
  }

  /** Everything evicted while the previous file was written goes into the next one: under pressure files grow, not multiply. */
  private async drain(): Promise<void> {
    try {
      while (this.pending.length > 0) {
        const lines: string[] = [];
        let bytes = 0;
        while (this.pending.length > 0 && lines.length < SPOOL_FILE_MAX_LINES && bytes < SPOOL_FILE_MAX_BYTES) {
          const p = this.pending.shift()!;
          for (const l of p.lines) lines.push(l);
          bytes += p.bytes;
        }
        const n = lines.length;
        this.writingLines = lines;
        try {
          const r = await this.spool.write(lines);
          if (r.ok) {
            this.o.counters.spooled += n;
            stats.onProgress?.();
            stats.onProgress?.();
            this.o.onSpooled();
            logger.debug('postgres rows spooled', { rows: n, file: r.file });
          } else {
            this.o.drop(r.reason, n, r.reason === 'spool_full' ? `spool is full (AGENTOPS_PG_SPOOL_MAX_BYTES=${this.o.spoolMaxBytes})` : 'spool write failed', r.error);
          }
        } catch (err) {
          this.o.drop('spool_write_failed', n, 'spool write failed', err);
        } finally {
          // takeAll() at exit may have taken these over already.
          if (this.writingLines === lines) {
            this.spans -= n;
            this.bytes -= bytes;
          }
          this.writingLines = undefined;
        }
      }
    } finally {
      this.writing = false;
      this.o.onIdle();
    }
  }
}
