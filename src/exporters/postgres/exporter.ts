/**
 * OpenTelemetry SpanExporter that stores spans in PostgreSQL.
 *
 * The BatchSpanProcessor in front of this exporter sends one batch at a time and drops spans
 * when its own queue is full, so export() must return at once: it converts the spans to row
 * lines, puts them in a bounded in-memory queue and reports SUCCESS. A background writer
 * drains the queue to PostgreSQL, several batches at a time (up to the pool size). Batches that
 * fail for transient reasons are retried with backoff; what still cannot be written, or does
 * not fit in memory, goes to an on-disk spool that is replayed when the database is back (by
 * this process or the next). Rows the database rejects for their data are isolated and stored
 * in the dead-letter table. Every span ends up stored, dead-lettered, or counted as dropped
 * with a logged reason; nothing here throws into the caller.
 */
import { ExportResult, ExportResultCode } from '@opentelemetry/core';
import type { ReadableSpan, SpanExporter } from '@opentelemetry/sdk-trace-base';
import { Pool, PoolClient } from 'pg';
import { logger } from '../../telemetry/logger';
import { stats, ExporterCounters } from '../../telemetry/stats';
import { PostgresExporterConfig, describeTarget, poolConfig } from './config';
import { classifyError, describeError, errorCode, isTlsError } from './errors';
import { TableNames, tableNames } from './identifier';
import { LineQueue } from './queue';
import { backoffDelay, sleep } from '../retry';
import { PG_SPOOL_HEADER, RowEncoder, encodeCopyLine, lineCost, lineIds } from './rows';
import { migrate, needsMigration } from './schema/migrate';
import { ClaimedFile, Spool, SpoolStatus } from '../spool';
import { BatchWriter, WriteMethod, WriteResult } from './writer';

export const EXPORTER_NAME = 'postgres';

export interface PostgresSpanExporterOptions {
  /** Write method; 'copy' was fastest in our measurements (see bench/postgres-throughput.ts). */
  method?: WriteMethod;
  /** Use this pool instead of creating one; it is then not ended by shutdown(). */
  pool?: Pool;
  /** Replay the spool in the background when the database is reachable (default true). */
  autoReplay?: boolean;
}

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

interface Batch {
  lines: string[];
  bytes: number;
  attempts: number;
  unknownFailures: number;
  /** Given up to the spool by shutdown while still being written: ignore its outcome. */
  abandoned?: boolean;
}

/**
 * A replayer reads one spool file into memory at a time, so files are capped by rows and by
 * bytes (large rows would otherwise make a 20,000-row file tens of MB).
 */
const SPOOL_FILE_MAX_LINES = 20_000;
const SPOOL_FILE_MAX_BYTES = 8 * 1024 * 1024;

const SUCCESS: ExportResult = { code: ExportResultCode.SUCCESS };

export class PostgresSpanExporter implements SpanExporter {
  readonly config: PostgresExporterConfig;
  readonly names: TableNames;
  private readonly pool: Pool;
  private readonly ownsPool: boolean;
  private readonly writer: BatchWriter;
  private readonly encoder: RowEncoder;
  private readonly spool: Spool;
  private readonly counters: ExporterCounters;
  private readonly autoReplay: boolean;

  private readonly queue = new LineQueue();
  private readonly retryQueue: Batch[] = [];
  private readonly inFlight = new Set<Batch>();
  private spoolingSpans = 0;
  private spoolingBytes = 0;
  private spoolChain: Promise<void> = Promise.resolve();
  private spoolPending: Array<{ lines: string[]; bytes: number }> = [];
  private spoolWriting = false;
  /** The lines the async spool writer is writing now: an exit before it finishes must not lose them. */
  private spoolWritingLines: string[] | undefined;

  private consecutiveFailures = 0;
  private pausedUntil = 0;
  private timer: NodeJS.Timeout | undefined;
  private timerAt = 0;
  private flushing = 0;
  private stopping = false;
  private closed = false;
  private shutdownPromise: Promise<void> | undefined;
  private waiters: Array<() => void> = [];

