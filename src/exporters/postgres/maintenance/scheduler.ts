/**
 * The exporter's share of maintenance: one pass at start-up and one an hour, on a connection of
 * its own (the advisory lock is per session, and a long backfill must not hold a pool slot the
 * writer needs). Several processes writing to one table each try; one at a time maintains.
 * Never throws, never holds the process open (the timer is unref'd, the connection closed after
 * each pass), and stops at once at shutdown (a pass cut short is simply done again).
 */
import { Client } from 'pg';
import { logger } from '../../../shared/logger';
import { poolConfig, type PostgresExporterConfig } from '../config';
import { describeError } from '../errors';
import { migrate, needsMigration } from '../schema/migrate';
import { runMaintenance, type MaintenanceReport } from './maintain';

export const MAINTENANCE_INTERVAL_MS = 60 * 60_000;
const MAX_STATEMENT_MS = 10 * 60_000;

export class MaintenanceScheduler {
  private timer: NodeJS.Timeout | undefined;
  private client: Client | undefined;
  private running: Promise<MaintenanceReport | undefined> | undefined;
  private stopped = false;

  constructor(
    private readonly config: PostgresExporterConfig,
    private readonly everyMs = MAINTENANCE_INTERVAL_MS,
  ) {}

  start(firstInMs = 0): void {
    this.schedule(firstInMs);
  }

  /** One pass now (or the one in progress); resolves to its report, undefined when it failed. */
  runNow(): Promise<MaintenanceReport | undefined> {
    if (this.running === undefined) {
      this.running = this.pass().finally(() => {
        this.running = undefined;
      });
    }
    return this.running;
  }

  /** Stops the timer and cuts a pass in progress short (its open transaction rolls back). */
  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    const c = this.client;
    this.client = undefined;
    if (c) await Promise.race([c.end().catch(() => undefined), new Promise((r) => setTimeout(r, 1000).unref())]);
  }

  private schedule(ms: number): void {
    if (this.stopped) return;
    this.timer = setTimeout(() => {
      void this.runNow().finally(() => this.schedule(this.everyMs));
    }, ms);
    this.timer.unref();
  }

  private async pass(): Promise<MaintenanceReport | undefined> {
    const cfg = this.config;
    // A pass may read a whole upgraded table once; a write's timeouts would cut it short.
    const limit = Math.max(cfg.statementTimeoutMs, MAX_STATEMENT_MS);
    const client = new Client(poolConfig(cfg, { statement_timeout: limit, query_timeout: limit + 5000 }));
    client.on('error', () => undefined);
    this.client = client;
    let connected = false;
    try {
      await client.connect();
      connected = true;
      if (cfg.autoMigrate && (await needsMigration(client, cfg.table))) {
        await migrate(client, cfg.table, { interval: cfg.partitionInterval ?? 'day' });
      }
      const report = await runMaintenance(client, cfg.table, { interval: cfg.partitionInterval ?? 'day', retentionDays: cfg.retentionDays ?? 0, stopping: () => this.stopped });
      if (report.changed) {
        const r = report.retentionResult;
        logger.info('postgres maintenance', {
          table: report.table,
          created: report.created.length,
          movedFromDefault: report.movedFromDefault,
          ...(report.backfill ? { backfilledRows: report.backfill.rows, backfillRemaining: report.backfill.remaining } : {}),
          ...(r ? { dropped: r.dropped, deletedDefaultRows: r.deletedDefaultRows, summariesRemoved: r.summariesRemoved, summariesRebuilt: r.summariesRebuilt } : {}),
        });
      }
      for (const p of report.problems) logger.limited('warn', 'pg.maintenance_problem', `postgres maintenance: ${p}`, { table: report.table });
      return report;
    } catch (err) {
      // Not reaching the database at all is the writer's to report (it does, once per kind).
      if (!this.stopped) logger.limited(connected ? 'warn' : 'debug', 'pg.maintenance_failed', 'postgres maintenance failed; retried at the next pass', { error: describeError(err) });
      return undefined;
    } finally {
      if (this.client === client) this.client = undefined;
      await client.end().catch(() => undefined);
    }
  }
}
