/**
 * Wakes whoever is waiting when something they may want has happened (here:
 * a webhook event was recorded, by any process: main.ts feeds it from the
 * database's NOTIFY). Waiters re-check for themselves; a wake-up promises
 * nothing but "look again".
 */
export class WakeSignal {
  readonly #waiters = new Set<() => void>();
  #closed = false;

  notify(): void {
    const waiters = [...this.#waiters];
    this.#waiters.clear();
    for (const wake of waiters) wake();
  }

  /** Resolves at the next notify, after `ms`, or at once when closed, whichever is first. */
  wait(ms: number): Promise<void> {
    if (this.#closed || ms <= 0) return Promise.resolve();
    return new Promise((resolve) => {
      const wake = () => {
        clearTimeout(timer);
        this.#waiters.delete(wake);
        resolve();
      };
      const timer = setTimeout(wake, ms);
      this.#waiters.add(wake);
    });
  }

  get closed(): boolean {
    return this.#closed;
  }

  /** Shutdown: every wait ends now, and later ones at once. */
  close(): void {
    this.#closed = true;
    this.notify();
  }
}
