/**
 * Replays the PostgreSQL spool: claims the oldest file, writes its rows idempotently in batches,
 * deletes it once every row is stored or dead-lettered. A failed write gives the file back (the
 * rows already stored are skipped by ON CONFLICT next time) and stops until the database answers.
 */
import { logger } from '../../shared/logger';
import type { ClaimedFile, Spool } from '../spool';
import { classifyError, describeError } from './errors';
import type { WriteResult } from './writer';

export interface ReplayResult {
  files: number;
  rows: number;
  stored: number;
  deadLettered: number;
  dropped: number;
  /** Files still waiting (replay stopped on a failure, or others appeared meanwhile). */
  remainingFiles: number;
  error?: { code?: string; message: string };
}

export interface ReplayHost {
  batchSize: number;
  retryCount: number;
  stopping(): boolean;
  /** Writes rows that may already be stored; `isolateUnknown` after repeated unexplained failures. */
  write(lines: string[], isolateUnknown: boolean): Promise<WriteResult>;
  onWritten(rows: number, r: WriteResult, ms: number): void;
  onFailed(err: unknown): void;
  /** A replay ended: the writer may go on. */
  onEnded(): void;
}

export class SpoolReplayer {
  /** The spool may hold files: set when one is written or found, cleared when a claim finds none. */
  mayHaveWork = false;
  lastCheck = 0;
  private running: Promise<ReplayResult> | undefined;
  private file: ClaimedFile | undefined;
  private readonly unknownFailures = new Map<string, number>();

  constructor(
    private readonly spool: Spool,
    private readonly host: ReplayHost,
  ) {}

  get active(): boolean {
    return this.running !== undefined;
  }

  /** Looks for files (other processes share the directory); true when there is work. */
  async check(): Promise<boolean> {
    this.lastCheck = Date.now();
    try {
      if (await this.spool.hasWork()) this.mayHaveWork = true;
    } catch {
      // the spool is optional; a broken directory shows up when writing to it
    }
    return this.mayHaveWork;
  }

  start(): Promise<ReplayResult> {
    if (this.running) return this.running;
    const p = this.loop().finally(() => {
      if (this.running === p) this.running = undefined;
      this.host.onEnded();
    });
    this.running = p;
    return p;
  }

  /** After the replay in progress, one more pass over the whole spool. */
  async now(): Promise<ReplayResult> {
    if (this.running) await this.running;
    this.mayHaveWork = true;
    return this.start();
  }

  /** Gives back the file being replayed (shutdown): it is replayed again later, idempotently. */
  async release(): Promise<void> {
    const f = this.file;
    if (f !== undefined) await this.spool.unclaim(f);
  }

  private async loop(): Promise<ReplayResult> {
    const res: ReplayResult = { files: 0, rows: 0, stored: 0, deadLettered: 0, dropped: 0, remainingFiles: 0 };
    try {
      while (!this.host.stopping()) {
        const file = await this.spool.claimNext();
        if (file === null) {
          this.mayHaveWork = false;
          break;
        }
        this.file = file;
        const ok = await this.replayFile(file, res);
        this.file = undefined;
        if (!ok) break;
      }
    } catch (err) {
      res.error = describeError(err);
      logger.limited('error', 'pg.replay_internal', 'postgres spool replay internal error', { error: res.error });
      if (this.file) await this.spool.unclaim(this.file);
      this.file = undefined;
    }
    try {
      res.remainingFiles = (await this.spool.status()).files;
    } catch {
      // status is informative only
    }
    if (res.files > 0) logger.info('postgres spool replayed', { ...res });
    return res;
  }

  /** True when the whole file is stored (or dead-lettered) and deleted. */
  private async replayFile(file: ClaimedFile, res: ReplayResult): Promise<boolean> {
    let lines: string[] | null;
    try {
      lines = await this.spool.read(file);
    } catch (err) {
      lines = null;
      logger.limited('warn', 'pg.spool_read', 'cannot read spool file', { file: file.original, error: describeError(err) });
    }
    if (lines === null) {
      await this.spool.reject(file);
      logger.limited('error', 'pg.spool_rejected', "spool file is not in this release's format; moved aside", { file: `${file.original}.rejected` });
      return true;
    }
    res.files++;
    for (let i = 0; i < lines.length; i += this.host.batchSize) {
      if (this.host.stopping()) {
        await this.spool.unclaim(file);
        return false;
      }
      const chunk = lines.slice(i, i + this.host.batchSize);
      const unknown = this.unknownFailures.get(file.original) ?? 0;
      const t0 = performance.now();
      try {
        const r = await this.host.write(chunk, unknown > this.host.retryCount);
        res.rows += chunk.length;
        res.stored += r.stored;
        res.deadLettered += r.deadLettered;
        res.dropped += r.dropped;
        this.host.onWritten(chunk.length, r, performance.now() - t0);
      } catch (err) {
        const cls = classifyError(err);
        if (cls === 'unknown') this.unknownFailures.set(file.original, unknown + 1);
        this.host.onFailed(err);
        res.error = describeError(err);
        logger.limited('warn', 'pg.replay_failed', 'postgres spool replay failed; will retry', { file: file.original, class: cls, error: res.error });
        // Rows already written are skipped by ON CONFLICT when the file is replayed again.
        await this.spool.unclaim(file);
        return false;
      }
    }
    await this.spool.complete(file);
    this.unknownFailures.delete(file.original);
    logger.debug('postgres spool file replayed', { file: file.original, rows: lines.length });
    return true;
  }
}
