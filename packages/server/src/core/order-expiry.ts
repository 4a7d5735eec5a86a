import type { Clock } from '../lib/clock.js';
import type { Queryable } from '../store/db.js';
import { expireDueOrders } from '../store/queries/orders.js';

// One statement moves at most this many; the sweep repeats until none are left.
const BATCH = 500;

/**
 * Writes EXPIRED for UN_PAID orders whose time is up. Replies already show
 * them as EXPIRED (effectiveStatus), and a payment of one is refused even
 * before the sweep; the sweep makes the database agree, for queries and,
 * later, the payment.expired event.
 */
export async function sweepExpiredOrders(db: Queryable, clock: Clock): Promise<number> {
  let total = 0;
  for (;;) {
    const expired = await expireDueOrders(db, new Date(clock.nowMs()), BATCH);
    total += expired.length;
    if (expired.length < BATCH) return total;
  }
}

export class ExpirySweeper {
  #timer: NodeJS.Timeout | undefined;
  #running: Promise<unknown> = Promise.resolve();

  constructor(
    private readonly db: Queryable,
    private readonly clock: Clock,
    private readonly onError: (err: unknown) => void,
  ) {}

  start(intervalMs: number): void {
    this.#timer = setInterval(() => {
      this.#running = sweepExpiredOrders(this.db, this.clock).catch(this.onError);
    }, intervalMs);
    this.#timer.unref();
  }

  async stop(): Promise<void> {
    clearInterval(this.#timer);
    await this.#running;
  }
}
