/**
 * Sends the OTLP spool, oldest file first. A file is one request: it is claimed by rename, sent,
 * and deleted once the receiver accepted it, so a replay never sends half a file twice. A failure
 * gives the file back and ends the pass; the exporter starts the next one once the receiver answers.
 */
import { logger } from '../../shared/logger';
import type { Spool } from '../spool';
import { CONTENT_TYPES, fromSpoolLine } from './body';
import type { SendOutcome } from './sender';

export interface OtlpReplayHost {
  /** False once the exporter stopped, or while the receiver is failing. */
  mayGoOn(): boolean;
  send(body: Uint8Array, contentType: string): Promise<SendOutcome>;
  onDelivered(spans: number, ms: number): void;
  onRefused(spans: number, error: string, keptAs: string): void;
  onFailed(error: string): void;
}

export class OtlpSpoolReplayer {
  /** The spool may hold files: set when one is written, cleared when a claim finds none. */
  mayHaveWork = true;
  private running: Promise<void> | undefined;
  private stopping = false;

  constructor(
    private readonly spool: Spool,
    private readonly host: OtlpReplayHost,
    private readonly onEnded: () => void,
  ) {}

  /** The pass in progress, if any. */
  get current(): Promise<void> | undefined {
    return this.running;
  }

  /** The pass in progress ends after the request it is waiting for (a drain past its deadline). */
  stopAfterCurrent(): void {
    if (this.running !== undefined) this.stopping = true;
  }

  start(): Promise<void> {
    this.running ??= this.loop().finally(() => {
      this.running = undefined;
      this.stopping = false;
      this.onEnded();
    });
    return this.running;
  }

  private async loop(): Promise<void> {
    try {
      while (this.host.mayGoOn() && !this.stopping) {
        const file = await this.spool.claimNext();
        if (file === null) {
          this.mayHaveWork = false;
          return;
        }
        const lines = await this.spool.read(file).catch(() => null);
        const req = lines !== null && lines.length === 1 ? fromSpoolLine(lines[0]) : null;
        if (req === null) {
          await this.spool.reject(file);
          logger.limited('error', 'otlp.spool_rejected', "OTLP spool file is not in this release's format; moved aside", { file: `${file.original}.rejected` });
          continue;
        }
        const t0 = performance.now();
        const o = await this.host.send(req.body, CONTENT_TYPES[req.kind]).catch((err: unknown): SendOutcome => ({ kind: 'retry', error: String(err) }));
        if (o.kind === 'ok') {
          await this.spool.complete(file);
          this.host.onDelivered(req.count, performance.now() - t0);
        } else if (o.kind === 'invalid') {
          await this.spool.reject(file);
          this.host.onRefused(req.count, o.error, `${file.original}.rejected`);
        } else {
          await this.spool.unclaim(file);
          this.host.onFailed(o.error);
          return;
        }
      }
    } catch (err) {
      logger.limited('error', 'otlp.replay_internal', 'OTLP spool replay internal error', { error: err });
    }
  }
}
