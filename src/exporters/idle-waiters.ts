/**
 * Promises that settle when their owner has nothing left in progress: what forceFlush, shutdown
 * and a drain wait on. The owner calls `check()` after anything that may have finished its work.
 */
export class IdleWaiters {
  private waiters: Array<() => void> = [];

  constructor(private readonly isIdle: () => boolean) {}

  /** Resolves true once idle, false after `timeoutMs`. The timer does not keep the process alive. */
  wait(timeoutMs: number): Promise<boolean> {
    if (this.isIdle()) return Promise.resolve(true);
    return new Promise<boolean>((resolve) => {
      const onIdle = (): void => {
        clearTimeout(timer);
        resolve(true);
      };
      const timer = setTimeout(
        () => {
          this.waiters = this.waiters.filter((w) => w !== onIdle);
          resolve(false);
        },
        Math.max(0, timeoutMs),
      );
      timer.unref();
      this.waiters.push(onIdle);
    });
  }

  check(): void {
    if (this.waiters.length === 0 || !this.isIdle()) return;
    const w = this.waiters;
    this.waiters = [];
    for (const f of w) f();
  }
}
