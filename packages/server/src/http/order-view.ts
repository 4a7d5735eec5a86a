import type { Keyring } from '../core/keyring.js';
import { effectiveStatus, type Order } from '../core/orders.js';
import { formatAmount } from '../lib/money.js';
import type { AttemptSummary } from '../store/queries/orders.js';

/** `return_data` of create and status replies: KwikPaisa v3 field names, amounts as decimal strings. */
export interface OrderView {
  gateway_order_id: string;
  order_id: string | number;
  order_amount: string;
  order_currency: string;
  order_note: string | null;
  service_type: string;
  order_status: string;
  payment_link: string;
  return_url: string | null;
  mode: 'sandbox' | 'live';
  created_at: string;
  updated_at: string;
  expires_at: string;
  /** The latest payment attempt, or null before the customer tries to pay. */
  payment: {
    payment_id: string;
    payment_method: string;
    payment_status: string;
    bank_reference: string | null;
    started_at: string;
    completed_at: string | null;
  } | null;
}

export const ORDER_VIEW_SCHEMA = {
  type: 'object',
  required: ['gateway_order_id', 'order_id', 'order_amount', 'order_currency', 'order_status', 'payment_link', 'mode', 'created_at', 'updated_at', 'expires_at'],
  properties: {
    gateway_order_id: { type: 'string', description: "Tijori's own id for the order (ord_...)." },
    order_id: { type: ['string', 'integer'], description: "The merchant's order_id, in the JSON type it was created with." },
    order_amount: { type: 'string', description: 'Decimal string with the currency\'s minor digits, e.g. "105.00".' },
    order_currency: { type: 'string' },
    order_note: { type: ['string', 'null'] },
    service_type: { type: 'string', enum: ['DIGITAL', 'PHYSICAL_GOODS'] },
    order_status: { type: 'string', enum: ['UN_PAID', 'PROCESSING', 'PAID', 'FAILED', 'EXPIRED'] },
    payment_link: { type: 'string', description: 'Hosted checkout page for this order only.' },
    return_url: { type: ['string', 'null'] },
    mode: { type: 'string', enum: ['sandbox', 'live'] },
    created_at: { type: 'string', format: 'date-time' },
    updated_at: { type: 'string', format: 'date-time' },
    expires_at: { type: 'string', format: 'date-time', description: 'An UN_PAID order becomes EXPIRED at this time.' },
    payment: {
      type: ['object', 'null'],
      description: 'The latest payment attempt (null before one is made).',
      properties: {
        payment_id: { type: 'string' },
        payment_method: { type: 'string', enum: ['UPI', 'CARD', 'NET_BANKING'] },
        payment_status: { type: 'string', enum: ['PROCESSING', 'PAID', 'FAILED'] },
        bank_reference: { type: ['string', 'null'] },
        started_at: { type: 'string', format: 'date-time' },
        completed_at: { type: ['string', 'null'], format: 'date-time' },
      },
    },
  },
} as const;

export function orderView(order: Order, keyring: Keyring, publicBaseUrl: string, nowMs: number): OrderView {
  return {
    gateway_order_id: order.id,
    order_id: order.orderRefNumeric ? Number(order.orderRef) : order.orderRef,
    order_amount: formatAmount(order.amountMinor, order.currencyInfo),
    order_currency: order.currency,
    order_note: order.note,
    service_type: order.serviceType,
    order_status: effectiveStatus(order, nowMs),
    payment_link: `${publicBaseUrl}/checkout/${order.id}/${keyring.paymentLinkToken(order.id)}`,
    return_url: order.returnUrl,
    mode: order.mode === 'test' ? 'sandbox' : 'live',
    created_at: order.createdAt.toISOString(),
    updated_at: order.updatedAt.toISOString(),
    expires_at: order.expiresAt.toISOString(),
    payment: order.payment && paymentView(order.payment),
  };
}

/** One payment attempt, as `payment` in the order view shows the latest (the dashboard lists every one). */
export function paymentView(p: AttemptSummary): NonNullable<OrderView['payment']> {
  return {
    payment_id: p.id,
    payment_method: p.method,
    payment_status: p.status,
    bank_reference: p.bankReference,
    started_at: p.startedAt.toISOString(),
    completed_at: p.completedAt?.toISOString() ?? null,
  };
}

/** The envelope schema around a return_data schema, for replies and the OpenAPI document. */
export function successSchema(data: object, example: string) {
  return {
    type: 'object',
    required: ['code', 'status', 'message', 'return_data'],
    properties: {
      code: { type: 'string', example: '200' },
      status: { type: 'string', enum: ['success'] },
      message: { type: 'string', example },
      return_data: data,
    },
  } as const;
}
