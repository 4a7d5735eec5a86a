import type { Mode } from '../../lib/ids.js';
import type { Queryable } from '../db.js';
import { placeholders } from '../sql-placeholders.js';
import { type LockedOrder, SNAPSHOT_COLUMNS, toLockedOrder } from './payment-attempts.js';

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
  /** Keyed blind indexes of the customer's email and phone (Keyring.blindIndex), for look-ups without the plaintext. */
  customerEmailBidx: string;
  customerPhoneBidx: string;
  returnUrl: string | null;
  status: OrderStatus;
  createdAt: Date;
  updatedAt: Date;
  expiresAt: Date;
}

/** The latest payment attempt, as the status API shows it. */
export interface AttemptSummary {
  id: string;
  method: string;
  status: string;
  bankReference: string | null;
  startedAt: Date;
  completedAt: Date | null;
}

/** An order as read back: everything but the customer ciphertext (no read path needs it yet), plus its latest payment attempt. */
export type StoredOrder = Omit<OrderRow, 'customerEnc' | 'customerEmailBidx' | 'customerPhoneBidx'> & { payment: AttemptSummary | null };

const COLUMNS = `id, merchant_id, mode, order_ref, order_ref_numeric, amount_minor, currency, note, service_type,
  customer_enc, return_url, status, created_at, updated_at, expires_at`;
// Reads skip customer_enc: less for PostgreSQL to send and for the driver to decode on every status call.
const READ_COLUMNS = COLUMNS.replace('customer_enc, ', '');

const QUALIFIED_COLUMNS = READ_COLUMNS.replace(/(\w+)/g, 'o.$1');

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
  return_url: string | null;
  status: OrderStatus;
  created_at: Date;
  updated_at: Date;
  expires_at: Date;
  pay_id: string | null;
  pay_method: string | null;
  pay_status: string | null;
  pay_bank_reference: string | null;
  pay_started_at: Date | null;
  pay_completed_at: Date | null;
}

function toOrder(r: RawOrder): StoredOrder {
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
    returnUrl: r.return_url,
    status: r.status,
    createdAt: r.created_at,
    updatedAt: r.updated_at,
    expiresAt: r.expires_at,
    payment:
      r.pay_id === null || r.pay_id === undefined
        ? null
        : {
            id: r.pay_id,
            method: r.pay_method as string,
            status: r.pay_status as string,
            bankReference: r.pay_bank_reference,
            startedAt: r.pay_started_at as Date,
            completedAt: r.pay_completed_at,
          },
  };
}

const INSERT_COLUMN_LIST = `${COLUMNS}, customer_email_bidx, customer_phone_bidx`;
const INSERT_COLUMNS = 17;

function orderParams(o: OrderRow): unknown[] {
  return [
    o.id, o.merchantId, o.mode, o.orderRef, o.orderRefNumeric, o.amountMinor, o.currency, o.note,
    o.serviceType, o.customerEnc, o.returnUrl, o.status, o.createdAt, o.updatedAt, o.expiresAt,
    o.customerEmailBidx, o.customerPhoneBidx,
  ];
}

/**
 * One statement for many orders: inserts each unless its (merchant, mode,
 * order_ref) exists, including earlier in the same batch. Returns, per row,
 * whether it was inserted; a duplicate leaves the existing row untouched.
 */
export async function insertOrdersIfAbsent(db: Queryable, orders: readonly OrderRow[]): Promise<boolean[]> {
  if (orders.length === 0) return [];
  const rows = await db.query<{ id: string }>(
    `INSERT INTO orders (${INSERT_COLUMN_LIST})
     VALUES ${placeholders(orders.length, INSERT_COLUMNS)}
     ON CONFLICT (merchant_id, mode, order_ref) DO NOTHING
     RETURNING id`,
    orders.flatMap(orderParams),
  );
  const inserted = new Set(rows.map((r) => r.id));
  return orders.map((o) => inserted.has(o.id));
}

export interface OrderKey {
  merchantId: string;
  mode: Mode;
  orderRef: string;
}

const keyOf = (merchantId: string, mode: string, orderRef: string) => `${merchantId}\u0000${mode}\u0000${orderRef}`;

/** One statement for many look-ups by the merchant's order id; answers in the order asked. */
export async function findOrdersByRef(db: Queryable, keys: readonly OrderKey[]): Promise<(StoredOrder | undefined)[]> {
  if (keys.length === 0) return [];
  const rows = await db.query<RawOrder>(
    `SELECT ${QUALIFIED_COLUMNS}, p.id AS pay_id, p.method AS pay_method, p.status AS pay_status,
            p.bank_reference AS pay_bank_reference, p.started_at AS pay_started_at, p.completed_at AS pay_completed_at
       FROM (VALUES ${placeholders(keys.length, 3)}) AS k (merchant_id, mode, order_ref)
       JOIN orders o ON o.merchant_id = k.merchant_id AND o.mode = k.mode AND o.order_ref = k.order_ref
       LEFT JOIN LATERAL (
         SELECT id, method, status, bank_reference, started_at, completed_at FROM payment_attempts pa
          WHERE pa.order_id = o.id ORDER BY pa.started_at DESC, pa.id DESC LIMIT 1) p ON true`,
    keys.flatMap((k) => [k.merchantId, k.mode, k.orderRef]),
  );
  const found = new Map(rows.map((r) => [keyOf(r.merchant_id, r.mode, r.order_ref), toOrder(r)]));
  return keys.map((k) => found.get(keyOf(k.merchantId, k.mode, k.orderRef)));
}

