/**
 * What the export worker does when it falls behind the app: instead of encoding every span as it
 * arrives (and making the app wait once too much is in flight), it writes the batches as they
 * came, a memory copy per span, to a wire spool file in each destination's spool directory.
 * Each destination gets its file back as soon as it has room again, in this process (during its
 * run, or a drain before the exit deadline), the replay helper, or the next process. A
 * destination that is down does not hold the other one back: each reads its own copy.
 *
 * A file is handed back by claiming it, reading it, giving its spans to the destination and
 * deleting it, the last two synchronously: no span is handed back twice.
 */
import type { ReadableSpan } from '@opentelemetry/sdk-trace-base';
import type { Destination } from '../exporters/destination';
import { Spool, type ClaimedFile } from '../exporters/spool';
import { logger } from '../shared/logger';
import type { PriceTable } from '../shared/prices';
import { stats } from '../shared/stats';
import { readBatch } from './batch-codec';
import { WireDecoder, type WireDefinitions } from './wire';
import { WIRE_SPOOL_HEADER, WIRE_SPOOL_SUFFIX, readWireFile, wireFileChunks, type StoredBatch } from './wire-file';

/** Held batches go to disk once this many bytes wait, or FLUSH_DELAY_MS after the first. */
const FILE_BYTES = 1 << 20;
const FLUSH_DELAY_MS = 100;
/** A destination gets a file back only while it holds fewer spans than this. */
const ROOM_SPANS = 2048;
const ROOM_POLL_MS = 20;
const SIZE_RESCAN_MS = 2_000;

export interface OverflowTarget {
  destination: Destination;
  dir: string;
  maxBytes: number;
}

interface Target {
  destination: Destination;
  spool: Spool;
  mayHaveWork: boolean;
  /** mayHaveWork was read from the disk at least once (files of an earlier run count). */
  checked: boolean;
  busy: boolean;
}

export class Overflow {
  private readonly targets: Target[];
  private held: StoredBatch[] = [];
  private heldBytes = 0;
  private timer: NodeJS.Timeout | undefined;
  private closed = false;
  /** Files read back and spans handed to their destination, by this instance. */
  readonly handedBack = { files: 0, spans: 0 };

  constructor(
    targets: readonly OverflowTarget[],
    private readonly definitions: () => WireDefinitions,
    /** AGENTOPS_PRICE_TABLE, for the LLM event spans priced as they are read back. */
    private readonly prices?: Readonly<PriceTable>,
  ) {
    this.targets = targets.map((t) => ({ destination: t.destination, spool: new Spool(t.dir, t.maxBytes, WIRE_SPOOL_HEADER, WIRE_SPOOL_SUFFIX), mayHaveWork: true, checked: false, busy: false }));
  }

  /** Batches may be held: every destination has a spool (none is set to 0 bytes). */
  get enabled(): boolean {
    return !this.closed && this.targets.length > 0 && this.targets.every((t) => t.spool.enabled);
  }

  hold(batch: StoredBatch): void {
    this.held.push(batch);
    this.heldBytes += batch.bytes.byteLength;
    if (this.heldBytes >= FILE_BYTES) this.flush();
    else if (this.timer === undefined) {
      this.timer = setTimeout(() => this.flush(), FLUSH_DELAY_MS);
      this.timer.unref();
    }
  }

  /** Writes what is held to each destination's wire spool; a destination whose spool cannot take it gets the spans now. */
  flush(): void {
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = undefined;
    if (this.held.length === 0) return;
    const batches = this.held;
    this.held = [];
    this.heldBytes = 0;
    const n = batches.reduce((sum, b) => sum + b.count, 0);
    const defs = this.definitions();
    const chunks = wireFileChunks(defs, batches);
    for (const t of this.targets) {
      const r = t.spool.writeBytesSync(chunks);
      if (r.ok) {
        const c = stats.exporter(t.destination.name);
        c.accepted += n;
        c.spooled += n;
        t.mayHaveWork = true;
        stats.onProgress?.();
        continue;
      }
      logger.limited('warn', `overflow.${t.destination.name}`, `${t.destination.name}: the export thread is behind and its spool cannot take more (${r.reason}); spans go to the exporter now`, {
        spans: n,
        dir: t.spool.dir,
        error: r.error,
      });
      const decoder = definedDecoder(defs, this.prices);
      for (const b of batches) this.handOver(t.destination, decoder, b);
    }
  }