  private schemaReady = false;
  private schemaPromise: Promise<void> | undefined;

  private replaying: Promise<ReplayResult> | undefined;
  private replayFile: ClaimedFile | undefined;
  private spoolMayHaveWork = false;
  private lastSpoolCheck = 0;
  private readonly replayUnknownFailures = new Map<string, number>();

  constructor(config: PostgresExporterConfig, options: PostgresSpanExporterOptions = {}) {
    this.config = config;
    this.names = tableNames(config.table);
    this.counters = stats.exporter(EXPORTER_NAME);
    this.autoReplay = options.autoReplay ?? true;
    this.writer = new BatchWriter(this.names, options.method ?? 'copy');
    this.encoder = new RowEncoder({ maxStringLength: config.maxStringLength, maxDepth: 32, maxKeyLength: 1024, maxAttributesBytes: config.maxAttributesBytes });
    this.spool = new Spool(config.spoolDir, config.spoolMaxBytes, PG_SPOOL_HEADER);
    if (options.pool) {
      this.pool = options.pool;
      this.ownsPool = false;
    } else {
      this.pool = new Pool(poolConfig(config));
      this.ownsPool = true;
    }
    // Without these listeners a server restart would crash the host app with an 'error' event:
    // pg-pool only listens on idle clients, not on the ones checked out to us.
    this.pool.on('error', (err) => logger.limited('warn', 'pg.pool_error', 'postgres connection error (idle client)', { error: describeError(err) }));
    this.pool.on('connect', (client) => {
      client.on('error', (err) => logger.limited('warn', 'pg.client_error', 'postgres connection error', { error: describeError(err) }));
    });
    logger.info('postgres exporter started', { target: describeTarget(config.connection), table: config.table, spoolDir: config.spoolDir, poolSize: config.poolSize, batchSize: config.batchSize, method: this.writer.method });
    if (this.autoReplay) {
      void this.checkSpool();
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
        const lines: string[] = [];
        let bytes = 0;
        let bad = 0;
        for (let i = 0; i < n; i++) {
          try {
            const line = encodeCopyLine(this.encoder.toRow(spans[i]));
            lines.push(line);
            bytes += lineCost(line);
          } catch (err) {
            bad++;
            logger.limited('warn', 'pg.unconvertible', 'postgres exporter could not convert a span; dropped', { error: describeError(err) });
          }
        }
        if (bad > 0) this.drop('unconvertible', bad);
        this.queue.push(lines, bytes);
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
      const ok = await this.waitDrained(this.config.flushTimeoutMs);
      if (!ok) {
        logger.limited('warn', 'pg.flush_timeout', 'postgres forceFlush timed out; spans stay buffered and are retried', { buffered: this.heldSpans(), timeoutMs: this.config.flushTimeoutMs });
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
    return { spans: this.heldSpans(), bytes: this.heldBytes(), spoolingSpans: this.spoolingSpans, spoolingBytes: this.spoolingBytes, databaseFailing: this.consecutiveFailures > 0 };
  }

  spoolStatus(): Promise<SpoolStatus> {
    return this.spool.status();
  }

  /** True when a connection can be had now (and the schema check passes). Never rejects. */
  async probe(): Promise<boolean> {
    let client: PoolClient | undefined;
    try {
      client = await this.pool.connect();
      await this.ensureSchema(client);
      client.release();
      return true;
    } catch (err) {
      client?.release(err instanceof Error ? err : new Error(String(err)));
      return false;
    }
  }

  /** Replays the spool now, until it is empty or the database fails; resolves to the counts. */
  async replaySpoolNow(): Promise<ReplayResult> {
    if (this.replaying) await this.replaying;
    this.spoolMayHaveWork = true;
    return this.startReplay();
  }

  // --- memory bound and spool -----------------------------------------------------------------

  private heldSpans(): number {
    let n = this.queue.count;
    for (const b of this.retryQueue) n += b.lines.length;
    for (const b of this.inFlight) n += b.lines.length;
    return n;
  }

  private heldBytes(): number {
    let n = this.queue.bytes;
    for (const b of this.retryQueue) n += b.bytes;
    for (const b of this.inFlight) n += b.bytes;
    return n;
  }

  /** Moves the oldest held rows to the spool while memory is over its limits; returns spans dropped. */
  private enforceMemoryBound(): number {
    let dropped = 0;
    const cfg = this.config;
    while (this.heldSpans() > cfg.bufferMaxSpans || this.heldBytes() > cfg.bufferMaxBytes) {
      let lines: string[];
      let bytes: number;
      if (this.retryQueue.length > 0) {
        // Retry batches are older than anything in the queue.
        const b = this.retryQueue.shift()!;
        lines = b.lines;
        bytes = b.bytes;
      } else if (this.queue.count > 0) {
        ({ lines, bytes } = this.queue.take(cfg.batchSize));
      } else {
        break; // only in-flight batches left; they leave memory on their own
      }
      dropped += this.toSpool(lines, bytes, 'buffer_full', false);
    }
    return dropped;
  }

  /**
   * Queues `lines` for the spool. The spool writer is sequential; rows waiting for it are bounded
   * like the buffer (a disk slower than the app must not grow memory without limit). Returns the
   * number of spans dropped at once.
   */
  private toSpool(lines: string[], bytes: number, overflowReason: string, force: boolean): number {
    const n = lines.length;
    if (n === 0) return 0;
    if (!this.spool.enabled) {
      this.drop('spool_disabled', n, 'buffer full and spool disabled (AGENTOPS_PG_SPOOL_MAX_BYTES=0)');
      return n;
    }
    // Rows waiting for the spool writer are bounded like the buffer, but one chunk always fits.
    // Past that (a burst faster than both the database and the asynchronous writer, typically
    // with the event loop saturated by the app), the chunk is written synchronously: a few ms
    // of blocking I/O is the back-pressure, and nothing accepted is dropped while the disk takes it.
    if (!force && this.spoolingSpans > 0 && (this.spoolingSpans + n > this.config.bufferMaxSpans || this.spoolingBytes + bytes > this.config.bufferMaxBytes)) {
      const r = this.spool.writeSync(lines);
      if (r.ok) {
        this.counters.spooled += n;
        this.spoolMayHaveWork = true;
        logger.limited('warn', 'pg.spool_sync', 'postgres exporter: spans arrive faster than the database and the spool writer take them; spooling synchronously', { spans: n });
        return 0;
      }
      this.drop(r.reason === 'spool_write_failed' ? overflowReason : r.reason, n, 'memory buffer full and spool writer behind', r.error);
      return n;
    }
    this.spoolingSpans += n;
    this.spoolingBytes += bytes;
    this.spoolPending.push({ lines, bytes });
    if (!this.spoolWriting) {
      this.spoolWriting = true;
      this.spoolChain = this.drainSpool();
    }
    return 0;
  }

  /**
   * The single spool writer. Everything evicted while the previous file was being written goes
   * into the next file together: under pressure files get bigger, not more numerous.
   */
  private async drainSpool(): Promise<void> {
    try {
      while (this.spoolPending.length > 0) {
        const lines: string[] = [];
        let bytes = 0;
        while (this.spoolPending.length > 0 && lines.length < SPOOL_FILE_MAX_LINES && bytes < SPOOL_FILE_MAX_BYTES) {
          const p = this.spoolPending.shift()!;
          for (const l of p.lines) lines.push(l);
          bytes += p.bytes;
        }
        const n = lines.length;
        this.spoolWritingLines = lines;
        try {
          const r = await this.spool.write(lines);
          if (r.ok) {
            this.counters.spooled += n;
            this.spoolMayHaveWork = true;
            logger.debug('postgres rows spooled', { rows: n, file: r.file });
          } else {
            this.drop(r.reason, n, r.reason === 'spool_full' ? `spool is full (AGENTOPS_PG_SPOOL_MAX_BYTES=${this.config.spoolMaxBytes})` : 'spool write failed', r.error);
          }
        } catch (err) {
          this.drop('spool_write_failed', n, 'spool write failed', err);
        } finally {
          this.spoolWritingLines = undefined;
          this.spoolingSpans -= n;
          this.spoolingBytes -= bytes;
        }
      }
    } finally {
      this.spoolWriting = false;
      this.checkDrained();
    }
  }

  /**
   * Process exit (`process.exit()`, an uncaught exception): only synchronous code runs, so
   * everything this exporter holds, and `spans` still queued in the batch processor, goes to the
   * spool now, for the next process to replay. A batch that was being written may have committed
   * meanwhile; replaying it is harmless (ON CONFLICT DO NOTHING). Returns the rows spooled.
   */
  spoolSync(spans: readonly ReadableSpan[]): number {
    if (this.closed) return 0;
    this.stopping = true;
    this.closed = true;
    if (this.timer !== undefined) clearTimeout(this.timer);
    const lines: string[] = [];
    this.counters.accepted += spans.length;
    let bad = 0;
    for (const span of spans) {
      try {
        lines.push(encodeCopyLine(this.encoder.toRow(span)));
      } catch {
        bad++;
      }
    }
    this.drop('unconvertible', bad);
    for (const b of [...this.retryQueue.splice(0), ...this.inFlight]) {
      b.abandoned = true;
      for (const l of b.lines) lines.push(l);
    }
    for (const l of this.queue.takeAll().lines) lines.push(l);
    for (const l of this.spoolWritingLines ?? []) lines.push(l);
    for (const p of this.spoolPending.splice(0)) for (const l of p.lines) lines.push(l);
    this.spoolingSpans = 0;
    this.spoolingBytes = 0;
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
    if (this.closed) return;
    const at = Date.now() + Math.max(0, delayMs);
    if (this.timer !== undefined && this.timerAt <= at) return;
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timerAt = at;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.pump();
    }, Math.max(0, delayMs));
    this.timer.unref();
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
      const busy = () => this.inFlight.size + (this.replaying ? 1 : 0);
      while (busy() < max) {
        let b: Batch | undefined = this.retryQueue.shift();
        if (b === undefined) {
          const due = this.flushing > 0 || this.stopping || now - this.queue.oldestAt >= this.config.flushIntervalMs;
          if (this.queue.count >= this.config.batchSize || (this.queue.count > 0 && due)) {
            const { lines, bytes } = this.queue.take(this.config.batchSize);
            b = { lines, bytes, attempts: 0, unknownFailures: 0 };
          }
        }
        if (b === undefined) break;
        void this.runBatch(b);
      }
      // While the database is failing, a replay is the probe when nothing else is pending.
      if (this.autoReplay && !this.replaying && !this.stopping && this.spoolMayHaveWork && busy() < max) {
        void this.startReplay();
      }
      if (this.queue.count > 0) this.schedule(this.config.flushIntervalMs - (now - this.queue.oldestAt));
    } catch (err) {
      logger.limited('error', 'pg.pump_internal', 'postgres exporter internal error', { error: describeError(err) });
    }
  }

  private async ensureSchema(client: PoolClient): Promise<void> {
    if (this.schemaReady || !this.config.autoMigrate) return;
    if (this.schemaPromise === undefined) {
      this.schemaPromise = (async () => {
        if (await needsMigration(client, this.names.table)) {
          const r = await migrate(client, this.names.table);
          if (r.applied.length > 0) logger.info('postgres schema migrated', { table: r.table, from: r.from, to: r.to });
        }
        this.schemaReady = true;
      })().finally(() => {
        this.schemaPromise = undefined;
      });
      await this.schemaPromise;
    } else {
      // Another batch is migrating on its own connection: wait for it, then write.
      await this.schemaPromise.catch(() => undefined);
      if (!this.schemaReady) await this.ensureSchema(client);
    }
  }

  private async connectAndWrite(lines: string[], idempotent: boolean, isolateUnknown: boolean): Promise<WriteResult> {
    let client: PoolClient | undefined;
    try {
      client = await this.pool.connect();
      await this.ensureSchema(client);
      const r = await this.writer.write(client, lines, { idempotent, isolateUnknown });
      client.release();
      return r;
    } catch (err) {
      // The connection's state is unknown after an error: discard it rather than reuse it.
      client?.release(err instanceof Error ? err : new Error(String(err)));
      throw err;
    }
  }

  private async runBatch(b: Batch): Promise<void> {
    this.inFlight.add(b);
    logger.debug('postgres export started', { rows: b.lines.length, attempt: b.attempts + 1 });
    const t0 = performance.now();
    try {
      const r = await this.connectAndWrite(b.lines, b.attempts > 0, b.unknownFailures > this.config.retryCount);
      if (!b.abandoned) this.onWritten(b.lines.length, r, performance.now() - t0);
    } catch (err) {
      if (!b.abandoned) this.onFailed(b, err);
    } finally {
      this.inFlight.delete(b);
      this.pump();
      this.checkDrained();
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
    if (Date.now() - this.lastSpoolCheck > 30_000) void this.checkSpool();
  }

  private onFailed(b: Batch, err: unknown): void {
    const cls = classifyError(err);
    const code = errorCode(err);
    this.counters.failedAttempts++;
    this.consecutiveFailures++;
    this.pausedUntil = Date.now() + backoffDelay(this.consecutiveFailures - 1, { baseMs: this.config.retryBaseMs, maxMs: this.config.retryMaxDelayMs });
    b.attempts++;
    if (cls === 'unknown') b.unknownFailures++;
    if (code === '42P01') this.schemaReady = false;
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
      logger.limited('warn', 'pg.write_failed', 'postgres write failed; will retry', fields);
    }
    const exhausted = cls === 'unknown' ? false : b.attempts > this.config.retryCount;
    if (exhausted && !this.stopping) {
      this.toSpool(b.lines, b.bytes, 'buffer_full', false);
    } else {
      this.counters.retried += b.lines.length;
      this.retryQueue.unshift(b);
      this.enforceMemoryBound();
    }
  }

  // --- spool replay ---------------------------------------------------------------------------

  private async checkSpool(): Promise<void> {
    this.lastSpoolCheck = Date.now();
    try {
      if (await this.spool.hasWork()) {
        this.spoolMayHaveWork = true;
        this.pump();
      }
    } catch {
      // the spool is optional; a broken directory shows up when writing to it
    }
  }

  private startReplay(): Promise<ReplayResult> {
    if (this.replaying) return this.replaying;
    const p = this.replayLoop().finally(() => {
      if (this.replaying === p) this.replaying = undefined;
      this.pump();
      this.checkDrained();
    });
    this.replaying = p;
    return p;
  }

  private async replayLoop(): Promise<ReplayResult> {
    const res: ReplayResult = { files: 0, rows: 0, stored: 0, deadLettered: 0, dropped: 0, remainingFiles: 0 };
    try {
      while (!this.stopping) {
        const file = await this.spool.claimNext();
        if (file === null) {
          this.spoolMayHaveWork = false;
          break;
        }
        this.replayFile = file;
        let lines: string[] | null;
        try {
          lines = await this.spool.read(file);
        } catch (err) {
          lines = null;
          logger.limited('warn', 'pg.spool_read', 'cannot read spool file', { file: file.original, error: describeError(err) });
        }
        if (lines === null) {
          await this.spool.reject(file);
          logger.limited('error', 'pg.spool_rejected', 'spool file is not in this release\'s format; moved aside', { file: `${file.original}.rejected` });
          this.replayFile = undefined;
          continue;
        }
        res.files++;
        let ok = true;
        for (let i = 0; i < lines.length && ok; i += this.config.batchSize) {
          if (this.stopping) {
            ok = false;
            break;
          }
          const chunk = lines.slice(i, i + this.config.batchSize);
          const unknown = this.replayUnknownFailures.get(file.original) ?? 0;
          const t0 = performance.now();
          try {
            const r = await this.connectAndWrite(chunk, true, unknown > this.config.retryCount);
            res.rows += chunk.length;
            res.stored += r.stored;
            res.deadLettered += r.deadLettered;
            res.dropped += r.dropped;
            this.onWritten(chunk.length, r, performance.now() - t0);
            this.counters.replayed += r.stored;
          } catch (err) {
            ok = false;
            const cls = classifyError(err);
            if (cls === 'unknown') this.replayUnknownFailures.set(file.original, unknown + 1);
            this.counters.failedAttempts++;
            this.consecutiveFailures++;
            this.pausedUntil = Date.now() + backoffDelay(this.consecutiveFailures - 1, { baseMs: this.config.retryBaseMs, maxMs: this.config.retryMaxDelayMs });
            res.error = describeError(err);
            logger.limited('warn', 'pg.replay_failed', 'postgres spool replay failed; will retry', { file: file.original, class: cls, error: res.error });
          }
        }
        if (ok) {
          await this.spool.complete(file);
          this.replayUnknownFailures.delete(file.original);
          logger.debug('postgres spool file replayed', { file: file.original, rows: lines.length });
        } else {
          // Rows already written are skipped by ON CONFLICT when the file is replayed again.
          await this.spool.unclaim(file);
        }
        this.replayFile = undefined;
        if (!ok) break;
      }
    } catch (err) {
      res.error = describeError(err);
      logger.limited('error', 'pg.replay_internal', 'postgres spool replay internal error', { error: res.error });
      if (this.replayFile) await this.spool.unclaim(this.replayFile);
      this.replayFile = undefined;
    }
    try {
      res.remainingFiles = (await this.spool.status()).files;
    } catch {
      // status is informative only
    }
    if (res.files > 0) logger.info('postgres spool replayed', { ...res });
    return res;
  }

  // --- flush and shutdown ---------------------------------------------------------------------

  private isDrained(): boolean {
    return this.queue.count === 0 && this.retryQueue.length === 0 && this.inFlight.size === 0 && this.spoolingSpans === 0;
  }

  private checkDrained(): void {
    if (this.waiters.length === 0 || !this.isDrained()) return;
    const w = this.waiters;
    this.waiters = [];
    for (const f of w) f();
  }

  /** Resolves true when everything held is written (or spooled), false on timeout. */
  private waitDrained(timeoutMs: number): Promise<boolean> {
    if (this.isDrained()) return Promise.resolve(true);
    return new Promise<boolean>((resolve) => {
      let settled = false;
      const done = (v: boolean) => {
        if (settled) return;
        settled = true;
        clearTimeout(t);
        resolve(v);
      };
      const t = setTimeout(() => {
        this.waiters = this.waiters.filter((w) => w !== onDrained);
        done(false);
      }, timeoutMs);
      t.unref();
      const onDrained = () => done(true);
      this.waiters.push(onDrained);
    });
  }

  private async doShutdown(): Promise<void> {
    try {
      this.stopping = true;
      this.pump();
      const drained = await this.waitDrained(this.config.shutdownTimeoutMs);
      this.closed = true;
      if (this.timer !== undefined) clearTimeout(this.timer);
      let left = 0;
      if (!drained) {
        const batches = [...this.retryQueue.splice(0), ...this.inFlight];
        for (const b of batches) {
          // A write still in flight may yet commit; replaying it later is harmless (ON CONFLICT).
          b.abandoned = true;
          left += b.lines.length;
          this.toSpool(b.lines, b.bytes, 'shutdown', true);
        }
        while (this.queue.count > 0) {
          const { lines, bytes } = this.queue.take(this.config.batchSize);
          left += lines.length;
          this.toSpool(lines, bytes, 'shutdown', true);
        }
      }
      const replayFile = this.replayFile;
      if (replayFile !== undefined) await this.spool.unclaim(replayFile);
      await this.spoolChain;
      this.spool.close();
      if (this.ownsPool) {
        await Promise.race([this.pool.end().catch(() => undefined), sleep(2000)]);
      }
      const c = this.counters;
      logger.info('postgres exporter shut down', { drained, spooledAtShutdown: left, accepted: c.accepted, exported: c.exported, spooled: c.spooled, deadLettered: c.deadLettered, dropped: c.dropped });
    } catch (err) {
      logger.limited('error', 'pg.shutdown_internal', 'postgres exporter shutdown error', { error: describeError(err) });
    }
  }
}
