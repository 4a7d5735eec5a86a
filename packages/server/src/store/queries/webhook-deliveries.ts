import type { Mode } from '../../lib/ids.js';
import type { Queryable } from '../db.js';
import { placeholders } from '../sql-placeholders.js';
import type { OrderStatus } from './orders.js';

export interface NewEvent {
  id: string;
  merchantId: string;
  mode: Mode;
  type: string;
  orderId: string | null;
  /** Canonical JSON: every attempt sends exactly these bytes. */
  payload: string;
  createdAt: Date;
}

/** Notified (at commit) when deliveries are enqueued, so every process's dispatcher looks at once. Identical notifications in one transaction fold into one. */
export const WEBHOOK_WAKE_CHANNEL = 'tijori_webhook_due';

export type DeliveryStatus = 'pending' | 'delivered' | 'failed';

/**
 * The part of a statement that writes events and one pending delivery for
 * each enabled endpoint of the merchant (same mode) subscribed to the
 * event's type, and one queued copy for each open listener (`tijori
 * listen`) that wants it: CTEs `ev`, `d`, `l` and `woken` (one row per
 * delivery or queued copy; id null for the latter), parameters numbered
 * after `after`.
 * Delivery ids come from gen_random_uuid(): the endpoints are only known
 * inside the statement.
 */
function eventCtes(count: number, after: number): string {
  return `ev AS (
       INSERT INTO webhook_events (id, merchant_id, mode, type, order_id, payload, created_at)
       VALUES ${placeholders(count, 7, after)}
       RETURNING id, merchant_id, mode, type, created_at),
     d AS (
       INSERT INTO webhook_deliveries (id, event_id, endpoint_id, status, attempt_count, next_attempt_at, created_at, updated_at)
       SELECT 'whd_' || replace(gen_random_uuid()::text, '-', ''), ev.id, ep.id, 'pending', 0, ev.created_at, ev.created_at, ev.created_at
         FROM ev JOIN webhook_endpoints ep
           ON ep.merchant_id = ev.merchant_id AND ep.mode = ev.mode AND ep.enabled AND ev.type = ANY (ep.events)
       RETURNING id),
     l AS (
       INSERT INTO webhook_listener_events (listener_id, event_id, queued_at)
       SELECT wl.id, ev.id, ev.created_at
         FROM ev JOIN webhook_listeners wl
           ON wl.merchant_id = ev.merchant_id AND wl.mode = ev.mode AND wl.closed_at IS NULL
          AND wl.seen_at > ev.created_at - interval '${LISTENER_IDLE_MINUTES} minutes' AND ev.type = ANY (wl.events)
       RETURNING listener_id),
     woken AS (SELECT id FROM d UNION ALL SELECT NULL FROM l)`;
}

/** A listener (\`tijori listen\`) not polled for this long gets no new events. */
export const LISTENER_IDLE_MINUTES = 10;

const eventParams = (events: readonly NewEvent[]) => events.flatMap((e) => [e.id, e.merchantId, e.mode, e.type, e.orderId, e.payload, e.createdAt]);

/**
 * Writes events and their deliveries in one round trip, including the
 * wake-up notification. Called inside the transaction that makes the change
 * the events report, so they commit or roll back with it.
 */
export async function enqueueEvents(db: Queryable, events: readonly NewEvent[]): Promise<number> {
  if (events.length === 0) return 0;
  const rows = await db.query<{ id: string | null }>(
    `WITH ${eventCtes(events.length, 0)}
     SELECT woken.id, pg_notify('${WEBHOOK_WAKE_CHANNEL}', '') FROM woken`,
    eventParams(events),
  );
  return rows.filter((r) => r.id !== null).length;
}

/**
 * Sets an order's status and enqueues the events that report it, in one
 * statement: the event costs the state change no extra round trip.
 */
export async function setOrderStatusWithEvents(db: Queryable, orderId: string, status: OrderStatus, at: Date, events: readonly NewEvent[]): Promise<void> {
  await db.query(
    `WITH o AS (UPDATE orders SET status = $1, updated_at = $2 WHERE id = $3 RETURNING id),
     ${eventCtes(events.length, 3)}
     SELECT woken.id, pg_notify('${WEBHOOK_WAKE_CHANNEL}', '') FROM woken`,
    [status, at, orderId, ...eventParams(events)],
  );
}

