/**
 * Writes one batch of row lines to PostgreSQL on a client it is given, and isolates bad rows.
 *
 * Method (chosen by measurement, see bench/postgres-throughput.ts):
 *  - 'copy': COPY straight into the table. Fastest, but one duplicate aborts the whole COPY,
 *    so a batch that may already be (partly) stored — a retry, a spool replay, or any batch
 *    that hits 23505 — goes through 'staging' instead. Writes stay idempotent.
 *  - 'staging': COPY into a per-connection temp table, then INSERT ... SELECT ... ON CONFLICT
 *    DO NOTHING, in one transaction.
 *  - 'unnest': INSERT ... SELECT FROM unnest($1::uuid[], ...) ON CONFLICT DO NOTHING.
 *
 * A data error (SQLSTATE classes 22, 23, 54) splits the batch in halves until the culprits are
 * single rows, which go to the dead-letter table with the error; their batch-mates are stored.
 * Transient and configuration errors are thrown to the caller, which owns retries.
 */
import type { PoolClient } from 'pg';
import { redactSecrets } from '../../shared/redact';
import { copyFrom } from './copy';
import { ErrorClass, classifyError, describeError, errorCode } from './errors';
import { TableNames, q } from './identifier';
import { COLUMNS, decodeCopyLine, rowToObject } from './rows';
import { sanitizeString } from './sanitize';

export type WriteMethod = 'copy' | 'staging' | 'unnest';
export const WRITE_METHODS: readonly WriteMethod[] = ['copy', 'staging', 'unnest'];

export interface WriteOptions {
  /** The batch may already be stored in part: never use a plain COPY. */
  idempotent: boolean;
  /** Treat errors of unknown class as data errors (after retries have not helped). */
  isolateUnknown: boolean;
}

export interface DeadLetterSample {
  ids: string;
  code?: string;
  message: string;
}

export interface WriteResult {
  /** Rows now in the table (inserted, or already there from an earlier attempt). */
  stored: number;
  deadLettered: number;
  /** Rows the dead-letter table refused as well: given up on. */
  dropped: number;
  samples: DeadLetterSample[];
}

/** Longest trace or span id kept in a dead letter's own columns (its raw row has the whole line). */
const MAX_ID_CHARS = 1024;

const COLUMN_TYPES: Record<string, string> = {
  trace_id: 'uuid',
  start_time: 'int8',
  end_time: 'int8',
  attributes: 'jsonb',
  events: 'jsonb',
  links: 'jsonb',
  resource: 'jsonb',
};

export class BatchWriter {
  private readonly cols = COLUMNS.join(', ');
  private readonly copyDirectSql: string;
  private readonly copyStageSql: string;
  private readonly createStageSql: string;
  private readonly insertFromStageSql: string;
  private readonly unnestSql: string;
  private readonly deadLetterSql: string;
  /** Connections whose temp staging table is known to exist (committed). */
  private readonly staged = new WeakSet<object>();

  constructor(
    readonly names: TableNames,
    readonly method: WriteMethod = 'copy',
  ) {
    const t = q(names.table);
    const s = q(names.stage);
    this.copyDirectSql = `COPY ${t} (${this.cols}) FROM STDIN`;
    // A temp table of the same name as a real one would shadow it; the _stage suffix avoids that.
    this.createStageSql = `CREATE TEMP TABLE IF NOT EXISTS ${s} (LIKE ${t} INCLUDING DEFAULTS) ON COMMIT DELETE ROWS`;
    this.copyStageSql = `COPY ${s} (${this.cols}) FROM STDIN`;
    this.insertFromStageSql = `INSERT INTO ${t} (${this.cols}) SELECT ${this.cols} FROM ${s} ON CONFLICT DO NOTHING`;
    const params = COLUMNS.map((c, i) => `$${i + 1}::${COLUMN_TYPES[c] ?? 'text'}[]`).join(', ');
    this.unnestSql = `INSERT INTO ${t} (${this.cols}) SELECT * FROM unnest(${params}) ON CONFLICT DO NOTHING`;
    this.deadLetterSql = `INSERT INTO ${q(names.deadLetter)} (trace_id, span_id, raw_row, error_code, error_message) SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[])`;
  }

