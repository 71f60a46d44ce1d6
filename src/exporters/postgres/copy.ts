/**
 * COPY ... FROM STDIN on a pg client, without the pg-copy-streams package (not a dependency).
 *
 * pg accepts any "submittable" object in client.query(): it calls submit(connection) and then
 * routes the backend's messages to handle* methods. This is the interface pg-copy-streams and
 * pg-cursor are built on. The whole payload is already in memory (one batch), so there is no
 * stream and no backpressure to manage: the chunks are written when the server asks for them.
 */
import type { ClientBase } from 'pg';

interface PgConnection {
  query(text: string): void;
  sendCopyFromChunk(chunk: Buffer): void;
  endCopyFrom(): void;
}

const CHUNK_CHARS = 64 * 1024;

class CopyFromQuery {
  callback: ((err: Error | null, rowCount?: number) => void) | undefined;
  private rowCount = 0;
  private done = false;

  constructor(
    readonly text: string,
    private readonly lines: readonly string[],
  ) {}

  submit(connection: PgConnection): void {
    connection.query(this.text);
  }

  handleCopyInResponse(connection: PgConnection): void {
    let buf = '';
    for (const line of this.lines) {
      buf += line;
      if (buf.length >= CHUNK_CHARS) {
        connection.sendCopyFromChunk(Buffer.from(buf, 'utf8'));
        buf = '';
      }
    }
    if (buf.length > 0) connection.sendCopyFromChunk(Buffer.from(buf, 'utf8'));
    connection.endCopyFrom();
  }

  handleCommandComplete(msg: { text?: string }): void {
    const m = /^COPY (\d+)/.exec(msg.text ?? '');
    if (m) this.rowCount = Number(m[1]);
  }

  handleReadyForQuery(): void {
    this.finish(null);
  }

  handleError(err: Error): void {
    // pg forgets the active query after an error, so ReadyForQuery will not reach us: answer now.
    this.finish(err);
  }

  handleRowDescription(): void {}
  handleDataRow(): void {}
  handleEmptyQuery(): void {}
  handlePortalSuspended(): void {}
  handleCopyData(): void {}

  private finish(err: Error | null): void {
    if (this.done) return;
    this.done = true;
    this.callback?.(err, this.rowCount);
  }
}

/** Runs `COPY <target> FROM STDIN` with the given text-format lines; resolves to the row count. */
export function copyFrom(client: ClientBase, sql: string, lines: readonly string[]): Promise<number> {
  return new Promise<number>((resolve, reject) => {
    const q = new CopyFromQuery(sql, lines);
    q.callback = (err, n) => (err ? reject(err) : resolve(n ?? 0));
    try {
      // The typings only know config objects; the runtime accepts any submittable.
      (client as unknown as { query(q: unknown): unknown }).query(q);
    } catch (err) {
      reject(err);
    }
  });
}
