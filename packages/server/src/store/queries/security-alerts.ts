import type { Mode } from '../../lib/ids.js';
import type { Queryable } from '../db.js';

export type AlertSeverity = 'low' | 'medium' | 'high';

/** An alert as raised: what a flush writes (or adds to an alert already raised with the same dedupe key). */
export interface AlertCandidate {
  id: string;
  merchantId: string;
  mode: Mode;
  keyId: string | null;
  rule: string;
  severity: AlertSeverity;
  clientIp: string | null;
  summary: string;
  details: Record<string, unknown>;
  dedupeKey: string;
  occurrences: number;
  firstSeenAt: Date;
  lastSeenAt: Date;
}

export interface AlertRow extends AlertCandidate {
  acknowledgedAt: Date | null;
  acknowledgedNote: string | null;
}

const COLUMNS = 'id, merchant_id, mode, key_id, rule, severity, client_ip, summary, details, dedupe_key, occurrences, first_seen_at, last_seen_at, acknowledged_at, acknowledged_note';

function rowOf(r: Record<string, unknown>): AlertRow {
  const details = r.details;
  return {
    id: r.id as string,
    merchantId: r.merchant_id as string,
    mode: r.mode as Mode,
    keyId: (r.key_id as string | null) ?? null,
    rule: r.rule as string,
    severity: r.severity as AlertSeverity,
    clientIp: (r.client_ip as string | null) ?? null,
    summary: r.summary as string,
    // jsonb arrives parsed from both drivers; parse defensively should one hand over text.
    details: (typeof details === 'string' ? JSON.parse(details) : details) as Record<string, unknown>,
    dedupeKey: r.dedupe_key as string,
    occurrences: Number(r.occurrences),
    firstSeenAt: r.first_seen_at as Date,
    lastSeenAt: r.last_seen_at as Date,
    acknowledgedAt: (r.acknowledged_at as Date | null) ?? null,
    acknowledgedNote: (r.acknowledged_note as string | null) ?? null,
  };
}

/**
 * Writes a batch of alerts in one statement. A candidate whose dedupe key
 * already has an alert adds its occurrences to it; the rows returned are
 * the alerts this statement created, the only ones to announce.
 */
export async function upsertAlerts(db: Queryable, candidates: readonly AlertCandidate[]): Promise<AlertRow[]> {
  if (candidates.length === 0) return [];
  const params = candidates.flatMap((c) => [
    c.id,
    c.merchantId,
    c.mode,
    c.keyId,
    c.rule,
    c.severity,
    c.clientIp,
    c.summary,
    JSON.stringify(c.details),
    c.dedupeKey,
    c.occurrences,
    c.firstSeenAt,
    c.lastSeenAt,
  ]);
  // Typed in the tuples: both drivers then send each value as its column's type.
  const tuples = candidates.map((_, i) => {
    const n = (k: number) => `$${i * 13 + k}`;
    return `(${n(1)}, ${n(2)}, ${n(3)}, ${n(4)}, ${n(5)}, ${n(6)}, ${n(7)}, ${n(8)}, ${n(9)}::jsonb, ${n(10)}, ${n(11)}::bigint, ${n(12)}::timestamptz, ${n(13)}::timestamptz)`;
  });
  const rows = await db.query<Record<string, unknown>>(
    `INSERT INTO security_alerts AS a (id, merchant_id, mode, key_id, rule, severity, client_ip, summary, details, dedupe_key, occurrences, first_seen_at, last_seen_at)
     VALUES ${tuples.join(', ')}
     ON CONFLICT (dedupe_key) DO UPDATE SET
       occurrences = a.occurrences + EXCLUDED.occurrences,
       last_seen_at = GREATEST(a.last_seen_at, EXCLUDED.last_seen_at)
     RETURNING ${COLUMNS}, (xmax = 0) AS inserted`,
    params,
  );
  return rows.filter((r) => r.inserted === true).map(rowOf);
}

export interface AlertFilter {
  merchantId?: string;
  mode?: Mode;
  keyId?: string;
  rule?: string;
  /** open: not acknowledged yet. */
  state?: 'open' | 'acknowledged';
  /** Inclusive, on first_seen_at. */
  from?: Date;
  /** Exclusive, on first_seen_at. */
  to?: Date;
}

/** Newest first. */
export async function listAlerts(db: Queryable, filter: AlertFilter, limit: number): Promise<AlertRow[]> {
  const where: string[] = [];
  const params: unknown[] = [];
  const add = (sql: string, value: unknown) => {
    params.push(value);
    where.push(sql.replace('?', `$${params.length}`));
  };
  if (filter.merchantId !== undefined) add('merchant_id = ?', filter.merchantId);
  if (filter.mode !== undefined) add('mode = ?', filter.mode);
  if (filter.keyId !== undefined) add('key_id = ?', filter.keyId);
  if (filter.rule !== undefined) add('rule = ?', filter.rule);
  if (filter.from !== undefined) add('first_seen_at >= ?', filter.from);
  if (filter.to !== undefined) add('first_seen_at < ?', filter.to);
  if (filter.state === 'open') where.push('acknowledged_at IS NULL');
  if (filter.state === 'acknowledged') where.push('acknowledged_at IS NOT NULL');
  params.push(limit);
  const rows = await db.query<Record<string, unknown>>(
    `SELECT ${COLUMNS} FROM security_alerts ${where.length > 0 ? `WHERE ${where.join(' AND ')}` : ''}
      ORDER BY first_seen_at DESC, id DESC LIMIT $${params.length}`,
    params,
  );
  return rows.map(rowOf);
}

export async function findAlert(db: Queryable, id: string): Promise<AlertRow | undefined> {
  const rows = await db.query<Record<string, unknown>>(`SELECT ${COLUMNS} FROM security_alerts WHERE id = $1`, [id]);
  return rows[0] && rowOf(rows[0]);
}

/** Marks an alert seen; acknowledging twice keeps the first time and note. */
export async function acknowledgeAlert(db: Queryable, id: string, at: Date, note: string | null): Promise<AlertRow | undefined> {
  const rows = await db.query<Record<string, unknown>>(
    `UPDATE security_alerts SET acknowledged_at = COALESCE(acknowledged_at, $2), acknowledged_note = CASE WHEN acknowledged_at IS NULL THEN $3 ELSE acknowledged_note END
      WHERE id = $1 RETURNING ${COLUMNS}`,
    [id, at, note],
  );
  return rows[0] && rowOf(rows[0]);
}
