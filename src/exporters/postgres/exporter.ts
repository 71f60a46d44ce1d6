/**
 * OpenTelemetry SpanExporter that stores spans in PostgreSQL. The export engine calls it from
 * its worker thread with the spans the app's thread handed over; its queue is the only batching.
 *
 * export() returns at once: it converts the spans to row lines, puts them in a bounded
 * in-memory queue and reports SUCCESS. A background writer
 * drains the queue to PostgreSQL, several batches at a time (up to the pool size). Batches that
 * fail for transient reasons are retried with backoff; what still cannot be written, or does
 * not fit in memory, goes to an on-disk spool that is replayed when the database is back (by
 * this process or the next). Rows the database rejects for their data are isolated and stored
 * in the dead-letter table. Every span ends up stored, dead-lettered, or counted as dropped
 * with a logged reason; nothing here throws into the caller.
 */
import { ExportResult, ExportResultCode } from '@opentelemetry/core';
import type { ReadableSpan, SpanExporter } from '@opentelemetry/sdk-trace-base';
import type { Pool } from 'pg';
import { logger } from '../../shared/logger';
import { stats, ExporterCounters } from '../../shared/stats';
import { PostgresExporterConfig, describeConfig } from './config';
import { classifyError, describeError, errorCode, isTlsError } from './errors';
import { TableNames, tableNames } from './identifier';
import { HeldRows, type Batch } from './queue';
import { IdleWaiters } from '../idle-waiters';
import { MaintenanceScheduler } from './maintenance/scheduler';
import { WakeTimer } from '../wake-timer';
import { backoffDelay } from '../retry';
import { Spool, SpoolStatus } from '../spool';
import { SpoolReplayer, type ReplayResult } from './replayer';
import { RowSpooler } from './row-spooler';
import { PG_SPOOL_HEADER, RowEncoder, encodeRows, lineIds } from './rows';
import { TableClient } from './table-client';
import type { WriteMethod, WriteResult } from './writer';

export const EXPORTER_NAME = 'postgres';

export interface PostgresSpanExporterOptions {
  /** Write method; 'copy' was fastest in our measurements (see bench/postgres-throughput.ts). */
  method?: WriteMethod;
  /** Use this pool instead of creating one; it is then not ended by shutdown(). */
  pool?: Pool;
  /** Replay the spool in the background when the database is reachable (default true). */
  autoReplay?: boolean;
  /** Maintain the table (partitions, retention) at start-up and hourly (default: as autoReplay). */
  maintain?: boolean;
}

export type { ReplayResult } from './replayer';

const SUCCESS: ExportResult = { code: ExportResultCode.SUCCESS };

export class PostgresSpanExporter implements SpanExporter {
  readonly config: PostgresExporterConfig;
  readonly names: TableNames;
  private readonly table: TableClient;
  private readonly encoder: RowEncoder;
  private readonly spool: Spool;
  private readonly counters: ExporterCounters;
  private readonly autoReplay: boolean;

  private readonly held = new HeldRows();
  private readonly spooler: RowSpooler;
  private readonly replayer: SpoolReplayer;
  private readonly drained = new IdleWaiters(() => this.isDrained());
  private readonly maintenance: MaintenanceScheduler | undefined;

  private consecutiveFailures = 0;
  private pausedUntil = 0;
  private readonly wakeTimer = new WakeTimer(() => this.pump());
  private flushing = 0;
  private stopping = false;
  private closed = false;
  private shutdownPromise: Promise<void> | undefined;

