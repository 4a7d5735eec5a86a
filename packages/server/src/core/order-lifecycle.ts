import type { Clock } from '../lib/clock.js';
import { ID_PREFIX, newId } from '../lib/ids.js';
import type { Db } from '../store/db.js';
import type { OrderStatus } from '../store/queries/orders.js';
import { completeOpenAttempt, insertAttempt, lockOrderStatus, type PaymentAttemptRow, type PaymentMethod } from '../store/queries/payment-attempts.js';
import { changeOrderStatus } from './webhook-events.js';

/**
 * The only place order states change. UN_PAID → PROCESSING → PAID or FAILED;
 * UN_PAID → EXPIRED. Every other move is refused (and the caller logs it).
 */
export const TRANSITIONS: Readonly<Record<OrderStatus, readonly OrderStatus[]>> = {
  UN_PAID: ['PROCESSING', 'EXPIRED'],
  PROCESSING: ['PAID', 'FAILED'],
  PAID: [],
  FAILED: [],
  EXPIRED: [],
};

export function canTransition(from: OrderStatus, to: OrderStatus): boolean {
  return TRANSITIONS[from].includes(to);
}

export type PaymentOutcome = 'success' | 'failed' | 'processing';

const TARGET: Record<PaymentOutcome, OrderStatus> = { success: 'PAID', failed: 'FAILED', processing: 'PROCESSING' };

export type OutcomeResult = { ok: true; from: OrderStatus; to: OrderStatus } | { ok: false; code: 'illegal_transition'; from: OrderStatus; to: OrderStatus } | { ok: false; code: 'order_not_found' };

/**
 * Applies a payment outcome (from the checkout page or the sandbox simulate
 * API) in one transaction, under a row lock: an UN_PAID order paid at once
 * passes through PROCESSING, so both transitions and the attempt are
 * recorded. The webhook event for the state reached is written in the same
 * transaction: if this commits, the event will be delivered; if it rolls
 * back, there is no event.
 */
export async function applyPaymentOutcome(db: Db, clock: Clock, orderId: string, outcome: PaymentOutcome, method: PaymentMethod): Promise<OutcomeResult> {
  return db.transaction(async (tx) => {
    const locked = await lockOrderStatus(tx, orderId);
    if (!locked) return { ok: false as const, code: 'order_not_found' as const };
    const now = new Date(clock.nowMs());
    const to = TARGET[outcome];
    if (locked.status === 'UN_PAID' && locked.expiresAt <= now) {
      // Its time ran out before the sweep reached it: expire it now (this commits), and refuse the payment.
      await changeOrderStatus(tx, locked, 'EXPIRED', null, now);
      return { ok: false as const, code: 'illegal_transition' as const, from: 'EXPIRED' as const, to };
    }
    const from = locked.status;
    const path: OrderStatus[] = from === 'UN_PAID' && to !== 'PROCESSING' ? ['PROCESSING', to] : [to];
    let current = from;
    for (const next of path) {
      if (!canTransition(current, next)) return { ok: false as const, code: 'illegal_transition' as const, from, to };
      current = next;
    }
    // A simulated bank reference, as a real acquirer would return for the attempt.
    const bankReference = to === 'PAID' ? `SBX${newId(ID_PREFIX.paymentAttempt).slice(4, 16).toUpperCase()}` : null;
    let attempt: PaymentAttemptRow | undefined;
    if (path[0] === 'PROCESSING') {
      // Opened by this change; when it also completes here, it is written complete (one statement, not two).
      const done = to === 'PAID' || to === 'FAILED';
      attempt = { id: newId(ID_PREFIX.paymentAttempt), orderId, method, status: done ? to : 'PROCESSING', bankReference, startedAt: now, completedAt: done ? now : null };
      await insertAttempt(tx, attempt);
    } else if (to === 'PAID' || to === 'FAILED') {
      attempt = await completeOpenAttempt(tx, orderId, to, bankReference, now);
    }
    // Only the state reached is reported: an order paid at once passes through PROCESSING inside this transaction, unseen.
    await changeOrderStatus(tx, locked, to as Exclude<OrderStatus, 'UN_PAID'>, attempt ?? null, now);
    return { ok: true as const, from, to };
  });
}
