/**
 * The OTLP (Jaeger) destination: a bounded in-memory queue, batches of
 * OTEL_BSP_MAX_EXPORT_BATCH_SIZE sent every OTEL_BSP_SCHEDULE_DELAY (or as soon as one is full),
 * retries with full-jitter backoff that honour Retry-After, and an on-disk spool for what does
 * not fit in memory or could not be delivered by the deadline of a drain. The spool is replayed,
 * oldest first, as soon as the receiver answers again: by this process or the next.
 *
 * A span is dropped only when the spool is full (or off) or when the receiver refuses it as
 * invalid (400/413 for that span alone: a refused batch is split until the culprit is found).
 */
import type { ReadableSpan } from '@opentelemetry/sdk-trace-base';
import { logger } from '../../shared/logger';
import { stats, type ExporterCounters } from '../../shared/stats';
import type { Destination } from '../destination';
import { backoffDelay } from '../retry';
import { Spool } from '../spool';
import { IdleWaiters } from '../idle-waiters';
import { WakeTimer } from '../wake-timer';
import { OTLP_SPOOL_HEADER, OtlpCodec, spanCost, toSpoolLine } from './body';
import type { OtlpExporterConfig } from './config';
import { OtlpSpoolReplayer } from './replayer';
import { OtlpSender, type SendOutcome } from './sender';

export const OTLP_EXPORTER_NAME = 'jaeger';

const MAX_CONCURRENT = 2;
const RETRY_BASE_MS = 100;
const RETRY_MAX_MS = 10_000;
/** A receiver asking for more than this is probed again sooner: a shutdown must not wait an hour. */
const RETRY_AFTER_CAP_MS = 60_000;
/** How long a drain past its deadline still waits for the answers to requests in flight. */
const IN_FLIGHT_GRACE_MS = 500;
/** No request starts in the last second of a drain (or its last fifth, when shorter). */
const LAST_REQUEST_MARGIN_MS = 1_000;

interface Batch {
  spans: ReadableSpan[];
  bytes: number;
  body?: Uint8Array;
  /** Given to the spool by a drain's deadline while still in flight: its answer no longer counts. */
  abandoned?: boolean;
}

export class OtlpExporter implements Destination {
  readonly name = OTLP_EXPORTER_NAME;
  private readonly counters: ExporterCounters;
  private readonly codec: OtlpCodec;
  private readonly sender: OtlpSender;
  private readonly spool: Spool;

  private queue: ReadableSpan[] = [];
  private queueBytes = 0;
  private queueSince = 0;
  private readonly retryQueue: Batch[] = [];
  private readonly inFlight = new Set<Batch>();
  private consecutiveFailures = 0;
  private pausedUntil = 0;
  private readonly wakeTimer = new WakeTimer(() => this.pump());
  private draining = 0;
  private drainDeadline = 0;
  /** In a drain's last stretch no request starts: one unanswered at the deadline is spooled, and sent twice if it did arrive. */
  private drainMargin = 0;
  private closed = false;
  private readonly replayer: OtlpSpoolReplayer;
  private readonly idleWaiters = new IdleWaiters(() => this.idle());
  /** What the last failed attempt said, for the exit report. */
  private lastError: string | undefined;

  constructor(private readonly cfg: OtlpExporterConfig) {
    this.counters = stats.exporter(this.name);
    this.codec = new OtlpCodec(cfg.protocol);
    this.sender = new OtlpSender(
      cfg,
      (b) => this.codec.readResponse(b),
      (msg, fields) => logger.limited('warn', 'otlp.bad_response', msg, fields),
    );
    this.spool = new Spool(cfg.spoolDir, cfg.spoolMaxBytes, OTLP_SPOOL_HEADER);
    this.replayer = new OtlpSpoolReplayer(
      this.spool,
      {
        mayGoOn: () => !this.closed && this.consecutiveFailures === 0,
        send: (body, contentType) => this.sender.send(body, contentType, this.cfg.timeoutMillis),
        onDelivered: (n, ms) => {
          stats.observeLatency(this.name, ms);
          this.counters.exported += n;
          this.counters.replayed += n;
          this.onHealthy();
        },
        onRefused: (n, error, keptAs) => this.drop('rejected', n, `the receiver refused a spooled request as invalid (${error}); file kept as ${keptAs}`),
        onFailed: (error) => {
          this.lastError = error;
          this.consecutiveFailures++;
          this.counters.failedAttempts++;
          this.pausedUntil = Date.now() + backoffDelay(this.consecutiveFailures - 1, { baseMs: RETRY_BASE_MS, maxMs: RETRY_MAX_MS });
          logger.limited('warn', 'otlp.replay_failed', 'jaeger (OTLP) spool replay failed; will retry', { error });
        },
      },
      () => {
        this.pump();
        this.idleWaiters.check();
      },
    );
    this.schedule(0);
  }