  constructor(config: PostgresExporterConfig, options: PostgresSpanExporterOptions = {}) {
    this.config = config;
    this.names = tableNames(config.table);
    this.counters = stats.exporter(EXPORTER_NAME);
    this.autoReplay = options.autoReplay ?? true;
    this.table = new TableClient(config, this.names, options);
    this.encoder = new RowEncoder({ maxStringLength: config.maxStringLength, maxDepth: 32, maxKeyLength: 1024, maxAttributesBytes: config.maxAttributesBytes });
    this.spool = new Spool(config.spoolDir, config.spoolMaxBytes, PG_SPOOL_HEADER);
    this.spooler = new RowSpooler(this.spool, {
      bufferMaxSpans: config.bufferMaxSpans,
      bufferMaxBytes: config.bufferMaxBytes,
      spoolMaxBytes: config.spoolMaxBytes,
      counters: this.counters,
      drop: (reason, n, why, err) => this.drop(reason, n, why, err),
      onSpooled: () => (this.replayer.mayHaveWork = true),
      onIdle: () => this.drained.check(),
    });
    this.replayer = new SpoolReplayer(this.spool, {
      batchSize: config.batchSize,
      retryCount: config.retryCount,
      stopping: () => this.stopping,
      write: (lines, isolateUnknown) => this.table.write(lines, true, isolateUnknown),
      onWritten: (rows, r, ms) => {
        this.onWritten(rows, r, ms);
        this.counters.replayed += r.stored;
      },
      onFailed: (err) => this.noteFailure(err),
      onEnded: () => {
        this.pump();
        this.drained.check();
      },
    });
    logger.info('postgres exporter started', { ...describeConfig(config), method: this.table.writer.method });
    if (this.autoReplay) void this.checkSpool();
    if (options.maintain ?? this.autoReplay) {
      for (const w of config.warnings ?? []) logger.error(`invalid configuration: ${w.message}`, { variable: w.variable });
      this.maintenance = new MaintenanceScheduler(config);
      this.maintenance.start();
    }
  }

  // --- SpanExporter --------------------------------------------------------------------------

  export(spans: ReadableSpan[], resultCallback: (result: ExportResult) => void): void {
    let result: ExportResult = SUCCESS;
    try {
      const n = Array.isArray(spans) ? spans.length : 0;
      this.counters.accepted += n;
      if (this.stopping) {
        this.drop('shutdown', n, 'export after shutdown');
        result = { code: ExportResultCode.FAILED, error: new Error('postgres exporter is shut down') };
      } else if (n > 0) {
        const { lines, bytes, bad } = encodeRows(this.encoder, spans, (err) =>
          logger.limited('warn', 'pg.unconvertible', 'postgres exporter could not convert a span; dropped', { error: describeError(err) }),
        );
        if (bad > 0) this.drop('unconvertible', bad);
        this.held.queue.push(lines, bytes);
        const dropped = this.enforceMemoryBound();
        if (dropped > 0 || bad > 0) {
          result = { code: ExportResultCode.FAILED, error: new Error(`postgres exporter dropped ${dropped + bad} of ${n} spans (see logs)`) };
        }
        this.pump();
      }
    } catch (err) {
      result = { code: ExportResultCode.FAILED, error: err instanceof Error ? err : new Error(String(err)) };
      logger.limited('error', 'pg.export_internal', 'postgres exporter internal error', { error: describeError(err) });
    }
    try {
      resultCallback(result);
    } catch (err) {
      logger.limited('warn', 'pg.callback_threw', 'export result callback threw', { error: describeError(err) });
    }
  }

  /** Writes what is held now; waits at most AGENTOPS_PG_FLUSH_TIMEOUT_MS. Never rejects. */
  async forceFlush(): Promise<void> {
    if (this.closed) return;
    this.flushing++;
    try {
      this.pump();
      const ok = await this.drained.wait(this.config.flushTimeoutMs);
      if (!ok) {
        logger.limited('warn', 'pg.flush_timeout', 'postgres forceFlush timed out; spans stay buffered and are retried', { buffered: this.held.spans, timeoutMs: this.config.flushTimeoutMs });
      }
    } catch (err) {
      logger.limited('error', 'pg.flush_internal', 'postgres forceFlush internal error', { error: describeError(err) });
    } finally {
      this.flushing--;
    }
  }

  /** Drains with a timeout, spools whatever is left, closes the pool. Never rejects. */
  shutdown(): Promise<void> {
    if (this.shutdownPromise === undefined) this.shutdownPromise = this.doShutdown();
    return this.shutdownPromise;
  }

  // --- CLI surface ------------------------------------------------------------------------------

  /** Rows held in memory now (queued, waiting for a retry, being written, waiting for the spool writer). */
  bufferStatus(): { spans: number; bytes: number; spoolingSpans: number; spoolingBytes: number; databaseFailing: boolean } {
    return { spans: this.held.spans, bytes: this.held.bytes, spoolingSpans: this.spooler.spans, spoolingBytes: this.spooler.bytes, databaseFailing: this.consecutiveFailures > 0 };
  }

  spoolStatus(): Promise<SpoolStatus> {
    return this.spool.status();
  }

  /** True when a connection can be had now (and the schema check passes). Never rejects. */
  probe(): Promise<boolean> {
    return this.table.probe();
  }

  /** Replays the spool now, until it is empty or the database fails; resolves to the counts. */
  replaySpoolNow(): Promise<ReplayResult> {
    return this.replayer.now();
  }

