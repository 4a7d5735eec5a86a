import type { Clock } from '../lib/clock.js';
import type { Queryable } from '../store/db.js';
import { addUsage, type UsageDelta } from '../store/queries/api-key-usage.js';

export interface UsageOutcome {
  refused?: boolean;
  outsideAllowlist?: boolean;
}

// Beyond this many distinct (key, address) pairs between flushes, new pairs are
// dropped from the counts rather than let an address-spraying client grow memory.
const MAX_PENDING = 100_000;

/**
 * Counts requests per (API key, client address) in memory and writes them in
 * one batch every interval: the source of `last_used_at`, `last_used_ip`, and
 * the admin API's list of addresses a key was used from, without a database
 * write per request.
 */
export class UsageTracker {
  #pending = new Map<string, UsageDelta>();
  #timer: NodeJS.Timeout | undefined;
  #flushing: Promise<void> = Promise.resolve();

  constructor(
    private readonly db: Queryable,
    private readonly clock: Clock,
    private readonly onError: (err: unknown) => void,
  ) {}

  record(keyId: string, ip: string, outcome: UsageOutcome = {}): void {
    const id = `${keyId} ${ip}`;
    let delta = this.#pending.get(id);
    const now = new Date(this.clock.nowMs());
    if (!delta) {
      if (this.#pending.size >= MAX_PENDING) return;
      delta = { keyId, ip, firstSeenAt: now, lastSeenAt: now, requests: 0, refused: 0, outsideAllowlist: 0 };
      this.#pending.set(id, delta);
    }
    delta.lastSeenAt = now;
    delta.requests++;
    if (outcome.refused) delta.refused++;
    if (outcome.outsideAllowlist) delta.outsideAllowlist++;
  }

  /** Writes what has been counted so far; concurrent calls run one after another. */
  flush(): Promise<void> {
    this.#flushing = this.#flushing.then(async () => {
      if (this.#pending.size === 0) return;
      const batch = [...this.#pending.values()];
      this.#pending = new Map();
      try {
        await addUsage(this.db, batch);
      } catch (err) {
        this.onError(err);
      }
    });
    return this.#flushing;
  }

  start(intervalMs: number): void {
    this.#timer = setInterval(() => void this.flush(), intervalMs);
    this.#timer.unref();
  }

  async stop(): Promise<void> {
    clearInterval(this.#timer);
    await this.flush();
  }
}
