import type { Queryable } from '../db.js';

export type SessionStage = 'totp' | 'enrol' | 'full';
export type DashboardRole = 'owner' | 'developer' | 'viewer';

export interface DashboardSessionRow {
  id: string;
  userId: string;
  merchantId: string;
  stage: SessionStage;
  createdAt: Date;
  lastSeenAt: Date;
  expiresAt: Date;
  elevatedUntil: Date | null;
  clientIp: string;
  userAgent: string;
  revokedAt: Date | null;
}

const COLUMNS = 'id, user_id, merchant_id, stage, created_at, last_seen_at, expires_at, elevated_until, client_ip, user_agent, revoked_at';

function toSession(r: Record<string, unknown>): DashboardSessionRow {
  return {
    id: r.id as string,
    userId: r.user_id as string,
    merchantId: r.merchant_id as string,
    stage: r.stage as SessionStage,
    createdAt: r.created_at as Date,
    lastSeenAt: r.last_seen_at as Date,
    expiresAt: r.expires_at as Date,
    elevatedUntil: (r.elevated_until as Date | null) ?? null,
    clientIp: r.client_ip as string,
    userAgent: r.user_agent as string,
    revokedAt: (r.revoked_at as Date | null) ?? null,
  };
}

export async function insertDashboardSession(
  db: Queryable,
  s: Omit<DashboardSessionRow, 'revokedAt' | 'lastSeenAt'> & { tokenHash: string },
): Promise<void> {
  await db.query(
    `INSERT INTO dashboard_sessions (id, token_hash, user_id, merchant_id, stage, created_at, last_seen_at, expires_at, elevated_until, client_ip, user_agent)
     VALUES ($1, $2, $3, $4, $5, $6, $6, $7, $8, $9, $10)`,
    [s.id, s.tokenHash, s.userId, s.merchantId, s.stage, s.createdAt, s.expiresAt, s.elevatedUntil, s.clientIp, s.userAgent],
  );
}

/** A session with what every dashboard request checks about its user and merchant, in one round trip. */
export interface SessionContextRow extends DashboardSessionRow {
  role: 'owner' | 'developer' | 'viewer';
  twoFactorEnabled: boolean;
  merchantActive: boolean;
  merchantRequires2fa: boolean;
}

export async function findDashboardSessionByTokenHash(db: Queryable, tokenHash: string): Promise<SessionContextRow | undefined> {
  const rows = await db.query<Record<string, unknown>>(
    `SELECT s.id, s.user_id, s.merchant_id, s.stage, s.created_at, s.last_seen_at, s.expires_at, s.elevated_until, s.client_ip, s.user_agent, s.revoked_at,
            u.role, u.totp_enabled_at IS NOT NULL AS two_factor_enabled, m.status = 'active' AS merchant_active, m.dashboard_require_2fa
     FROM dashboard_sessions s JOIN dashboard_users u ON u.id = s.user_id JOIN merchants m ON m.id = s.merchant_id
     WHERE s.token_hash = $1`,
    [tokenHash],
  );
  const r = rows[0];
  return (
    r && {
      ...toSession(r),
      role: r.role as SessionContextRow['role'],
      twoFactorEnabled: r.two_factor_enabled === true,
      merchantActive: r.merchant_active === true,
      merchantRequires2fa: r.dashboard_require_2fa === true,
    }
  );
}

export async function touchDashboardSession(db: Queryable, id: string, at: Date): Promise<void> {
  await db.query('UPDATE dashboard_sessions SET last_seen_at = $2 WHERE id = $1 AND revoked_at IS NULL', [id, at]);
}

export async function elevateDashboardSession(db: Queryable, id: string, until: Date): Promise<void> {
  await db.query('UPDATE dashboard_sessions SET elevated_until = $2 WHERE id = $1', [id, until]);
}

/** Revokes one of the user's sessions; false when the user has no such live session (another user's id included). */
export async function revokeDashboardSession(db: Queryable, userId: string, id: string, at: Date): Promise<boolean> {
  const rows = await db.query('UPDATE dashboard_sessions SET revoked_at = $3 WHERE id = $1 AND user_id = $2 AND revoked_at IS NULL RETURNING id', [id, userId, at]);
  return rows.length === 1;
}

/** Revokes every live session of the user except `keepId` (after a password change, say). */
export async function revokeOtherDashboardSessions(db: Queryable, userId: string, keepId: string | null, at: Date): Promise<void> {
  await db.query('UPDATE dashboard_sessions SET revoked_at = $3 WHERE user_id = $1 AND revoked_at IS NULL AND ($2::text IS NULL OR id <> $2)', [userId, keepId, at]);
}

/** The user's sessions still in force at `now` (not revoked, not past either timeout). */
export async function listLiveDashboardSessions(db: Queryable, userId: string, now: Date, idleSince: Date): Promise<DashboardSessionRow[]> {
  const rows = await db.query<Record<string, unknown>>(
    `SELECT ${COLUMNS} FROM dashboard_sessions
     WHERE user_id = $1 AND revoked_at IS NULL AND expires_at > $2 AND last_seen_at > $3
     ORDER BY created_at DESC, id`,
    [userId, now, idleSince],
  );
  return rows.map(toSession);
}

export async function deleteDeadDashboardSessions(db: Queryable, before: Date): Promise<void> {
  await db.query('DELETE FROM dashboard_sessions WHERE expires_at < $1 OR revoked_at < $1', [before]);
}
