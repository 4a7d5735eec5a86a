/**
 * What a webhook delivery's body holds. The gateway writes payment events
 * with the status API's field names (packages/server core/webhook-events.ts),
 * so the types reuse the generated Order types where the fields are the same;
 * the SDK's delivery test checks these field lists against real deliveries.
 */
import type { Order, OrderPayment } from './types.js';

export const PAYMENT_EVENT_TYPES = ['payment.processing', 'payment.success', 'payment.failed', 'payment.expired'] as const;
export type PaymentEventType = (typeof PAYMENT_EVENT_TYPES)[number];

export interface PaymentEventData {
  order_id: Order['order_id'];
  gateway_order_id: Order['gateway_order_id'];
  /** Decimal string with the currency's minor digits, as order_amount in the status API. */
  amount: Order['order_amount'];
  currency: Order['order_currency'];
  status: Exclude<Order['order_status'], 'UN_PAID'>;
  mode: Order['mode'];
  payment: OrderPayment | null;
}

export interface PaymentEvent {
  event: PaymentEventType;
  /** The same on every attempt and resend (and the webhook-id header): de-duplicate on it. */
  event_id: string;
  created_at: string;
  data: PaymentEventData;
}

/** An event type this SDK version does not describe: handle or ignore it by `event`. */
export interface OtherEvent {
  event: string;
  event_id: string;
  created_at: string;
  data: Record<string, unknown>;
}

export type WebhookEvent = PaymentEvent | OtherEvent;

export function isPaymentEvent(event: WebhookEvent): event is PaymentEvent {
  return (PAYMENT_EVENT_TYPES as readonly string[]).includes(event.event);
}