  async write(client: PoolClient, lines: readonly string[], opts: WriteOptions): Promise<WriteResult> {
    const result: WriteResult = { stored: 0, deadLettered: 0, dropped: 0, samples: [] };
    if (lines.length === 0) return result;
    try {
      await this.writeOnce(client, lines, opts.idempotent);
      result.stored = lines.length;
      return result;
    } catch (err) {
      if (!this.isolatable(classifyError(err), opts)) throw err;
      await this.isolate(client, lines, err, opts, result);
      return result;
    }
  }

  private isolatable(cls: ErrorClass, opts: WriteOptions): boolean {
    return cls === 'data' || (cls === 'unknown' && opts.isolateUnknown);
  }

  private async isolate(client: PoolClient, lines: readonly string[], err: unknown, opts: WriteOptions, result: WriteResult): Promise<void> {
    if (lines.length === 1) {
      await this.deadLetter(client, lines, err, result);
      return;
    }
    const mid = lines.length >>> 1;
    for (const half of [lines.slice(0, mid), lines.slice(mid)]) {
      try {
        await this.writeOnce(client, half, opts.idempotent);
        result.stored += half.length;
      } catch (e) {
        if (!this.isolatable(classifyError(e), opts)) throw e;
        await this.isolate(client, half, e, opts, result);
      }
    }
  }

  private async writeOnce(client: PoolClient, lines: readonly string[], idempotent: boolean): Promise<void> {
    if (this.method === 'unnest') return this.unnest(client, lines);
    if (this.method === 'staging' || idempotent) return this.viaStaging(client, lines);
    try {
      await copyFrom(client, this.copyDirectSql, lines);
    } catch (err) {
      if (classifyError(err) !== 'duplicate') throw err;
      // Some of these rows are already stored (an earlier attempt committed after all).
      await this.viaStaging(client, lines);
    }
  }

  private async viaStaging(client: PoolClient, lines: readonly string[]): Promise<void> {
    const create = !this.staged.has(client);
    await client.query(create ? `BEGIN; ${this.createStageSql}` : 'BEGIN');
    try {
      await copyFrom(client, this.copyStageSql, lines);
      await client.query(`${this.insertFromStageSql}; COMMIT`);
    } catch (err) {
      await client.query('ROLLBACK').catch(() => undefined);
      throw err;
    }
    if (create) this.staged.add(client);
  }

  private async unnest(client: PoolClient, lines: readonly string[]): Promise<void> {
    const cols: (string | null)[][] = COLUMNS.map(() => new Array(lines.length));
    for (let i = 0; i < lines.length; i++) {
      const row = decodeCopyLine(lines[i]);
      for (let c = 0; c < COLUMNS.length; c++) cols[c][i] = row[c] ?? null;
    }
    await client.query(this.unnestSql, cols);
  }

  private async deadLetter(client: PoolClient, lines: readonly string[], err: unknown, result: WriteResult): Promise<void> {
    const d = describeError(err);
    const where = (err as { where?: unknown }).where;
    const message = redactSecrets(typeof where === 'string' && where !== '' ? `${d.message} (${where.split('\n')[0]})` : d.message);
    const code = errorCode(err) ?? null;
    const traceIds: string[] = [];
    const spanIds: (string | null)[] = [];
    const raws: string[] = [];
    for (const line of lines) {
      const row = decodeCopyLine(line);
      // Cleaned again: a spool file's line may hold what the encoder never writes (a NUL, an id
      // of any length; the encoder's are cut at 256 characters already). The trace id is part of
      // the key: '' stands for none (the raw row says so too).
      traceIds.push(sanitizeString(row[0] ?? '', MAX_ID_CHARS));
      spanIds.push(row[1] === null ? null : sanitizeString(row[1], MAX_ID_CHARS));
      raws.push(JSON.stringify(rowToObject(row)));
    }
    try {
      await client.query(this.deadLetterSql, [traceIds, spanIds, raws, lines.map(() => code), lines.map(() => message)]);
      result.deadLettered += lines.length;
    } catch (e) {
      const cls = classifyError(e);
      if (cls === 'data' || cls === 'unknown') {
        // The dead-letter table refused it too: nothing more can be done with this row.
        result.dropped += lines.length;
      } else {
        throw e;
      }
    }
    if (result.samples.length < 3) result.samples.push({ ids: `${traceIds[0]}/${spanIds[0]}`, ...(code !== null ? { code } : {}), message });
  }
}
