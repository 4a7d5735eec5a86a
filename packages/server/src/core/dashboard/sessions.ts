import { createHash, createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import type { Clock } from '../../lib/clock.js';
import { ID_PREFIX, newId } from '../../lib/ids.js';
import type { Queryable } from '../../store/db.js';
import {
  type DashboardSessionRow,
  deleteDeadDashboardSessions,
  elevateDashboardSession,
  findDashboardSessionByTokenHash,
  insertDashboardSession,
  revokeDashboardSession,
  type SessionContextRow,
  type SessionStage,
  touchDashboardSession,
} from '../../store/queries/dashboard-sessions.js';

export interface SessionPolicy {
  /** A session unused for this long is over. */
  idleMs: number;
  /** A session is over this long after sign-in, used or not. */
  absoluteMs: number;
}

/** How long a password or TOTP code typed again opens sensitive actions. */
export const ELEVATION_MS = 5 * 60_000;
// A half-finished sign-in (code awaited, or 2FA enrolment the merchant requires) lasts this long at most.
const PENDING_STAGE_MS = 10 * 60_000;
// last_seen_at is written at most this often: idle timeouts are minutes, so a write per request buys nothing.
const TOUCH_EVERY_MS = 30_000;
// 32 random bytes in base64url: what newToken makes, and nothing else is looked up.
const TOKEN = /^[A-Za-z0-9_-]{43}$/;

export interface IssuedSession {
  /** The cookie value: the only copy; the database keeps its SHA-256. */
  token: string;
  session: DashboardSessionRow;
}

export interface SessionStart {
  userId: string;
  merchantId: string;
  stage: SessionStage;
  clientIp: string;
  userAgent: string;
  /** The user has just proved their password or code: sensitive actions are open for ELEVATION_MS. */
  elevated: boolean;
  /** Keep this absolute expiry (a rotation within one sign-in) instead of starting a new one. */
  expiresAt?: Date;
}

function tokenHash(token: string): string {
  return createHash('sha256').update(token).digest('base64url');
}

/**
 * The CSRF token of a session: HMAC keyed by the session's own secret
 * token. Only the holder of the (HttpOnly) cookie value can compute it, so
 * another site can neither read nor forge it; it changes whenever the
 * session rotates, and the database, which holds only the token's hash,
 * cannot produce it either.
 */
export function csrfTokenFor(token: string): string {
  return createHmac('sha256', token).update('tijori-dashboard-csrf/v1').digest('base64url');
}

export function csrfTokenMatches(token: string, given: string | undefined): boolean {
  if (given === undefined) return false;
  const a = Buffer.from(csrfTokenFor(token));
  const b = Buffer.from(given);
  return a.length === b.length && timingSafeEqual(a, b);
}

/**
 * Server-side dashboard sessions: an opaque random token in the cookie, its
 * SHA-256 in the database (so a database read yields no live session), with
 * idle and absolute timeouts checked on every request, listable and
 * revocable, and a new token at every change of privilege (rotate).
 */
export class DashboardSessions {
  constructor(
    private readonly db: Queryable,
    private readonly clock: Clock,
    readonly policy: SessionPolicy,
  ) {}

  async create(start: SessionStart, tx: Queryable = this.db): Promise<IssuedSession> {
    const now = this.clock.nowMs();
    const token = randomBytes(32).toString('base64url');
    const stageLimit = start.stage === 'full' ? this.policy.absoluteMs : Math.min(PENDING_STAGE_MS, this.policy.absoluteMs);
    const expiresAt = start.expiresAt ?? new Date(now + stageLimit);
    const session: DashboardSessionRow = {
      id: newId(ID_PREFIX.dashboardSession),
      userId: start.userId,
      merchantId: start.merchantId,
      stage: start.stage,
      createdAt: new Date(now),
      lastSeenAt: new Date(now),
      expiresAt,
      elevatedUntil: start.elevated ? new Date(now + ELEVATION_MS) : null,
      clientIp: start.clientIp,
      userAgent: start.userAgent.slice(0, 512),
      revokedAt: null,
    };
    await insertDashboardSession(tx, { ...session, tokenHash: tokenHash(token) });
    return { token, session };
  }

  /**
   * Replaces a session with a new token (the old one stops working at once):
   * at each step of sign-in and whenever the session gains privilege, so a
   * token fixed or seen before the change is worth nothing after it.
   */
  async rotate(old: DashboardSessionRow, change: { stage: SessionStage; elevated: boolean; newExpiry: boolean }, tx: Queryable = this.db): Promise<IssuedSession> {
    await revokeDashboardSession(tx, old.userId, old.id, new Date(this.clock.nowMs()));
    return this.create(
      {
        userId: old.userId,
        merchantId: old.merchantId,
        stage: change.stage,
        clientIp: old.clientIp,
        userAgent: old.userAgent,
        elevated: change.elevated,
        ...(change.newExpiry ? {} : { expiresAt: old.expiresAt }),
      },
      tx,
    );
  }

  /** The live session a cookie value names, or undefined (unknown, revoked, idle too long, past its absolute expiry, or its merchant suspended). */
  async resolve(token: string): Promise<SessionContextRow | undefined> {
    if (!TOKEN.test(token)) return undefined;
    const session = await findDashboardSessionByTokenHash(this.db, tokenHash(token));
    const now = this.clock.nowMs();
    if (!session || session.revokedAt || !session.merchantActive) return undefined;
    if (session.expiresAt.getTime() <= now || session.lastSeenAt.getTime() + this.policy.idleMs <= now) return undefined;
    if (now - session.lastSeenAt.getTime() >= TOUCH_EVERY_MS) {
      await touchDashboardSession(this.db, session.id, new Date(now));
      session.lastSeenAt = new Date(now);
    }
    return session;
  }

  isElevated(session: DashboardSessionRow): boolean {
    return session.elevatedUntil !== null && session.elevatedUntil.getTime() > this.clock.nowMs();
  }

  async elevate(session: DashboardSessionRow): Promise<Date> {
    const until = new Date(this.clock.nowMs() + ELEVATION_MS);
    await elevateDashboardSession(this.db, session.id, until);
    return until;
  }

  /** Revokes one of the user's sessions; false when the user has no such live session. */
  revoke(userId: string, sessionId: string): Promise<boolean> {
    return revokeDashboardSession(this.db, userId, sessionId, new Date(this.clock.nowMs()));
  }

  /** Deletes sessions that ended more than a day ago. */
  prune(): Promise<void> {
    return deleteDeadDashboardSessions(this.db, new Date(this.clock.nowMs() - 86_400_000));
  }
}
