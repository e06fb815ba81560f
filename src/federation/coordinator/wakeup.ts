/** A level-free "something changed" signal: waiters resume on the next notify() or after a timeout. */
export class Wakeup {
  private waiters = new Set<() => void>();

  notify(): void {
    const waiters = [...this.waiters];
    this.waiters.clear();
    for (const w of waiters) w();
  }

  /** Resolves true when notified, false when the timeout passed first. */
  wait(timeoutMs: number): Promise<boolean> {
    return new Promise((resolve) => {
      const done = (notified: boolean) => {
        clearTimeout(timer);
        this.waiters.delete(onNotify);
        resolve(notified);
      };
      const onNotify = () => done(true);
      const timer = setTimeout(() => done(false), Math.max(0, timeoutMs));
      this.waiters.add(onNotify);
    });
  }
}
