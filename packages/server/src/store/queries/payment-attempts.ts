import type { Queryable } from '../db.js';
import type { OrderStatus } from './orders.js';

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

/** Locks the order row for a state change; concurrent changes to one order queue here. */
export async function lockOrderStatus(db: Queryable, orderId: string): Promise<{ status: OrderStatus; expiresAt: Date } | undefined> {
  const rows = await db.query<{ status: OrderStatus; expires_at: Date }>('SELECT status, expires_at FROM orders WHERE id = $1 FOR UPDATE', [orderId]);
  const row = rows[0];
  return row && { status: row.status, expiresAt: row.expires_at };
}

export async function setOrderStatus(db: Queryable, orderId: string, status: OrderStatus, at: Date): Promise<void> {
  await db.query('UPDATE orders SET status = $2, updated_at = $3 WHERE id = $1', [orderId, status, at]);
}

export async function insertAttempt(db: Queryable, a: PaymentAttemptRow): Promise<void> {
  await db.query(
    'INSERT INTO payment_attempts (id, order_id, method, status, bank_reference, started_at, completed_at) VALUES ($1, $2, $3, $4, $5, $6, $7)',
    [a.id, a.orderId, a.method, a.status, a.bankReference, a.startedAt, a.completedAt],
  );
}

export async function completeOpenAttempt(db: Queryable, orderId: string, status: 'PAID' | 'FAILED', bankReference: string | null, at: Date): Promise<void> {
  await db.query(
    `UPDATE payment_attempts SET status = $2, bank_reference = $3, completed_at = $4
      WHERE order_id = $1 AND status = 'PROCESSING'`,
    [orderId, status, bankReference, at],
  );
}

export async function latestAttempt(db: Queryable, orderId: string): Promise<PaymentAttemptRow | undefined> {
  const rows = await db.query<Record<string, unknown>>(
    'SELECT id, order_id, method, status, bank_reference, started_at, completed_at FROM payment_attempts WHERE order_id = $1 ORDER BY started_at DESC, id DESC LIMIT 1',
    [orderId],
  );
  return rows[0] && toAttempt(rows[0]);
}
