/**
 * The exporter's access to its table: the connection pool, the schema check (and automatic
 * migration) once per pool, and one batch write per checked-out connection.
 */
import { Pool, type PoolClient } from 'pg';
import { logger } from '../../shared/logger';
import { type PostgresExporterConfig, poolConfig } from './config';
import { describeError } from './errors';
import type { TableNames } from './identifier';
import { migrate, needsMigration } from './schema/migrate';
import { sleep } from '../retry';
import { BatchWriter, type WriteMethod, type WriteResult } from './writer';

export class TableClient {
  readonly writer: BatchWriter;
  private readonly pool: Pool;
  private readonly ownsPool: boolean;
  private schemaReady = false;
  private schemaPromise: Promise<void> | undefined;

  constructor(
    private readonly config: PostgresExporterConfig,
    private readonly names: TableNames,
    options: { method?: WriteMethod; pool?: Pool },
  ) {
    this.writer = new BatchWriter(names, options.method ?? 'copy');
    this.ownsPool = options.pool === undefined;
    this.pool = options.pool ?? new Pool(poolConfig(config));
    // Without these listeners a server restart would crash the host app with an 'error' event:
    // pg-pool only listens on idle clients, not on the ones checked out to us.
    this.pool.on('error', (err) => logger.limited('warn', 'pg.pool_error', 'postgres connection error (idle client)', { error: describeError(err) }));
    this.pool.on('connect', (client) => {
      client.on('error', (err) => logger.limited('warn', 'pg.client_error', 'postgres connection error', { error: describeError(err) }));
    });
  }

  /** The table may be gone (42P01): check the schema again before the next write. */
  forgetSchema(): void {
    this.schemaReady = false;
  }

  /** True when a connection can be had now and the schema check passes. Never rejects. */
  async probe(): Promise<boolean> {
    try {
      await this.withClient(() => Promise.resolve());
      return true;
    } catch {
      return false;
    }
  }

  write(lines: string[], idempotent: boolean, isolateUnknown: boolean): Promise<WriteResult> {
    return this.withClient((client) => this.writer.write(client, lines, { idempotent, isolateUnknown }));
  }

  /** Ends the pool if it is ours; bounded, never rejects. */
  async end(): Promise<void> {
    if (this.ownsPool) await Promise.race([this.pool.end().catch(() => undefined), sleep(2000)]);
  }

  private async withClient<T>(fn: (client: PoolClient) => Promise<T>): Promise<T> {
    let client: PoolClient | undefined;
    try {
      client = await this.pool.connect();
      await this.ensureSchema(client);
      const r = await fn(client);
      client.release();
      return r;
    } catch (err) {
      // The connection's state is unknown after an error: discard it rather than reuse it.
      client?.release(err instanceof Error ? err : new Error(String(err)));
      throw err;
    }
  }

  private async ensureSchema(client: PoolClient): Promise<void> {
    if (this.schemaReady || !this.config.autoMigrate) return;
    if (this.schemaPromise === undefined) {
      this.schemaPromise = (async () => {
        if (await needsMigration(client, this.names.table)) {
          const r = await migrate(client, this.names.table, { interval: this.config.partitionInterval });
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
}
