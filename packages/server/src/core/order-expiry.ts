import type { Clock } from '../lib/clock.js';
import type { Db } from '../store/db.js';
import { expireDueOrders } from '../store/queries/orders.js';
import { paymentEvent, recordEvents } from './webhook-events.js';

// One statement moves at most this many; the sweep repeats until none are left.
const BATCH = 500;

/**
 * Writes EXPIRED for UN_PAID orders whose time is up. Replies already show
 * them as EXPIRED (effectiveStatus), and a payment of one is refused even
 * before the sweep; the sweep makes the database agree and emits the
 * payment.expired events.
 */
export async function sweepExpiredOrders(db: Db, clock: Clock): Promise<number> {
  let total = 0;
  for (;;) {
    // Each batch and its payment.expired events commit together.
    const count = await db.transaction(async (tx) => {
      const now = new Date(clock.nowMs());
      const expired = await expireDueOrders(tx, now, BATCH);
      await recordEvents(tx, expired.map((order) => paymentEvent(order, 'EXPIRED', null, now)));
      return expired.length;
    });
    total += count;
    if (count < BATCH) return total;
  }
}

export class ExpirySweeper {
  #timer: NodeJS.Timeout | undefined;
  #running: Promise<unknown> = Promise.resolve();

  constructor(
    private readonly db: Db,
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
