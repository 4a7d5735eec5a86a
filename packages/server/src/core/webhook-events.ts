import { canonicalJson } from '@tijori/signing';
import { ID_PREFIX, type Mode, newId } from '../lib/ids.js';
import { findCurrency, formatAmount } from '../lib/money.js';
import type { Queryable } from '../store/db.js';
import type { AttemptSummary, OrderRow, OrderStatus } from '../store/queries/orders.js';
import { enqueueEvents, type NewEvent, setOrderStatusWithEvents } from '../store/queries/webhook-deliveries.js';

/** The KwikPaisa v3 event names, one per state an order can reach after UN_PAID. */
export const PAYMENT_EVENT_TYPES = ['payment.processing', 'payment.success', 'payment.failed', 'payment.expired'] as const;
export type PaymentEventType = (typeof PAYMENT_EVENT_TYPES)[number];

/** What an endpoint may subscribe to (new endpoints get all of them): the payment events and security alerts (core/security-alerts.ts). */
export const SUBSCRIBABLE_EVENT_TYPES = [...PAYMENT_EVENT_TYPES, 'security.alert'] as const;
export const SECURITY_ALERT_EVENT: (typeof SUBSCRIBABLE_EVENT_TYPES)[4] = 'security.alert';

const EVENT_FOR: Record<Exclude<OrderStatus, 'UN_PAID'>, PaymentEventType> = {
  PROCESSING: 'payment.processing',
  PAID: 'payment.success',
  FAILED: 'payment.failed',
  EXPIRED: 'payment.expired',
};

/** What an event says about its order: read under the lock of the change that causes it. */
export type OrderSnapshot = Pick<OrderRow, 'id' | 'merchantId' | 'mode' | 'orderRef' | 'orderRefNumeric' | 'amountMinor' | 'currency'>;

/** The attempt an event reports: the same fields the status API shows. */
export type PaymentSnapshot = AttemptSummary;

/**
 * A payment event, its payload already serialised in the canonical form
 * (keys sorted, compact): the bytes are fixed once, so every retry sends the
 * same body and a receiver re-serialising the parsed object gets them back.
 * Field names follow the status API so one parser serves both.
 */
export function paymentEvent(order: OrderSnapshot, status: Exclude<OrderStatus, 'UN_PAID'>, payment: PaymentSnapshot | null, at: Date): NewEvent {
  const currency = findCurrency(order.currency);
  // Stored currencies were validated on the way in.
  if (!currency) throw new Error(`order ${order.id} has unknown currency ${order.currency}`);
  const id = newId(ID_PREFIX.webhookEvent);
  const type = EVENT_FOR[status];
  const payload = canonicalJson({
    event: type,
    event_id: id,
    created_at: at.toISOString(),
    data: {
      order_id: order.orderRefNumeric ? Number(order.orderRef) : order.orderRef,
      gateway_order_id: order.id,
      amount: formatAmount(order.amountMinor, currency),
      currency: order.currency,
      status,
      mode: order.mode === 'test' ? 'sandbox' : 'live',
      payment: payment && {
        payment_id: payment.id,
        payment_method: payment.method,
        payment_status: payment.status,
        bank_reference: payment.bankReference,
        started_at: payment.startedAt.toISOString(),
        completed_at: payment.completedAt?.toISOString() ?? null,
      },
    },
  });
  return { id, merchantId: order.merchantId, mode: order.mode, type, orderId: order.id, payload, createdAt: at };
}

/** An operational event (e.g. an endpoint disabled): recorded with the others, delivered to no one. */
export function operatorEvent(merchantId: string, mode: Mode, type: `webhook_endpoint.${string}`, data: Record<string, unknown>, at: Date): NewEvent {
  const id = newId(ID_PREFIX.webhookEvent);
  return { id, merchantId, mode, type, orderId: null, payload: canonicalJson({ event: type, event_id: id, created_at: at.toISOString(), data }), createdAt: at };
}

/** Must run in the transaction of the change the events report: they commit, or vanish, with it. */
export async function recordEvents(tx: Queryable, events: readonly NewEvent[]): Promise<number> {
  return enqueueEvents(tx, events);
}

/** Moves an order to `status` and records the event that reports it, in one statement of the caller's transaction. */
export async function changeOrderStatus(tx: Queryable, order: OrderSnapshot, status: Exclude<OrderStatus, 'UN_PAID'>, payment: PaymentSnapshot | null, at: Date): Promise<void> {
  await setOrderStatusWithEvents(tx, order.id, status, at, [paymentEvent(order, status, payment, at)]);
}