  /**
   * Gives spooled files back to destinations with room, until none has room or work, or
   * `deadline` passes (then resolves at once). Without a deadline, one pass.
   */
  async replay(deadline?: number): Promise<void> {
    for (;;) {
      const passes = this.targets.map((t) => this.replayTarget(t, deadline));
      await Promise.all(passes);
      if (deadline === undefined || this.closed || Date.now() >= deadline || !this.targets.some((t) => t.mayHaveWork)) return;
      // A timer that holds the process: in the replay helper nothing else may be pending meanwhile.
      await new Promise((r) => setTimeout(r, Math.min(ROOM_POLL_MS, Math.max(0, deadline - Date.now()))));
    }
  }

  /** Nothing more is held or handed back; what is on disk stays for the replay helper or the next process. */
  close(): void {
    this.flush();
    this.closed = true;
    for (const t of this.targets) t.spool.close();
  }

  async hasWork(): Promise<boolean> {
    const answers = await Promise.all(
      this.targets.map(async (t) => {
        const st = await t.spool.status();
        return st.files + st.claimed > 0;
      }),
    );
    return answers.some(Boolean) || this.held.length > 0;
  }

  private async replayTarget(t: Target, deadline: number | undefined): Promise<void> {
    if (t.busy) return;
    t.busy = true;
    try {
      // The size limit is shared with the destination's own spool and other processes: written
      // synchronously, this spool learns of theirs here.
      await t.spool.rescanIfOlder(SIZE_RESCAN_MS);
      if (!t.checked) {
        t.checked = true;
        t.mayHaveWork = await t.spool.hasWork();
      }
      while (t.mayHaveWork && !this.closed && (deadline === undefined || Date.now() < deadline) && t.destination.queued() < ROOM_SPANS) {
        const file = await t.spool.claimNext();
        if (file === null) {
          t.mayHaveWork = false;
          return;
        }
        await this.handBack(t, file);
      }
    } catch (err) {
      logger.limited('error', 'overflow.replay', 'reading back the wire spool failed; will retry', { error: err });
    } finally {
      t.busy = false;
    }
  }

  private async handBack(t: Target, file: ClaimedFile): Promise<void> {
    const body = await t.spool.readBytes(file).catch(() => null);
    if (this.closed) {
      await t.spool.unclaim(file);
      return;
    }
    let content: ReturnType<typeof readWireFile>;
    try {
      if (body === null) throw new Error("not a wire spool file of this release's format");
      content = readWireFile(body);
    } catch (err) {
      await t.spool.reject(file);
      logger.limited('error', 'overflow.rejected', 'a wire spool file could not be read; moved aside', { file: `${file.original}.rejected`, error: err });
      return;
    }
    let n = 0;
    const decoder = definedDecoder(content.defs, this.prices);
    for (const b of content.batches) n += this.handOver(t.destination, decoder, b);
    t.spool.completeSync(file);
    this.handedBack.files++;
    this.handedBack.spans += n;
    const c = stats.exporter(t.destination.name);
    c.accepted -= n; // counted when spooled
    c.replayed += n;
    stats.onProgress?.();
  }

  /** The batch's spans to `destination`, as new; the number handed over. */
  private handOver(destination: Destination, decoder: WireDecoder, batch: StoredBatch): number {
    let spans: ReadableSpan[];
    try {
      spans = readBatch(batch.bytes).map((w) => decoder.decode(w));
    } catch (err) {
      stats.drop(destination.name, 'unconvertible', batch.count);
      logger.limited('error', 'overflow.batch', 'a spooled span batch could not be read; dropped', { spans: batch.count, error: err });
      return 0;
    }
    destination.accept(spans);
    return spans.length;
  }
}

/** One decoder per file: the spans of one resource share one object, as OTLP groups them by identity. */
function definedDecoder(defs: WireDefinitions, prices: Readonly<PriceTable> | undefined): WireDecoder {
  const decoder = new WireDecoder(prices);
  decoder.define(defs);
  return decoder;
}
