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