export async function countOrders(db: Queryable): Promise<number> {
  const rows = await db.query<{ n: string | number }>('SELECT count(*) AS n FROM orders');
  return Number(rows[0]?.n ?? 0);
}

/**
 * Moves up to `limit` UN_PAID orders whose time is up to EXPIRED, in one
 * statement; SKIP LOCKED lets several processes sweep at once without
 * waiting on each other or expiring an order being paid right now. Returns
 * what their payment.expired events report.
 */
export async function expireDueOrders(db: Queryable, now: Date, limit: number): Promise<LockedOrder[]> {
  const rows = await db.query<Record<string, unknown>>(
    `UPDATE orders SET status = 'EXPIRED', updated_at = $1
      WHERE id IN (SELECT id FROM orders WHERE status = 'UN_PAID' AND expires_at <= $1 ORDER BY expires_at LIMIT $2 FOR UPDATE SKIP LOCKED)
      RETURNING ${SNAPSHOT_COLUMNS}`,
    [now, limit],
  );
  return rows.map(toLockedOrder);
}

/** Orders (alias o) with their latest payment attempt; callers add WHERE and ORDER BY. */
const ORDER_WITH_LATEST_PAYMENT = `SELECT ${QUALIFIED_COLUMNS}, p.id AS pay_id, p.method AS pay_method, p.status AS pay_status,
            p.bank_reference AS pay_bank_reference, p.started_at AS pay_started_at, p.completed_at AS pay_completed_at
       FROM orders o
       LEFT JOIN LATERAL (
         SELECT id, method, status, bank_reference, started_at, completed_at FROM payment_attempts pa
          WHERE pa.order_id = o.id ORDER BY pa.started_at DESC, pa.id DESC LIMIT 1) p ON true`;

/**
 * One order by Tijori's own id, with its latest payment attempt: for the
 * hosted checkout page, whose link names the order by id rather than by the
 * merchant's reference.
 */
export async function findOrderById(db: Queryable, id: string): Promise<StoredOrder | undefined> {
  const rows = await db.query<RawOrder>(
    `${ORDER_WITH_LATEST_PAYMENT}
      WHERE o.id = $1`,
    [id],
  );
  return rows[0] && toOrder(rows[0]);
}

/** A merchant's orders whose customer email (or phone) has this blind index, newest first. */
export async function findOrdersByCustomer(db: Queryable, merchantId: string, field: 'email' | 'phone', blindIndex: string, limit: number): Promise<StoredOrder[]> {
  const column = field === 'email' ? 'customer_email_bidx' : 'customer_phone_bidx';
  const rows = await db.query<RawOrder>(
    `${ORDER_WITH_LATEST_PAYMENT}
      WHERE o.merchant_id = $1 AND o.${column} = $2
      ORDER BY o.created_at DESC, o.id DESC LIMIT $3`,
    [merchantId, blindIndex, limit],
  );
  return rows.map(toOrder);
}

export interface OrderSearch {
  merchantId: string;
  mode: Mode;
  /** The merchant's own order_id, exactly. */
  orderRef?: string;
  /** The status as the status API reports it: an UN_PAID order past its time counts as EXPIRED, swept or not. */
  status?: OrderStatus;
  /** Orders created before this one (its gateway id): paging, newest first. */
  beforeId?: string;
  now: Date;
  limit: number;
}

/** A merchant's orders in one mode, newest first, with their latest payment attempt: the dashboard's order search. */
export async function searchOrders(db: Queryable, s: OrderSearch): Promise<StoredOrder[]> {
  const rows = await db.query<RawOrder>(
    `${ORDER_WITH_LATEST_PAYMENT}
      WHERE o.merchant_id = $1 AND o.mode = $2 AND ($3::text IS NULL OR o.order_ref = $3)
        AND ($4::text IS NULL
             OR ($4 = 'EXPIRED' AND (o.status = 'EXPIRED' OR (o.status = 'UN_PAID' AND o.expires_at <= $5)))
             OR ($4 = 'UN_PAID' AND o.status = 'UN_PAID' AND o.expires_at > $5)
             OR ($4 NOT IN ('EXPIRED', 'UN_PAID') AND o.status = $4))
        AND ($6::text IS NULL OR (o.created_at, o.id) < (SELECT b.created_at, b.id FROM orders b WHERE b.id = $6))
      ORDER BY o.created_at DESC, o.id DESC LIMIT $7`,
    [s.merchantId, s.mode, s.orderRef ?? null, s.status ?? null, s.now, s.beforeId ?? null, s.limit],
  );
  return rows.map(toOrder);
}