  accept(spans: readonly ReadableSpan[]): void {
    const n = spans.length;
    if (n === 0) return;
    this.counters.accepted += n;
    if (this.closed) {
      this.toSpool({ spans: [...spans], bytes: 0 });
      return;
    }
    if (this.queue.length === 0) this.queueSince = Date.now();
    for (let i = 0; i < n; i++) {
      this.queue.push(spans[i]);
      this.queueBytes += spanCost(spans[i]);
    }
    this.enforceBound();
    this.pump();
  }

  queued(): number {
    let n = this.queue.length;
    for (const b of this.retryQueue) n += b.spans.length;
    for (const b of this.inFlight) n += b.spans.length;
    return n;
  }

  async drain(deadline: number, final: boolean): Promise<void> {
    this.draining++;
    this.drainDeadline = deadline;
    this.drainMargin = Math.min(LAST_REQUEST_MARGIN_MS, Math.max(0, deadline - Date.now()) / 5);
    const spooledBefore = this.counters.spooled;
    try {
      this.pump();
      await this.idleWaiters.wait(deadline - Date.now());
      // The spool of an earlier run goes out too while the receiver answers: a short process
      // delivers what its predecessor could not.
      const replay = this.idle() && this.replayer.mayHaveWork && this.consecutiveFailures === 0 ? this.replayer.start() : this.replayer.current;
      if (replay !== undefined) await this.untilDeadline(replay, deadline);
      // Requests in flight get a last moment to be answered (the answer may already wait behind
      // CPU-bound work): spooling a request the receiver did take would send its spans twice.
      if (this.inFlight.size > 0 || this.replayer.current !== undefined) {
        this.spoolQueued();
        this.replayer.stopAfterCurrent();
        await Promise.all([this.idleWaiters.wait(IN_FLIGHT_GRACE_MS), this.untilDeadline(this.replayer.current ?? Promise.resolve(), Date.now() + IN_FLIGHT_GRACE_MS)]);
      }
      if (!this.idle()) {
        // Past the deadline: everything still held goes to the spool. A request in flight may
        // yet arrive; its spans are spooled all the same, since losing them would be worse.
        for (const b of this.inFlight) b.abandoned = true;
        this.sender.abortAll('shutdown deadline reached');
        this.spoolHeld();
        // Unanswered by the deadline: a failure like any other, so no replay starts in the time left.
        this.consecutiveFailures = Math.max(1, this.consecutiveFailures);
        this.lastError ??= 'no answer before the shutdown deadline';
      }
    } finally {
      this.draining--;
    }
    const spooled = this.counters.spooled - spooledBefore;
    if (final && spooled > 0) {
      logger.warn(`jaeger: ${spooled} spans could not be sent at exit; they wait in the spool for the receiver (replay helper or next process)`, {
        spans: spooled,
        error: this.lastError,
        dir: this.cfg.spoolDir,
      });
    }
    if (final) this.stop();
  }

  private untilDeadline(p: Promise<void>, deadline: number): Promise<void> {
    let t: NodeJS.Timeout | undefined;
    const timeout = new Promise<void>((resolve) => (t = setTimeout(resolve, Math.max(0, deadline - Date.now()))));
    return Promise.race([p, timeout]).finally(() => clearTimeout(t));
  }

  spoolAllSync(): void {
    for (const b of this.inFlight) b.abandoned = true;
    this.spoolHeld();
    this.stop();
  }

  async replayUntil(deadline: number): Promise<void> {
    while (Date.now() < deadline && !this.closed) {
      this.replayer.mayHaveWork = true;
      await this.replayer.start();
      if (!this.replayer.mayHaveWork) return;
      const wait = Math.max(this.pausedUntil - Date.now(), 50);
      await new Promise((r) => setTimeout(r, Math.min(wait, Math.max(0, deadline - Date.now()))));
    }
  }

  async spoolHasWork(): Promise<boolean> {
    // Claimed files count: a claim of this process is stale the moment it exits.
    const st = await this.spool.status();
    return st.files + st.claimed > 0;
  }

