/**
 * FIFO of row lines with cheap take from the front and exact size accounting.
 * Lines are held in the chunks export() received, so accepting a batch is a single push.
 */
import { lineCost } from './rows';

interface Chunk {
  lines: string[];
  at: number;
}

export class LineQueue {
  private chunks: Chunk[] = [];
  private head = 0; // offset into chunks[0].lines
  count = 0;
  bytes = 0;

  /** When the oldest line still held arrived (ms), for the flush interval. */
  get oldestAt(): number {
    return this.chunks.length > 0 ? this.chunks[0].at : 0;
  }

  push(lines: string[], bytes: number, now = Date.now()): void {
    if (lines.length === 0) return;
    this.chunks.push({ lines, at: now });
    this.count += lines.length;
    this.bytes += bytes;
  }

  take(n: number): { lines: string[]; bytes: number } {
    const out: string[] = [];
    let bytes = 0;
    while (out.length < n && this.chunks.length > 0) {
      const c = this.chunks[0].lines;
      const k = Math.min(n - out.length, c.length - this.head);
      for (let i = this.head; i < this.head + k; i++) {
        out.push(c[i]);
        bytes += lineCost(c[i]);
      }
      this.head += k;
      if (this.head >= c.length) {
        this.chunks.shift();
        this.head = 0;
      }
    }
    this.count -= out.length;
    this.bytes = this.count === 0 ? 0 : this.bytes - bytes;
    return { lines: out, bytes };
  }

  takeAll(): { lines: string[]; bytes: number } {
    return this.take(this.count);
  }
}

export interface Batch {
  lines: string[];
  bytes: number;
  attempts: number;
  unknownFailures: number;
  /** Given up to the spool by shutdown while still being written: ignore its outcome. */
  abandoned?: boolean;
}

/** Every row the exporter holds in memory: queued, waiting for a retry, or being written. */
export class HeldRows {
  readonly queue = new LineQueue();
  readonly retry: Batch[] = [];
  readonly inFlight = new Set<Batch>();

  get spans(): number {
    let n = this.queue.count;
    for (const b of this.retry) n += b.lines.length;
    for (const b of this.inFlight) n += b.lines.length;
    return n;
  }

  get bytes(): number {
    let n = this.queue.bytes;
    for (const b of this.retry) n += b.bytes;
    for (const b of this.inFlight) n += b.bytes;
    return n;
  }

  get empty(): boolean {
    return this.queue.count === 0 && this.retry.length === 0 && this.inFlight.size === 0;
  }

  /** The oldest rows not being written (retry batches are older than anything queued); undefined when only in-flight rows are left. */
  takeOldest(batchSize: number): { lines: string[]; bytes: number } | undefined {
    const b = this.retry.shift();
    if (b !== undefined) return b;
    return this.queue.count > 0 ? this.queue.take(batchSize) : undefined;
  }

  /** Every row, for a synchronous spool write at exit; batches in flight are abandoned. */
  takeAll(): string[] {
    const lines: string[] = [];
    for (const b of [...this.retry.splice(0), ...this.inFlight]) {
      b.abandoned = true;
      for (const l of b.lines) lines.push(l);
    }
    for (const l of this.queue.takeAll().lines) lines.push(l);
    return lines;
  }
}
