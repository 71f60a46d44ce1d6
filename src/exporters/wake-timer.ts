/**
 * One pending wake-up for an exporter's pump: asking for an earlier one replaces it, a later one
 * is ignored. The timer never keeps the process alive.
 */
export class WakeTimer {
  private timer: NodeJS.Timeout | undefined;
  private at = 0;

  constructor(private readonly wake: () => void) {}

  in(delayMs: number): void {
    const ms = Math.max(0, delayMs);
    const at = Date.now() + ms;
    if (this.timer !== undefined && this.at <= at) return;
    this.cancel();
    this.at = at;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.wake();
    }, ms);
    this.timer.unref();
  }

  cancel(): void {
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = undefined;
  }
}