  private stop(): void {
    this.closed = true;
    this.wakeTimer.cancel();
    this.sender.close();
    this.spool.close();
  }

  // --- sending --------------------------------------------------------------------------------

  private schedule(delayMs: number): void {
    if (!this.closed) this.wakeTimer.in(delayMs);
  }

  private pump(): void {
    if (this.closed) return;
    const now = Date.now();
    // Paused during a drain too: Retry-After is honoured when it fits before the deadline.
    if (now < this.pausedUntil) {
      this.schedule(this.pausedUntil - now);
      return;
    }
    const max = this.consecutiveFailures > 0 ? 1 : MAX_CONCURRENT;
    while (this.inFlight.size < max && !(this.draining > 0 && now > this.drainDeadline - this.drainMargin)) {
      let b = this.retryQueue.shift();
      if (b === undefined) {
        const due = this.draining > 0 || now - this.queueSince >= this.cfg.scheduledDelayMillis;
        if (this.queue.length >= this.cfg.maxExportBatchSize || (this.queue.length > 0 && due)) b = this.takeBatch();
      }
      if (b === undefined) break;
      void this.send(b);
    }
    if (this.replayer.current === undefined && this.replayer.mayHaveWork && this.consecutiveFailures === 0 && this.draining === 0 && this.inFlight.size < max) {
      void this.replayer.start();
    }
    if (this.queue.length > 0) this.schedule(this.cfg.scheduledDelayMillis - (now - this.queueSince));
  }

  private takeBatch(): Batch {
    const size = this.cfg.maxExportBatchSize;
    const spans = this.queue.length <= size ? this.queue : this.queue.slice(0, size);
    this.queue = this.queue.length <= size ? [] : this.queue.slice(size);
    let bytes = 0;
    for (const s of spans) bytes += spanCost(s);
    this.queueBytes = this.queue.length === 0 ? 0 : Math.max(0, this.queueBytes - bytes);
    this.queueSince = Date.now();
    return { spans, bytes };
  }

  private encode(b: Batch): Uint8Array | undefined {
    if (b.body !== undefined) return b.body;
    try {
      b.body = this.codec.encode(b.spans);
      return b.body;
    } catch (err) {
      this.drop('unserializable', b.spans.length, 'the OTLP serializer failed on a batch', err);
      return undefined;
    }
  }

  private async send(b: Batch): Promise<void> {
    const body = this.encode(b);
    if (body === undefined) return;
    this.inFlight.add(b);
    const t0 = performance.now();
    let outcome: SendOutcome;
    try {
      outcome = await this.sender.send(body, this.codec.contentType, Math.min(this.cfg.timeoutMillis, this.cfg.exportTimeoutMillis));
    } catch (err) {
      outcome = { kind: 'retry', error: String(err) };
    }
    this.inFlight.delete(b);
    if (!b.abandoned) this.onOutcome(b, outcome, performance.now() - t0);
    this.pump();
    this.idleWaiters.check();
  }

  private onOutcome(b: Batch, o: SendOutcome, ms: number): void {
    const n = b.spans.length;
    if (o.kind === 'ok') {
      stats.observeLatency(this.name, ms);
      this.counters.exported += n - Math.min(n, o.rejectedSpans);
      if (o.rejectedSpans > 0) this.drop('rejected_by_receiver', Math.min(n, o.rejectedSpans), o.message ?? 'partial success without a message');
      this.onHealthy();
      return;
    }
    this.counters.failedAttempts++;
    if (o.kind === 'invalid') {
      if (n > 1) {
        // One bad span must not take its batch-mates with it: halve until it stands alone.
        const half = Math.ceil(n / 2);
        const first = b.spans.slice(0, half);
        const second = b.spans.slice(half);
        this.retryQueue.unshift({ spans: first, bytes: b.bytes / 2 }, { spans: second, bytes: b.bytes / 2 });
        return;
      }
      this.drop('rejected', 1, `the receiver refused the span as invalid (${o.error})`, undefined, b.spans[0]);
      return;
    }
    this.consecutiveFailures++;
    this.lastError = o.error;
    const retryAfter = o.kind === 'retry' && o.retryAfterMs !== undefined ? Math.min(o.retryAfterMs, RETRY_AFTER_CAP_MS) : 0;
    const backoff = o.kind === 'config' ? RETRY_MAX_MS : backoffDelay(this.consecutiveFailures - 1, { baseMs: RETRY_BASE_MS, maxMs: RETRY_MAX_MS });
    this.pausedUntil = Date.now() + Math.max(retryAfter, backoff);
    const fields = { spans: n, failures: this.consecutiveFailures, retryInMs: this.pausedUntil - Date.now(), error: o.error, url: this.cfg.url };
    if (o.kind === 'config')
      logger.limited(
        'error',
        `otlp.config.${o.status}`,
        `OTLP receiver refuses the exporter (HTTP ${o.status}: check the endpoint URL and OTEL_EXPORTER_OTLP_*HEADERS); spans wait in memory and the spool`,
        fields,
      );
    else logger.limited('warn', 'otlp.retry', 'jaeger export failed; will retry', fields);
    // In a drain, a receiver that answered "later" (429/503 with the wait before the deadline) is
    // retried; one that cannot be reached, or asks for longer, has the spool deliver it later.
    if (this.draining > 0 && !(o.kind === 'retry' && o.status !== undefined && this.pausedUntil < this.drainDeadline)) {
      this.toSpool(b);
      return;
    }
    this.counters.retried += n;
    this.retryQueue.unshift(b);
    this.enforceBound();
  }

