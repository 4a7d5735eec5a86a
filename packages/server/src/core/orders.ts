import type { Clock } from '../lib/clock.js';
import { ID_PREFIX, type Mode, newId } from '../lib/ids.js';
import { type Currency, findCurrency, parseAmount } from '../lib/money.js';
import type { OrderStore } from '../store/order-store.js';
import type { OrderRow, StoredOrder } from '../store/queries/orders.js';
import type { Keyring } from './keyring.js';

export interface CreateOrderInput {
  order_id: string | number;
  order_amount: string | number;
  order_currency: string;
  order_note?: string;
  service_type: 'DIGITAL' | 'PHYSICAL_GOODS';
  customer: { name: string; email: string; phone: string };
  return_url?: string;
}

export interface Caller {
  merchantId: string;
  mode: Mode;
}

export interface FieldProblem {
  field: string;
  message: string;
}

export interface Order extends StoredOrder {
  currencyInfo: Currency;
}

export type CreateOrderResult =
  | { ok: true; order: Order }
  | { ok: false; code: 'validation_failed'; problems: FieldProblem[] }
  | { ok: false; code: 'duplicate_order_id'; existing: Order };

/** The AAD that binds a customer ciphertext to its own order row. */
export function customerContext(orderId: string): string {
  return `orders.customer_enc:${orderId}`;
}

/** A stored order with its currency's table entry, as orderView needs it. */
export function withCurrency(row: StoredOrder): Order {
  // Stored currencies were validated on the way in; an unknown one would be a corrupted row.
  const currencyInfo = findCurrency(row.currency);
  if (!currencyInfo) throw new Error(`order ${row.id} has unknown currency ${row.currency}`);
  return { ...row, currencyInfo };
}

/** Checks what a JSON schema cannot: currency tables, minor digits, URL rules that depend on the mode. */
function validateSemantics(input: CreateOrderInput, mode: Mode): { problems: FieldProblem[]; currency?: Currency; minor?: number } {
  const problems: FieldProblem[] = [];
  const currency = findCurrency(input.order_currency);
  let minor: number | undefined;
  if (!currency) {
    problems.push({ field: 'order_currency', message: 'must be an ISO 4217 currency code such as "INR"' });
  } else {
    const amount = parseAmount(input.order_amount, currency);
    if (amount.ok) minor = amount.minor;
    else problems.push({ field: 'order_amount', message: amount.reason });
  }
  // PostgreSQL text cannot hold NUL, and a lone surrogate would be silently
  // replaced on the way to UTF-8: refuse both rather than store something else.
  const texts: Array<[string, string | undefined]> = [
    ['order_note', input.order_note],
    ['return_url', input.return_url],
    ['customer.name', input.customer.name],
    ['customer.email', input.customer.email],
  ];
  for (const [field, text] of texts) {
    if (text !== undefined && (text.includes('\u0000') || !text.isWellFormed())) {
      problems.push({ field, message: 'must be well-formed Unicode without NUL characters' });
    }
  }
  if (input.return_url !== undefined && !problems.some((p) => p.field === 'return_url')) {
    let url: URL | undefined;
    try {
      url = new URL(input.return_url);
    } catch {
      url = undefined;
    }
    if (!url || (url.protocol !== 'https:' && url.protocol !== 'http:')) {
      problems.push({ field: 'return_url', message: 'must be an absolute http(s) URL' });
    } else if (mode === 'live' && url.protocol !== 'https:') {
      problems.push({ field: 'return_url', message: 'must use https for live orders' });
    } else if (url.username || url.password) {
      problems.push({ field: 'return_url', message: 'must not carry credentials' });
    }
  }
  return currency && minor !== undefined ? { problems, currency, minor } : { problems };
}

/**
 * Creates an order in one statement. The reply is sent only after this
 * resolves, i.e. after the row is committed.
 */
export async function createOrder(
  orders: OrderStore,
  keyring: Keyring,
  clock: Clock,
  caller: Caller,
  input: CreateOrderInput,
  lifetimeSeconds: number,
): Promise<CreateOrderResult> {
  const { problems, currency, minor } = validateSemantics(input, caller.mode);
  if (problems.length > 0 || !currency || minor === undefined) return { ok: false, code: 'validation_failed', problems };

  const id = newId(ID_PREFIX.order);
  const now = new Date(clock.nowMs());
  const orderRef = String(input.order_id);
  const row: OrderRow = {
    id,
    merchantId: caller.merchantId,
    mode: caller.mode,
    orderRef,
    orderRefNumeric: typeof input.order_id === 'number',
    amountMinor: minor,
    currency: currency.code,
    note: input.order_note ?? null,
    serviceType: input.service_type,
    // Contact details are customer PII: only their ciphertext, under the merchant's own data key, reaches the database,
    // with keyed blind indexes for look-ups by email or phone.
    customerEnc: await keyring.seal({ merchantId: caller.merchantId }, JSON.stringify(input.customer), customerContext(id)),
    customerEmailBidx: keyring.blindIndex(caller.merchantId, 'email', input.customer.email),
    customerPhoneBidx: keyring.blindIndex(caller.merchantId, 'phone', input.customer.phone),
    returnUrl: input.return_url ?? null,
    status: 'UN_PAID',
    createdAt: now,
    updatedAt: now,
    expiresAt: new Date(now.getTime() + lifetimeSeconds * 1000),
  };
  if (await orders.insertIfAbsent(row)) return { ok: true, order: { ...row, payment: null, currencyInfo: currency } };
  const existing = await orders.findByRef({ merchantId: caller.merchantId, mode: caller.mode, orderRef });
  // Vanishing between the two statements would need a delete we never issue.
  if (!existing) throw new Error('duplicate order disappeared');
  return { ok: false, code: 'duplicate_order_id', existing: withCurrency(existing) };
}

/** An UN_PAID order past its time is EXPIRED, whether or not the sweep has written it yet. */
export function effectiveStatus(order: Pick<Order, 'status' | 'expiresAt'>, nowMs: number): Order['status'] {
  return order.status === 'UN_PAID' && order.expiresAt.getTime() <= nowMs ? 'EXPIRED' : order.status;
}

/** Only the caller's own orders in the caller's own mode are visible. */
export async function findOrder(orders: OrderStore, caller: Caller, orderId: string | number): Promise<Order | undefined> {
  const row = await orders.findByRef({ merchantId: caller.merchantId, mode: caller.mode, orderRef: String(orderId) });
  return row && withCurrency(row);
}