export interface ClaimedDelivery {
  id: string;
  eventId: string;
  endpointId: string;
  /** 1 for the first attempt of a run. */
  attemptNumber: number;
  eventType: string;
  payload: string;
  url: string;
  mode: Mode;
  /** The endpoint's current failing run, so that a success after a success needs no write. */
  failingSince: Date | null;
}

/** Attempts this dispatcher has in flight for one endpoint. */
export interface EndpointInFlight {
  endpointId: string;
  inFlight: number;
}

/**
 * Claims up to `limit` due deliveries of enabled endpoints for one attempt
 * each: pushes their due time to `leaseUntil` and counts the attempt, in
 * one statement. SKIP LOCKED lets several dispatchers claim at once without
 * taking the same row; the lease means a dispatcher that dies mid-attempt
 * only delays that delivery (another claims it when the lease ends).
 *
 * At most `perEndpoint` attempts per endpoint, counting those the caller has
 * in flight (`busy`): an endpoint that hangs (or has a long backlog) holds
 * only that many of the dispatcher's slots, and the others go to the rest.
 * Endpoints already at the cap are skipped by the scan itself, so their
 * backlog does not fill the batch in place of others' deliveries.
 */
export async function claimDueDeliveries(
  db: Queryable,
  now: Date,
  leaseUntil: Date,
  limit: number,
  perEndpoint: number = Number.MAX_SAFE_INTEGER,
  busy: readonly EndpointInFlight[] = [],
): Promise<ClaimedDelivery[]> {
  const rows = await db.query<Record<string, unknown>>(
    `WITH busy AS (
       SELECT * FROM unnest($4::text[], $5::int[]) AS b(endpoint_id, in_flight)),
     candidates AS (
       SELECT d.id, d.endpoint_id, d.next_attempt_at FROM webhook_deliveries d JOIN webhook_endpoints ep ON ep.id = d.endpoint_id
        WHERE d.status = 'pending' AND d.next_attempt_at <= $1 AND ep.enabled
          AND NOT EXISTS (SELECT 1 FROM busy WHERE busy.endpoint_id = d.endpoint_id AND busy.in_flight >= $6)
        ORDER BY d.next_attempt_at LIMIT $3
        FOR UPDATE OF d SKIP LOCKED),
     due AS (
       SELECT r.id FROM (
         SELECT c.id, row_number() OVER (PARTITION BY c.endpoint_id ORDER BY c.next_attempt_at, c.id) + coalesce(b.in_flight, 0) AS nth
           FROM candidates c LEFT JOIN busy b ON b.endpoint_id = c.endpoint_id) r
        WHERE r.nth <= $6),
     claimed AS (
       UPDATE webhook_deliveries d SET attempt_count = d.attempt_count + 1, next_attempt_at = $2, updated_at = $1
         FROM due WHERE d.id = due.id
       RETURNING d.id, d.event_id, d.endpoint_id, d.attempt_count)
     SELECT c.id, c.event_id, c.endpoint_id, c.attempt_count, e.type, e.payload, e.mode, ep.url, ep.failing_since
       FROM claimed c JOIN webhook_events e ON e.id = c.event_id JOIN webhook_endpoints ep ON ep.id = c.endpoint_id`,
    [now, leaseUntil, limit, busy.map((b) => b.endpointId), busy.map((b) => b.inFlight), Math.min(perEndpoint, 2_147_483_647)],
  );
  return rows.map((r) => ({
    id: r.id as string,
    eventId: r.event_id as string,
    endpointId: r.endpoint_id as string,
    attemptNumber: Number(r.attempt_count),
    eventType: r.type as string,
    payload: r.payload as string,
    url: r.url as string,
    mode: r.mode as Mode,
    failingSince: (r.failing_since as Date | null) ?? null,
  }));
}

export interface AttemptRecord {
  id: string;
  deliveryId: string;
  attemptNumber: number;
  attemptedAt: Date;
  statusCode: number | null;
  errorCode: string | null;
  latencyMs: number;
  responseBody: string | null;
}

/**
 * Records an attempt and moves its delivery on, in one statement. The
 * delivery is updated only if it is still in the run and attempt this
 * dispatcher claimed (a resend, or another dispatcher after a lost lease,
 * may have moved it since); the attempt itself is recorded either way.
 */
