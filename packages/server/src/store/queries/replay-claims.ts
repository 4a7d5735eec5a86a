import type { Queryable } from '../db.js';

/** A process that had to fall back to PostgreSQL tells the others, which then check PostgreSQL too (replay/fallback-replay-store.ts). */
export const REPLAY_FALLBACK_CHANNEL = 'tijori_replay_fallback';

/** True when this call stored the claim; false when it was already there (a replay). Atomic: the primary key decides. */
export async function claimReplayDigest(db: Queryable, digest: Buffer, expiresAt: Date): Promise<boolean> {
  const rows = await db.query('INSERT INTO replay_claims (digest, expires_at) VALUES ($1, $2) ON CONFLICT (digest) DO NOTHING RETURNING 1 AS stored', [digest, expiresAt]);
  return rows.length === 1;
}

export async function deleteExpiredReplayClaims(db: Queryable, now: Date): Promise<number> {
  const rows = await db.query('DELETE FROM replay_claims WHERE expires_at < $1 RETURNING 1', [now]);
  return rows.length;
}

export async function announceReplayFallback(db: Queryable): Promise<void> {
  await db.query('SELECT pg_notify($1, $2)', [REPLAY_FALLBACK_CHANNEL, '']);
}