  private onHealthy(): void {
    if (this.consecutiveFailures > 0) logger.info('OTLP receiver is reachable again', { afterFailures: this.consecutiveFailures });
    this.consecutiveFailures = 0;
    this.pausedUntil = 0;
  }

  // --- memory bound and spool ------------------------------------------------------------------

  private heldSpans(): number {
    let n = this.queue.length;
    for (const b of this.retryQueue) n += b.spans.length;
    return n;
  }

  private heldBytes(): number {
    let n = this.queueBytes;
    for (const b of this.retryQueue) n += b.bytes;
    return n;
  }

  /** Over a bound, the oldest held spans go to the spool (retries are older than the queue). */
  private enforceBound(): void {
    while (this.heldSpans() > this.cfg.bufferMaxSpans || this.heldBytes() > this.cfg.bufferMaxBytes) {
      const b = this.retryQueue.pop() ?? (this.queue.length > 0 ? this.takeBatch() : undefined);
      if (b === undefined) return;
      this.toSpool(b);
    }
  }

  private spoolHeld(): void {
    const inFlight = [...this.inFlight];
    this.inFlight.clear();
    for (const b of inFlight) this.toSpool(b);
    this.spoolQueued();
  }

  /** What waits for a request (queue and retries) goes to the spool; requests in flight stay. */
  private spoolQueued(): void {
    const batches = this.retryQueue.splice(0);
    while (this.queue.length > 0) batches.push(this.takeBatch());
    for (const b of batches) this.toSpool(b);
    this.idleWaiters.check();
  }

  /** One spool file per request, written synchronously: this runs off the app's thread. */
  private toSpool(b: Batch): void {
    const n = b.spans.length;
    if (n === 0) return;
    if (!this.spool.enabled) return this.drop('spool_disabled', n, 'the OTLP queue is full and the spool is off (AGENTOPS_OTLP_SPOOL_MAX_BYTES=0)');
    const body = this.encode(b);
    if (body === undefined) return;
    const r = this.spool.writeSync([toSpoolLine(this.codec.kind, n, body)]);
    if (r.ok) {
      this.counters.spooled += n;
      stats.onProgress?.();
      this.replayer.mayHaveWork = true;
      logger.limited('warn', 'otlp.spooled', 'jaeger (OTLP) spans spooled to disk; they are sent when the receiver answers', { spans: n, dir: this.cfg.spoolDir });
    } else {
      this.drop(r.reason, n, r.reason === 'spool_full' ? `the OTLP spool is full (AGENTOPS_OTLP_SPOOL_MAX_BYTES=${this.cfg.spoolMaxBytes})` : 'OTLP spool write failed', r.error);
    }
  }

  private drop(reason: string, n: number, why: string, err?: unknown, span?: ReadableSpan): void {
    if (n <= 0) return;
    stats.drop(this.name, reason, n);
    const ids = span !== undefined ? { traceId: span.spanContext().traceId, spanId: span.spanContext().spanId } : {};
    logger.limited('error', `otlp.drop.${reason}`, 'jaeger (OTLP) exporter dropped spans', { reason, spans: n, why, ...ids, ...(err !== undefined ? { error: err } : {}) });
  }

  private idle(): boolean {
    return this.queue.length === 0 && this.retryQueue.length === 0 && this.inFlight.size === 0;
  }
}