export async function recordAttempt(
  db: Queryable,
  a: AttemptRecord,
  next: { status: DeliveryStatus; nextAttemptAt: Date; deliveredAt: Date | null },
): Promise<void> {
  await db.query(
    `WITH attempt AS (
       INSERT INTO webhook_attempts (id, delivery_id, attempt_number, attempted_at, status_code, error_code, latency_ms, response_body)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8))
     UPDATE webhook_deliveries SET status = $9, next_attempt_at = $10, delivered_at = $11,
            last_status_code = $5, last_error = $6, updated_at = $4
      WHERE id = $2 AND attempt_count = $3 AND status = 'pending'`,
    [a.id, a.deliveryId, a.attemptNumber, a.attemptedAt, a.statusCode, a.errorCode, a.latencyMs, a.responseBody, next.status, next.nextAttemptAt, next.deliveredAt],
  );
}

/**
 * Starts a new run of attempts for an event: every enabled endpoint now
 * subscribed to it gets a pending delivery due at once (an existing one is
 * reset, keeping its attempt history). Returns the delivery ids.
 */
export async function resendEvent(db: Queryable, eventId: string, now: Date): Promise<string[]> {
  const rows = await db.query<{ id: string }>(
    `WITH r AS (
       INSERT INTO webhook_deliveries (id, event_id, endpoint_id, status, attempt_count, next_attempt_at, created_at, updated_at)
       SELECT 'whd_' || replace(gen_random_uuid()::text, '-', ''), e.id, ep.id, 'pending', 0, $2, $2, $2
         FROM webhook_events e JOIN webhook_endpoints ep
           ON ep.merchant_id = e.merchant_id AND ep.mode = e.mode AND ep.enabled AND e.type = ANY (ep.events)
        WHERE e.id = $1
       ON CONFLICT (event_id, endpoint_id) DO UPDATE
          SET status = 'pending', attempt_count = 0, next_attempt_at = $2, updated_at = $2, delivered_at = NULL
       RETURNING id)
     SELECT r.id, pg_notify('${WEBHOOK_WAKE_CHANNEL}', '') FROM r`,
    [eventId, now],
  );
  return rows.map((r) => r.id);
}

/** An event as stored: exactly what was enqueued. */
export type EventRow = NewEvent;

function toEvent(r: Record<string, unknown>): EventRow {
  return {
    id: r.id as string,
    merchantId: r.merchant_id as string,
    mode: r.mode as Mode,
    type: r.type as string,
    orderId: (r.order_id as string | null) ?? null,
    payload: r.payload as string,
    createdAt: r.created_at as Date,
  };
}

export async function findEvent(db: Queryable, id: string): Promise<EventRow | undefined> {
  const rows = await db.query<Record<string, unknown>>('SELECT id, merchant_id, mode, type, order_id, payload, created_at FROM webhook_events WHERE id = $1', [id]);
  return rows[0] && toEvent(rows[0]);
}

/** Newest first; `before` pages backwards by creation time. */
export async function listEvents(db: Queryable, merchantId: string, filter: { type?: string; orderId?: string; before?: Date; limit: number }): Promise<EventRow[]> {
  const rows = await db.query<Record<string, unknown>>(
    `SELECT id, merchant_id, mode, type, order_id, payload, created_at FROM webhook_events
      WHERE merchant_id = $1 AND ($2::text IS NULL OR type = $2) AND ($3::text IS NULL OR order_id = $3) AND ($4::timestamptz IS NULL OR created_at < $4)
      ORDER BY created_at DESC, id DESC LIMIT $5`,
    [merchantId, filter.type ?? null, filter.orderId ?? null, filter.before ?? null, filter.limit],
  );
  return rows.map(toEvent);
}

export interface DeliveryRow {
  id: string;
  eventId: string;
  eventType: string;
  endpointId: string;
  merchantId: string;
  mode: Mode;
  orderId: string | null;
  status: DeliveryStatus;
  attemptCount: number;
  nextAttemptAt: Date;
  lastStatusCode: number | null;
  lastError: string | null;
  deliveredAt: Date | null;
  createdAt: Date;
}

const DELIVERY_COLUMNS = `d.id, d.event_id, e.type, d.endpoint_id, e.merchant_id, e.mode, e.order_id, d.status, d.attempt_count, d.next_attempt_at,
  d.last_status_code, d.last_error, d.delivered_at, d.created_at`;

