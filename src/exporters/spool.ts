/**
 * On-disk spool for rows the database could not take yet.
 *
 * Each spool file is written whole under a temporary name and renamed into place, so a reader
 * never sees half a file. A replayer claims a file by renaming it to a name that carries its pid
 * and instance id: rename is atomic, so two processes never replay the same file. The claimed
 * file is deleted only after every row in it is stored or dead-lettered; if the replayer dies
 * first, the file stays, and the next process reclaims it (its owner is gone). Rows are written
 * idempotently, so replaying a file twice stores each row once.
 *
 * Files are named by creation time, so sorting by name replays the oldest first. A file starts
 * with its owner's header line (format and version): a file of another format is never replayed.
 */
import { randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import { promises as fsp } from 'node:fs';
import * as path from 'node:path';

const SUFFIX = '.spool';
/** Files of the export worker's overflow spool (engine/overflow.ts), beside a destination's own. */
export const OVERFLOW_SUFFIX = '.wire';
/** Every suffix a spool directory's files may carry: they share its size limit. */
const ALL_SUFFIXES = [SUFFIX, OVERFLOW_SUFFIX];
const CLAIM = '.claimed.';
const TMP = '.tmp.';

export type SpoolFailure = 'spool_disabled' | 'spool_full' | 'spool_write_failed';

export interface SpoolStatus {
  dir: string;
  /** Files waiting to be replayed (not claimed by a live process). */
  files: number;
  /** Files being replayed right now (by this or another process). */
  claimed: number;
  bytes: number;
  maxBytes: number;
  /** Age of the oldest file, or null when the spool is empty. */
  oldestAgeMs: number | null;
}

export interface ClaimedFile {
  /** Name the file had before it was claimed, restored by unclaim(). */
  original: string;
  path: string;
}

/** Instance ids of spools alive in this process: a claim by our pid but a dead instance is stale. */
const liveInstances = new Set<string>();

function pidAlive(pid: number): boolean {
  if (!Number.isInteger(pid) || pid <= 0) return false;
  if (pid === process.pid) return true;
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    // EPERM: the process exists but belongs to someone else.
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function ownerAlive(pid: number, instance: string): boolean {
  if (pid === process.pid) return liveInstances.has(instance);
  return pidAlive(pid);
}

export class Spool {
  readonly instance = randomBytes(4).toString('hex');
  private seq = 0;
  private usedBytes = 0;
  private scannedAt = 0;
  private ready: Promise<boolean> | undefined;

  private readonly claimName: RegExp;
  private readonly tmpName: RegExp;

  constructor(
    readonly dir: string,
    readonly maxBytes: number,
    readonly header: string,
    /** Files of this spool: another suffix makes another spool sharing the directory and its limit. */
    readonly suffix = SUFFIX,
  ) {
    liveInstances.add(this.instance);
    const own = suffix.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
    this.claimName = new RegExp(`^(.*${own})\\.claimed\\.(\\d+)\\.([0-9a-f]+)$`);
    this.tmpName = new RegExp(`^(.*${own})\\.tmp\\.(\\d+)\\.([0-9a-f]+)$`);
  }

  /** Forget this instance: its remaining claims become reclaimable by anyone. */
  close(): void {
    liveInstances.delete(this.instance);
  }

  get enabled(): boolean {
    return this.maxBytes > 0;
  }

  /** Creates the directory (0700). Resolves false when it cannot be created; never rejects. */
  init(): Promise<boolean> {
    if (this.ready === undefined) {
      this.ready = (async () => {
        try {
          await fsp.mkdir(this.dir, { recursive: true, mode: 0o700 });
          // mkdir's mode is filtered by the umask and ignored for an existing directory.
          await fsp.chmod(this.dir, 0o700).catch(() => undefined);
          await this.rescan();
          return true;
        } catch {
          this.ready = undefined;
          return false;
        }
      })();
    }
    return this.ready;
  }

  /** Appends nothing in place: writes one new file holding `lines`. Never rejects. */
  async write(lines: readonly string[]): Promise<{ ok: true; file: string } | { ok: false; reason: SpoolFailure; error?: unknown }> {
    if (!this.enabled) return { ok: false, reason: 'spool_disabled' };
    if (!(await this.init())) return { ok: false, reason: 'spool_write_failed', error: new Error(`cannot create spool directory ${this.dir}`) };
    let bytes = Buffer.byteLength(this.header);
    for (const l of lines) bytes += Buffer.byteLength(l);
    if (Date.now() - this.scannedAt > 2000) await this.rescan();
    if (this.usedBytes + bytes > this.maxBytes) return { ok: false, reason: 'spool_full' };
    const base = this.nextName();
    const tmp = path.join(this.dir, `${base}${TMP}${process.pid}.${this.instance}`);
    try {
      await fsp.writeFile(tmp, this.header + lines.join(''), { mode: 0o600, flag: 'wx' });
      await fsp.rename(tmp, path.join(this.dir, base));
      this.usedBytes += bytes;
      return { ok: true, file: base };
    } catch (error) {
      await fsp.unlink(tmp).catch(() => undefined);
      return { ok: false, reason: 'spool_write_failed', error };
    }
  }

  /**
   * The same as write(), synchronously, for process exit (`process.exit()`, an uncaught
   * exception), when no promise will settle any more. Never throws.
   */
  writeSync(lines: readonly string[]): { ok: true; file: string } | { ok: false; reason: SpoolFailure; error?: unknown } {
    return this.writeBodySync(this.header + lines.join(''));
  }

  /** One new file of the header and `chunks`, synchronously (the export worker's own thread). */
  writeBytesSync(chunks: readonly Uint8Array[]): { ok: true; file: string } | { ok: false; reason: SpoolFailure; error?: unknown } {
    return this.writeBodySync(Buffer.concat([Buffer.from(this.header), ...chunks]));
  }

  private writeBodySync(body: string | Buffer): { ok: true; file: string } | { ok: false; reason: SpoolFailure; error?: unknown } {
    if (!this.enabled) return { ok: false, reason: 'spool_disabled' };
    const bytes = Buffer.byteLength(body);
    const base = this.nextName();
    const tmp = path.join(this.dir, `${base}${TMP}${process.pid}.${this.instance}`);
    try {
      fs.mkdirSync(this.dir, { recursive: true, mode: 0o700 });
      // As in init(): an existing directory keeps its mode otherwise (init() may not have run yet).
      try {
        fs.chmodSync(this.dir, 0o700);
      } catch {
        // not ours to change; the files themselves are still 0600
      }
      if (this.usedBytes + bytes > this.maxBytes) return { ok: false, reason: 'spool_full' };
      fs.writeFileSync(tmp, body, { mode: 0o600, flag: 'wx' });
      fs.renameSync(tmp, path.join(this.dir, base));
      this.usedBytes += bytes;
      return { ok: true, file: base };
    } catch (error) {
      try {
        fs.unlinkSync(tmp);
      } catch {
        // never created
      }
      return { ok: false, reason: 'spool_write_failed', error };
    }
  }

  private nextName(): string {
    return `${String(Date.now()).padStart(14, '0')}-${String(process.pid).padStart(7, '0')}-${this.instance}-${String(this.seq++).padStart(8, '0')}${this.suffix}`;
  }

  private async entries(suffixes: readonly string[] = [this.suffix]): Promise<string[]> {
    try {
      return (await fsp.readdir(this.dir)).filter((n) => suffixes.some((x) => n.includes(x))).sort();
    } catch {
      return [];
    }
  }

  /** rescan(), when the last one is older than `maxAgeMs`: for a spool written synchronously only. */
  async rescanIfOlder(maxAgeMs: number): Promise<void> {
    if (Date.now() - this.scannedAt > maxAgeMs) await this.rescan();
  }

  /** Recomputes the size from disk: other processes, and this directory's other spool, share it. */
  async rescan(): Promise<void> {
    let total = 0;
    for (const n of await this.entries(ALL_SUFFIXES)) {
      try {
        total += (await fsp.stat(path.join(this.dir, n))).size;
      } catch {
        // gone meanwhile
      }
    }
    this.usedBytes = total;
    this.scannedAt = Date.now();
  }

  /** Claims the oldest replayable file (unclaimed, or claimed by an owner that is gone). */
  async claimNext(): Promise<ClaimedFile | null> {
    if (!(await this.init())) return null;
    for (const name of await this.entries()) {
      let original: string;
      if (name.endsWith(this.suffix)) {
        original = name;
      } else {
        const claim = this.claimName.exec(name);
        const tmp = this.tmpName.exec(name);
        if (tmp) {
          // A writer that died between writeFile and rename: the file may be incomplete.
          if (!ownerAlive(Number(tmp[2]), tmp[3])) await fsp.unlink(path.join(this.dir, name)).catch(() => undefined);
          continue;
        }
        if (!claim || ownerAlive(Number(claim[2]), claim[3])) continue;
        original = claim[1];
      }
      const claimed = path.join(this.dir, `${original}${CLAIM}${process.pid}.${this.instance}`);
      try {
        await fsp.rename(path.join(this.dir, name), claimed);
        return { original, path: claimed };
      } catch {
        // Another process claimed it first; try the next one.
      }
    }
    return null;
  }

  /** The row lines of a claimed file; null when the file is not a spool file of this format. */
  async read(file: ClaimedFile): Promise<string[] | null> {
    const text = await fsp.readFile(file.path, 'utf8');
    if (!text.startsWith(this.header)) return null;
    const body = text.slice(this.header.length);
    const lines: string[] = [];
    let start = 0;
    for (;;) {
      const nl = body.indexOf('\n', start);
      // A last line without newline was cut short (disk full while writing); it is not a row.
      if (nl === -1) break;
      lines.push(body.slice(start, nl + 1));
      start = nl + 1;
    }
    return lines;
  }

  /** The bytes after the header of a claimed file; null when the file is not of this format. */
  async readBytes(file: ClaimedFile): Promise<Buffer | null> {
    const data = await fsp.readFile(file.path);
    const header = Buffer.from(this.header);
    if (data.length < header.length || !data.subarray(0, header.length).equals(header)) return null;
    return data.subarray(header.length);
  }

  /** complete(), synchronously: the spans just read were handed on, and the file must go before anything else runs. */
  completeSync(file: ClaimedFile): void {
    try {
      const size = fs.statSync(file.path).size;
      fs.unlinkSync(file.path);
      this.usedBytes = Math.max(0, this.usedBytes - size);
    } catch {
      // already gone
    }
  }

  /** Every row of the file is stored or dead-lettered: the file can go. */
  async complete(file: ClaimedFile): Promise<void> {
    try {
      const size = (await fsp.stat(file.path)).size;
      await fsp.unlink(file.path);
      this.usedBytes = Math.max(0, this.usedBytes - size);
    } catch {
      // Already unclaimed by shutdown and renamed back: it stays for the next replay.
    }
  }

  /** Gives a claimed file back (replay interrupted); it will be replayed again, idempotently. */
  async unclaim(file: ClaimedFile): Promise<void> {
    await fsp.rename(file.path, path.join(this.dir, file.original)).catch(() => undefined);
  }

  /** Moves an unreadable file aside so it is not retried forever; kept for a human to inspect. */
  async reject(file: ClaimedFile): Promise<void> {
    await fsp.rename(file.path, path.join(this.dir, `${file.original}.rejected`)).catch(() => undefined);
  }

  async status(): Promise<SpoolStatus> {
    let files = 0;
    let claimed = 0;
    let bytes = 0;
    let oldest: number | null = null;
    for (const n of await this.entries()) {
      if (n.includes(TMP) || n.endsWith('.rejected')) continue;
      let size: number;
      try {
        size = (await fsp.stat(path.join(this.dir, n))).size;
      } catch {
        continue;
      }
      bytes += size;
      const claim = /\.claimed\.(\d+)\.([0-9a-f]+)$/.exec(n);
      if (claim && ownerAlive(Number(claim[1]), claim[2])) claimed++;
      else files++;
      const t = Number(n.slice(0, 14));
      if (Number.isFinite(t) && (oldest === null || t < oldest)) oldest = t;
    }
    return { dir: this.dir, files, claimed, bytes, maxBytes: this.maxBytes, oldestAgeMs: oldest === null ? null : Math.max(0, Date.now() - oldest) };
  }

  /** True when there may be something to replay. */
  async hasWork(): Promise<boolean> {
    return (await this.status()).files > 0;
  }
}
