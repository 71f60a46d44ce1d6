import type { ReadableSpan } from '@opentelemetry/sdk-trace-base';
import type { Destination } from '../destination';
import { sleep } from '../retry';
import { EXPORTER_NAME, PostgresSpanExporter } from './exporter';

const NOOP = (): void => undefined;

/**
 * The PostgreSQL exporter as the engine drives it: its own queue is the only batching layer (it
 * gets spans straight from the hand-off), and a drain spools at its deadline.
 */
export class PostgresDestination implements Destination {
  readonly name = EXPORTER_NAME;

  constructor(readonly exporter: PostgresSpanExporter) {}

  accept(spans: readonly ReadableSpan[]): void {
    this.exporter.export(spans as ReadableSpan[], NOOP);
  }

  async drain(deadline: number, final: boolean): Promise<void> {
    const left = (): number => Math.max(0, deadline - Date.now());
    await Promise.race([this.exporter.forceFlush(), sleep(left())]);
    // The spool of an earlier run is stored too while the database answers: a short process
    // delivers what its predecessor could not.
    if (left() > 0 && !this.exporter.bufferStatus().databaseFailing && (await this.spoolHasWork().catch(() => false))) {
      await Promise.race([this.replayIfReachable(), sleep(left())]);
    }
    // The exporter spools what it still holds; a write in flight may commit too (ON CONFLICT makes the replay harmless).
    if (final) this.exporter.spoolSync();
  }

  spoolAllSync(): void {
    this.exporter.spoolSync();
  }

  async replayUntil(deadline: number): Promise<void> {
    let failures = 0;
    while (Date.now() < deadline) {
      if (await this.replayIfReachable()) return;
      failures++;
      await sleep(Math.min(Math.max(0, deadline - Date.now()), Math.min(10_000, 250 * 2 ** Math.min(failures, 6))));
    }
  }

  /**
   * Claims spool files only once the database answers: a claimed file is invisible to
   * `agentops-otel replay` and to other processes while it is being tried.
   */
  private async replayIfReachable(): Promise<boolean> {
    if (!(await this.exporter.probe())) return false;
    const r = await this.exporter.replaySpoolNow();
    return r.error === undefined && r.remainingFiles === 0;
  }

  async spoolHasWork(): Promise<boolean> {
    // Claimed files count: a claim of this process (a replay cut by the exit) is stale the moment it exits.
    const st = await this.exporter.spoolStatus();
    return st.files + st.claimed > 0;
  }

  queued(): number {
    return this.exporter.bufferStatus().spans;
  }
}