  // --- memory bound and spool -----------------------------------------------------------------

  /** Moves the oldest held rows to the spool while memory is over its limits; returns spans dropped. */
  private enforceMemoryBound(): number {
    let dropped = 0;
    const cfg = this.config;
    while (this.held.spans > cfg.bufferMaxSpans || this.held.bytes > cfg.bufferMaxBytes) {
      const oldest = this.held.takeOldest(cfg.batchSize);
      if (oldest === undefined) break; // only in-flight batches left; they leave memory on their own
      const { lines, bytes } = oldest;
      dropped += this.spooler.add(lines, bytes, 'buffer_full', false);
    }
    return dropped;
  }

  /**
   * Exit without time to write: everything this exporter holds goes to the spool now, for the
   * replay helper or the next process. A batch that was being written may have committed
   * meanwhile; replaying it is harmless (ON CONFLICT DO NOTHING). Returns the rows spooled.
   */
  spoolSync(): number {
    if (this.closed) return 0;
    void this.maintenance?.stop();
    this.stopping = true;
    this.closed = true;
    this.wakeTimer.cancel();
    const lines: string[] = [];
    for (const l of this.held.takeAll()) lines.push(l);
    for (const l of this.spooler.takeAll()) lines.push(l);
    if (lines.length === 0) return 0;
    const r = this.spool.writeSync(lines);
    if (r.ok) {
      this.counters.spooled += lines.length;
      return lines.length;
    }
    this.drop(r.reason, lines.length, 'spool write at exit failed', r.error);
    return 0;
  }

  private drop(reason: string, n: number, why?: string, err?: unknown): void {
    if (n <= 0) return;
    stats.drop(EXPORTER_NAME, reason, n);
    logger.limited('error', `pg.drop.${reason}`, 'postgres exporter dropped spans', { reason, spans: n, ...(why ? { why } : {}), ...(err !== undefined ? { error: describeError(err) } : {}) });
  }

  // --- writer ---------------------------------------------------------------------------------

  private schedule(delayMs: number): void {
    if (!this.closed) this.wakeTimer.in(delayMs);
  }

  private pump(): void {
    if (this.closed) return;
    try {
      const now = Date.now();
      if (now < this.pausedUntil) {
        this.schedule(this.pausedUntil - now);
        return;
      }
      // While the database is failing, only one probe at a time.
      const max = this.consecutiveFailures > 0 ? 1 : this.config.poolSize;
      const busy = () => this.held.inFlight.size + (this.replayer.active ? 1 : 0);
      while (busy() < max) {
        let b: Batch | undefined = this.held.retry.shift();
        if (b === undefined) {
          const due = this.flushing > 0 || this.stopping || now - this.held.queue.oldestAt >= this.config.flushIntervalMs;
          if (this.held.queue.count >= this.config.batchSize || (this.held.queue.count > 0 && due)) {
            const { lines, bytes } = this.held.queue.take(this.config.batchSize);
            b = { lines, bytes, attempts: 0, unknownFailures: 0 };
          }
        }
        if (b === undefined) break;
        void this.runBatch(b);
      }
      // While the database is failing, a replay is the probe when nothing else is pending.
      if (this.autoReplay && !this.replayer.active && !this.stopping && this.replayer.mayHaveWork && busy() < max) {
        void this.replayer.start();
      }
      if (this.held.queue.count > 0) this.schedule(this.config.flushIntervalMs - (now - this.held.queue.oldestAt));
    } catch (err) {
      logger.limited('error', 'pg.pump_internal', 'postgres exporter internal error', { error: describeError(err) });
    }
  }

  private async runBatch(b: Batch): Promise<void> {
    this.held.inFlight.add(b);
    logger.debug('postgres export started', { rows: b.lines.length, attempt: b.attempts + 1 });
    const t0 = performance.now();
    try {
      const r = await this.table.write(b.lines, b.attempts > 0, b.unknownFailures > this.config.retryCount);
      if (!b.abandoned) this.onWritten(b.lines.length, r, performance.now() - t0);
    } catch (err) {
      if (!b.abandoned) this.onFailed(b, err);
    } finally {
      this.held.inFlight.delete(b);
      this.pump();
      this.drained.check();
    }
  }

