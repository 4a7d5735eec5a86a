import type { Mode } from '../../lib/ids.js';
import type { Queryable } from '../db.js';

export type OrderStatus = 'UN_PAID' | 'PROCESSING' | 'PAID' | 'FAILED' | 'EXPIRED';

export interface OrderRow {
  id: string;
  merchantId: string;
  mode: Mode;
  orderRef: string;
  orderRefNumeric: boolean;
  amountMinor: number;
  currency: string;
  note: string | null;
  serviceType: 'DIGITAL' | 'PHYSICAL_GOODS';
  customerEnc: Uint8Array;
  returnUrl: string | null;
  status: OrderStatus;
  createdAt: Date;
  updatedAt: Date;
}

const COLUMNS = `id, merchant_id, mode, order_ref, order_ref_numeric, amount_minor, currency, note, service_type,
  customer_enc, return_url, status, created_at, updated_at`;

interface RawOrder {
  id: string;
  merchant_id: string;
  mode: Mode;
  order_ref: string;
  order_ref_numeric: boolean;
  amount_minor: string | number | bigint;
  currency: string;
  note: string | null;
  service_type: 'DIGITAL' | 'PHYSICAL_GOODS';
  customer_enc: Uint8Array;
  return_url: string | null;
  status: OrderStatus;
  created_at: Date;
  updated_at: Date;
}

function toOrder(r: RawOrder): OrderRow {
  return {
    id: r.id,
    merchantId: r.merchant_id,
    mode: r.mode,
    orderRef: r.order_ref,
    orderRefNumeric: r.order_ref_numeric,
    // Drivers differ (string, number, bigint); amounts are bounded to 10^15 so a number is exact.
    amountMinor: Number(r.amount_minor),
    currency: r.currency,
    note: r.note,
    serviceType: r.service_type,
    customerEnc: r.customer_enc,
    returnUrl: r.return_url,
    status: r.status,
    createdAt: r.created_at,
    updatedAt: r.updated_at,
  };
}

/**
 * One statement, one round trip: inserts unless (merchant, mode, order_ref)
 * exists. Returns false on a duplicate, leaving the existing row untouched.
 */
export async function insertOrderIfAbsent(db: Queryable, o: OrderRow): Promise<boolean> {
  const rows = await db.query(
    `INSERT INTO orders (${COLUMNS})
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14)
     ON CONFLICT (merchant_id, mode, order_ref) DO NOTHING
     RETURNING id`,
    [
      o.id, o.merchantId, o.mode, o.orderRef, o.orderRefNumeric, o.amountMinor, o.currency, o.note,
      o.serviceType, o.customerEnc, o.returnUrl, o.status, o.createdAt, o.updatedAt,
    ],
  );
  return rows.length === 1;
}

export async function findOrderByRef(db: Queryable, merchantId: string, mode: Mode, orderRef: string): Promise<OrderRow | undefined> {
  const rows = await db.query<RawOrder>(
    `SELECT ${COLUMNS} FROM orders WHERE merchant_id = $1 AND mode = $2 AND order_ref = $3`,
    [merchantId, mode, orderRef],
  );
  return rows[0] && toOrder(rows[0]);
}

export async function countOrders(db: Queryable): Promise<number> {
  const rows = await db.query<{ n: string | number }>('SELECT count(*) AS n FROM orders');
  return Number(rows[0]?.n ?? 0);
}
