import type { Mode } from '../../lib/ids.js';
import type { Queryable } from '../db.js';
import type { OrderRow, OrderStatus } from './orders.js';

export type PaymentMethod = 'UPI' | 'CARD' | 'NET_BANKING';

export interface PaymentAttemptRow {
  id: string;
  orderId: string;
  method: PaymentMethod;
  status: 'PROCESSING' | 'PAID' | 'FAILED';
  bankReference: string | null;
  startedAt: Date;
  completedAt: Date | null;
}

function toAttempt(r: Record<string, unknown>): PaymentAttemptRow {
  return {
    id: r.id as string,
    orderId: r.order_id as string,
    method: r.method as PaymentMethod,
    status: r.status as PaymentAttemptRow['status'],
    bankReference: (r.bank_reference as string | null) ?? null,
    startedAt: r.started_at as Date,
    completedAt: (r.completed_at as Date | null) ?? null,
  };
}

export type LockedOrder = Pick<OrderRow, 'id' | 'merchantId' | 'mode' | 'orderRef' | 'orderRefNumeric' | 'amountMinor' | 'currency' | 'status' | 'expiresAt'>;

export const SNAPSHOT_COLUMNS = 'id, merchant_id, mode, order_ref, order_ref_numeric, amount_minor, currency, status, expires_at';

export function toLockedOrder(r: Record<string, unknown>): LockedOrder {
  return {
    id: r.id as string,
    merchantId: r.merchant_id as string,
    mode: r.mode as Mode,
    orderRef: r.order_ref as string,
    orderRefNumeric: r.order_ref_numeric as boolean,
    amountMinor: Number(r.amount_minor),
    currency: r.currency as string,
    status: r.status as OrderStatus,
    expiresAt: r.expires_at as Date,
  };
}

/** Locks the order row for a state change (concurrent changes to one order queue here) and reads what its events report. */
export async function lockOrderStatus(db: Queryable, orderId: string): Promise<LockedOrder | undefined> {
  const rows = await db.query<Record<string, unknown>>(`SELECT ${SNAPSHOT_COLUMNS} FROM orders WHERE id = $1 FOR UPDATE`, [orderId]);
  return rows[0] && toLockedOrder(rows[0]);
}

export async function insertAttempt(db: Queryable, a: PaymentAttemptRow): Promise<void> {
  await db.query(
    'INSERT INTO payment_attempts (id, order_id, method, status, bank_reference, started_at, completed_at) VALUES ($1, $2, $3, $4, $5, $6, $7)',
    [a.id, a.orderId, a.method, a.status, a.bankReference, a.startedAt, a.completedAt],
  );
}

/** Completes the order's open attempt and returns it as completed (undefined if none was open). */
export async function completeOpenAttempt(db: Queryable, orderId: string, status: 'PAID' | 'FAILED', bankReference: string | null, at: Date): Promise<PaymentAttemptRow | undefined> {
  const rows = await db.query<Record<string, unknown>>(
    `UPDATE payment_attempts SET status = $2, bank_reference = $3, completed_at = $4
      WHERE order_id = $1 AND status = 'PROCESSING'
      RETURNING id, order_id, method, status, bank_reference, started_at, completed_at`,
    [orderId, status, bankReference, at],
  );
  return rows[0] && toAttempt(rows[0]);
}

export async function latestAttempt(db: Queryable, orderId: string): Promise<PaymentAttemptRow | undefined> {
  const rows = await db.query<Record<string, unknown>>(
    'SELECT id, order_id, method, status, bank_reference, started_at, completed_at FROM payment_attempts WHERE order_id = $1 ORDER BY started_at DESC, id DESC LIMIT 1',
    [orderId],
  );
  return rows[0] && toAttempt(rows[0]);
}

/** Every payment attempt of an order, oldest first. */
export async function listAttemptsOfOrder(db: Queryable, orderId: string): Promise<PaymentAttemptRow[]> {
  const rows = await db.query<Record<string, unknown>>('SELECT id, order_id, method, status, bank_reference, started_at, completed_at FROM payment_attempts WHERE order_id = $1 ORDER BY started_at, id', [orderId]);
  return rows.map(toAttempt);
}