  private onWritten(rows: number, r: WriteResult, ms: number): void {
    const c = this.counters;
    c.exported += r.stored;
    c.deadLettered += r.deadLettered;
    stats.observeLatency(EXPORTER_NAME, ms);
    if (r.dropped > 0) this.drop('dead_letter_rejected', r.dropped, 'the dead-letter table refused rows as well', undefined);
    if (r.deadLettered > 0) {
      logger.limited('warn', 'pg.dead_letter', 'postgres rejected rows; stored in the dead-letter table', { table: this.names.deadLetter, rows: r.deadLettered, samples: r.samples });
    }
    logger.debug('postgres export finished', { rows, stored: r.stored, deadLettered: r.deadLettered, ms: Math.round(ms * 10) / 10 });
    if (this.consecutiveFailures > 0) logger.info('postgres is reachable again', { afterFailures: this.consecutiveFailures });
    this.consecutiveFailures = 0;
    this.pausedUntil = 0;
    if (Date.now() - this.replayer.lastCheck > 30_000) void this.checkSpool();
  }

  /** One failed write: counted, and the writer pauses for a backoff. */
  private noteFailure(err: unknown): void {
    this.counters.failedAttempts++;
    this.consecutiveFailures++;
    this.pausedUntil = Date.now() + backoffDelay(this.consecutiveFailures - 1, { baseMs: this.config.retryBaseMs, maxMs: this.config.retryMaxDelayMs });
    if (errorCode(err) === '42P01') this.table.forgetSchema();
  }

  private onFailed(b: Batch, err: unknown): void {
    const cls = classifyError(err);
    const code = errorCode(err);
    this.noteFailure(err);
    b.attempts++;
    if (cls === 'unknown') b.unknownFailures++;
    const fields = { rows: b.lines.length, attempt: b.attempts, class: cls, error: describeError(err), spans: b.lines.slice(0, 3).map(lineIds) };
    if (cls === 'config') {
      const msg =
        code === '42P01'
          ? `postgres table missing; run "agentops-otel migrate" or psql -f schema.sql (or set AGENTOPS_PG_AUTO_MIGRATE=true)`
          : isTlsError(err)
            ? 'postgres TLS connection refused: the server certificate does not verify (check AGENTOPS_PG_SSLROOTCERT, AGENTOPS_PG_SSLMODE and the host name); spans wait in memory and the spool'
            : 'postgres refuses the exporter (configuration); spans wait in memory and the spool';
      logger.limited('error', `pg.write_failed.config.${code ?? ''}`, msg, fields);
    } else {
      // One line per error code: a second kind of failure is news, not a repeat.
      logger.limited('warn', `pg.write_failed.${code ?? cls}`, 'postgres write failed; will retry', fields);
    }
    const exhausted = cls === 'unknown' ? false : b.attempts > this.config.retryCount;
    if (exhausted && !this.stopping) {
      this.spooler.add(b.lines, b.bytes, 'buffer_full', false);
    } else {
      this.counters.retried += b.lines.length;
      this.held.retry.unshift(b);
      this.enforceMemoryBound();
    }
  }

  private async checkSpool(): Promise<void> {
    if (await this.replayer.check()) this.pump();
  }

  // --- flush and shutdown ---------------------------------------------------------------------

  private isDrained(): boolean {
    return this.held.empty && this.spooler.spans === 0;
  }

  private async doShutdown(): Promise<void> {
    try {
      void this.maintenance?.stop();
      this.stopping = true;
      this.pump();
      const drained = await this.drained.wait(this.config.shutdownTimeoutMs);
      this.closed = true;
      this.wakeTimer.cancel();
      let left = 0;
      if (!drained) {
        const batches = [...this.held.retry.splice(0), ...this.held.inFlight];
        for (const b of batches) {
          // A write still in flight may yet commit; replaying it later is harmless (ON CONFLICT).
          b.abandoned = true;
          left += b.lines.length;
          this.spooler.add(b.lines, b.bytes, 'shutdown', true);
        }
        while (this.held.queue.count > 0) {
          const { lines, bytes } = this.held.queue.take(this.config.batchSize);
          left += lines.length;
          this.spooler.add(lines, bytes, 'shutdown', true);
        }
      }
      await this.replayer.release();
      await this.spooler.settled();
      this.spool.close();
      await this.table.end();
      const c = this.counters;
      logger.info('postgres exporter shut down', {
        drained,
        spooledAtShutdown: left,
        accepted: c.accepted,
        exported: c.exported,
        spooled: c.spooled,
        deadLettered: c.deadLettered,
        dropped: c.dropped,
      });
    } catch (err) {
      logger.limited('error', 'pg.shutdown_internal', 'postgres exporter shutdown error', { error: describeError(err) });
    }
  }
}
