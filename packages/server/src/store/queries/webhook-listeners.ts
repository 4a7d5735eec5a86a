import type { Mode } from '../../lib/ids.js';
import type { Queryable } from '../db.js';

export interface ListenerRow {
  id: string;
  merchantId: string;
  mode: Mode;
  keyId: string;
  events: string[];
  createdAt: Date;
  seenAt: Date;
  closedAt: Date | null;
}

export interface QueuedEvent {
  eventId: string;
  type: string;
  /** Canonical JSON, exactly what a webhook delivery of this event sends. */
  payload: string;
  createdAt: Date;
}

function rowOf(r: Record<string, unknown>): ListenerRow {
  return {
    id: r.id as string,
    merchantId: r.merchant_id as string,
    mode: r.mode as Mode,
    keyId: r.key_id as string,
    events: r.events as string[],
    createdAt: r.created_at as Date,
    seenAt: r.seen_at as Date,
    closedAt: (r.closed_at as Date | null) ?? null,
  };
}

export async function insertListener(db: Queryable, l: Omit<ListenerRow, 'closedAt' | 'seenAt'>): Promise<void> {
  await db.query('INSERT INTO webhook_listeners (id, merchant_id, mode, key_id, events, created_at, seen_at) VALUES ($1, $2, $3, $4, $5::text[], $6, $6)', [
    l.id,
    l.merchantId,
    l.mode,
    l.keyId,
    l.events,
    l.createdAt,
  ]);
}

/**
 * One poll's bookkeeping, in one statement: the listener is marked seen
 * (and closed, if asked), the acknowledged events leave its queue, and the
 * listener is returned if it exists, belongs to `keyId` and was open.
 */
export async function touchListener(db: Queryable, id: string, keyId: string, at: Date, ack: readonly string[], close: boolean): Promise<ListenerRow | undefined> {
  const rows = await db.query<Record<string, unknown>>(
    `WITH acked AS (DELETE FROM webhook_listener_events WHERE listener_id = $1 AND event_id = ANY ($4::text[])
                     AND EXISTS (SELECT 1 FROM webhook_listeners WHERE id = $1 AND key_id = $2))
     UPDATE webhook_listeners SET seen_at = $3::timestamptz, closed_at = CASE WHEN $5::boolean THEN $3::timestamptz ELSE NULL END
      WHERE id = $1 AND key_id = $2 AND closed_at IS NULL
     RETURNING id, merchant_id, mode, key_id, events, created_at, seen_at, closed_at`,
    [id, keyId, at, ack, close],
  );
  return rows[0] && rowOf(rows[0]);
}

/** The oldest events queued for a listener, up to `limit`. */
export async function queuedEvents(db: Queryable, listenerId: string, limit: number): Promise<QueuedEvent[]> {
  const rows = await db.query<Record<string, unknown>>(
    `SELECT e.id, e.type, e.payload, e.created_at FROM webhook_listener_events q JOIN webhook_events e ON e.id = q.event_id
      WHERE q.listener_id = $1 ORDER BY q.queued_at, e.id LIMIT $2`,
    [listenerId, limit],
  );
  return rows.map((r) => ({ eventId: r.id as string, type: r.type as string, payload: r.payload as string, createdAt: r.created_at as Date }));
}

/** Deletes listeners closed or not polled since `before`, with what was still queued for them. */
export async function deleteStaleListeners(db: Queryable, before: Date): Promise<number> {
  const rows = await db.query('DELETE FROM webhook_listeners WHERE seen_at < $1 OR closed_at < $1 RETURNING id', [before]);
  return rows.length;
}