function toDelivery(r: Record<string, unknown>): DeliveryRow {
  return {
    id: r.id as string,
    eventId: r.event_id as string,
    eventType: r.type as string,
    endpointId: r.endpoint_id as string,
    merchantId: r.merchant_id as string,
    mode: r.mode as Mode,
    orderId: (r.order_id as string | null) ?? null,
    status: r.status as DeliveryStatus,
    attemptCount: Number(r.attempt_count),
    nextAttemptAt: r.next_attempt_at as Date,
    lastStatusCode: r.last_status_code === null || r.last_status_code === undefined ? null : Number(r.last_status_code),
    lastError: (r.last_error as string | null) ?? null,
    deliveredAt: (r.delivered_at as Date | null) ?? null,
    createdAt: r.created_at as Date,
  };
}

export async function findDelivery(db: Queryable, id: string): Promise<DeliveryRow | undefined> {
  const rows = await db.query<Record<string, unknown>>(
    `SELECT ${DELIVERY_COLUMNS} FROM webhook_deliveries d JOIN webhook_events e ON e.id = d.event_id WHERE d.id = $1`,
    [id],
  );
  return rows[0] && toDelivery(rows[0]);
}

export interface DeliveryFilter {
  /** Only events of this mode (the merchant API sees its key's mode only). */
  mode?: Mode;
  endpointId?: string;
  eventId?: string;
  orderId?: string;
  status?: DeliveryStatus;
  limit: number;
}

/** Newest first. */
export async function listDeliveries(db: Queryable, merchantId: string, filter: DeliveryFilter): Promise<DeliveryRow[]> {
  const rows = await db.query<Record<string, unknown>>(
    `SELECT ${DELIVERY_COLUMNS} FROM webhook_deliveries d JOIN webhook_events e ON e.id = d.event_id
      WHERE e.merchant_id = $1 AND ($2::text IS NULL OR d.endpoint_id = $2) AND ($3::text IS NULL OR d.event_id = $3) AND ($4::text IS NULL OR d.status = $4)
        AND ($5::text IS NULL OR e.mode = $5) AND ($6::text IS NULL OR e.order_id = $6)
      ORDER BY d.created_at DESC, d.id DESC LIMIT $7`,
    [merchantId, filter.endpointId ?? null, filter.eventId ?? null, filter.status ?? null, filter.mode ?? null, filter.orderId ?? null, filter.limit],
  );
  return rows.map(toDelivery);
}

export async function listAttempts(db: Queryable, deliveryId: string): Promise<AttemptRecord[]> {
  const rows = await db.query<Record<string, unknown>>(
    `SELECT id, delivery_id, attempt_number, attempted_at, status_code, error_code, latency_ms, response_body
       FROM webhook_attempts WHERE delivery_id = $1 ORDER BY attempted_at, id`,
    [deliveryId],
  );
  return rows.map((r) => ({
    id: r.id as string,
    deliveryId: r.delivery_id as string,
    attemptNumber: Number(r.attempt_number),
    attemptedAt: r.attempted_at as Date,
    statusCode: r.status_code === null ? null : Number(r.status_code),
    errorCode: (r.error_code as string | null) ?? null,
    latencyMs: Number(r.latency_ms),
    responseBody: (r.response_body as string | null) ?? null,
  }));
}

/**
 * The queue at a glance, in one statement (read at each /metrics scrape):
 * every pending delivery, and those due now on an enabled endpoint, i.e.
 * what dispatchers would claim. An attempt in flight is pending but not due
 * (its lease moved next_attempt_at forward); a disabled endpoint's wait.
 */
export async function webhookQueueDepth(db: Queryable, now: Date): Promise<{ due: number; pending: number }> {
  const rows = await db.query<{ due: string | number; pending: string | number }>(
    `SELECT count(*) FILTER (WHERE d.next_attempt_at <= $1 AND ep.enabled) AS due, count(*) AS pending
       FROM webhook_deliveries d JOIN webhook_endpoints ep ON ep.id = d.endpoint_id
      WHERE d.status = 'pending'`,
    [now],
  );
  return { due: Number(rows[0]?.due ?? 0), pending: Number(rows[0]?.pending ?? 0) };
}
