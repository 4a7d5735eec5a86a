import type { Queryable } from '../db.js';
import type { DashboardRole } from './dashboard-sessions.js';

export type { DashboardRole } from './dashboard-sessions.js';

export interface DashboardUserRow {
  id: string;
  merchantId: string;
  emailEnc: Uint8Array;
  emailBidx: string;
  role: DashboardRole;
  passwordHash: string;
  totpSecretEnc: Uint8Array | null;
  totpEnabledAt: Date | null;
  totpLastStep: number | null;
  createdAt: Date;
}

const COLUMNS = 'id, merchant_id, email_enc, email_bidx, role, password_hash, totp_secret_enc, totp_enabled_at, totp_last_step, created_at';

function toUser(r: Record<string, unknown>): DashboardUserRow {
  return {
    id: r.id as string,
    merchantId: r.merchant_id as string,
    emailEnc: r.email_enc as Uint8Array,
    emailBidx: r.email_bidx as string,
    role: r.role as DashboardRole,
    passwordHash: r.password_hash as string,
    totpSecretEnc: (r.totp_secret_enc as Uint8Array | null) ?? null,
    totpEnabledAt: (r.totp_enabled_at as Date | null) ?? null,
    totpLastStep: r.totp_last_step === null || r.totp_last_step === undefined ? null : Number(r.totp_last_step),
    createdAt: r.created_at as Date,
  };
}

/** Inserts a user; false when the email (its index) already has an account. */
export async function insertDashboardUser(
  db: Queryable,
  u: { id: string; merchantId: string; emailEnc: Uint8Array; emailBidx: string; role: DashboardRole; passwordHash: string; createdAt: Date },
): Promise<boolean> {
  const rows = await db.query(
    `INSERT INTO dashboard_users (id, merchant_id, email_enc, email_bidx, role, password_hash, created_at, updated_at)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $7) ON CONFLICT (email_bidx) DO NOTHING RETURNING id`,
    [u.id, u.merchantId, u.emailEnc, u.emailBidx, u.role, u.passwordHash, u.createdAt],
  );
  return rows.length === 1;
}

export async function findDashboardUserByEmailIndex(db: Queryable, emailBidx: string): Promise<DashboardUserRow | undefined> {
  const rows = await db.query<Record<string, unknown>>(`SELECT ${COLUMNS} FROM dashboard_users WHERE email_bidx = $1`, [emailBidx]);
  return rows[0] && toUser(rows[0]);
}

export async function findDashboardUser(db: Queryable, id: string): Promise<DashboardUserRow | undefined> {
  const rows = await db.query<Record<string, unknown>>(`SELECT ${COLUMNS} FROM dashboard_users WHERE id = $1`, [id]);
  return rows[0] && toUser(rows[0]);
}

/** Locks the row for the rest of the transaction: two TOTP codes checked at once cannot both pass the reuse check. */
export async function findDashboardUserForUpdate(db: Queryable, id: string): Promise<DashboardUserRow | undefined> {
  const rows = await db.query<Record<string, unknown>>(`SELECT ${COLUMNS} FROM dashboard_users WHERE id = $1 FOR UPDATE`, [id]);
  return rows[0] && toUser(rows[0]);
}

export async function listDashboardUsers(db: Queryable, merchantId: string): Promise<DashboardUserRow[]> {
  const rows = await db.query<Record<string, unknown>>(`SELECT ${COLUMNS} FROM dashboard_users WHERE merchant_id = $1 ORDER BY created_at, id`, [merchantId]);
  return rows.map(toUser);
}

export async function countOwners(db: Queryable, merchantId: string): Promise<number> {
  const rows = await db.query<{ n: string | number }>("SELECT count(*) AS n FROM dashboard_users WHERE merchant_id = $1 AND role = 'owner'", [merchantId]);
  return Number(rows[0]?.n ?? 0);
}

export async function setDashboardUserRole(db: Queryable, id: string, role: DashboardRole, at: Date): Promise<void> {
  await db.query('UPDATE dashboard_users SET role = $2, updated_at = $3 WHERE id = $1', [id, role, at]);
}

export async function setDashboardUserPassword(db: Queryable, id: string, passwordHash: string, at: Date): Promise<void> {
  await db.query('UPDATE dashboard_users SET password_hash = $2, updated_at = $3 WHERE id = $1', [id, passwordHash, at]);
}

/** A new, unconfirmed secret: not in force until confirmTotp. */
export async function setPendingTotpSecret(db: Queryable, id: string, secretEnc: Uint8Array, at: Date): Promise<void> {
  await db.query('UPDATE dashboard_users SET totp_secret_enc = $2, totp_enabled_at = NULL, totp_last_step = NULL, updated_at = $3 WHERE id = $1', [id, secretEnc, at]);
}

export async function enableTotp(db: Queryable, id: string, step: number, at: Date): Promise<void> {
  await db.query('UPDATE dashboard_users SET totp_enabled_at = $3, totp_last_step = $2, updated_at = $3 WHERE id = $1', [id, step, at]);
}

export async function recordTotpStep(db: Queryable, id: string, step: number): Promise<void> {
  await db.query('UPDATE dashboard_users SET totp_last_step = $2 WHERE id = $1', [id, step]);
}

export async function disableTotp(db: Queryable, id: string, at: Date): Promise<void> {
  await db.query('UPDATE dashboard_users SET totp_secret_enc = NULL, totp_enabled_at = NULL, totp_last_step = NULL, updated_at = $2 WHERE id = $1', [id, at]);
  await db.query('DELETE FROM dashboard_recovery_codes WHERE user_id = $1', [id]);
}

export async function replaceRecoveryCodes(db: Queryable, userId: string, codeHashes: readonly string[]): Promise<void> {
  await db.query('DELETE FROM dashboard_recovery_codes WHERE user_id = $1', [userId]);
  for (const hash of codeHashes) await db.query('INSERT INTO dashboard_recovery_codes (user_id, code_hash) VALUES ($1, $2)', [userId, hash]);
}

/** Marks an unused code used; true when it was one (so a code works once, even with two requests at once). */
export async function useRecoveryCode(db: Queryable, userId: string, codeHash: string, at: Date): Promise<boolean> {
  const rows = await db.query('UPDATE dashboard_recovery_codes SET used_at = $3 WHERE user_id = $1 AND code_hash = $2 AND used_at IS NULL RETURNING code_hash', [userId, codeHash, at]);
  return rows.length === 1;
}

export async function countUnusedRecoveryCodes(db: Queryable, userId: string): Promise<number> {
  const rows = await db.query<{ n: string | number }>('SELECT count(*) AS n FROM dashboard_recovery_codes WHERE user_id = $1 AND used_at IS NULL', [userId]);
  return Number(rows[0]?.n ?? 0);
}

export async function merchantRequires2fa(db: Queryable, merchantId: string): Promise<boolean> {
  const rows = await db.query<{ dashboard_require_2fa: boolean }>('SELECT dashboard_require_2fa FROM merchants WHERE id = $1', [merchantId]);
  return rows[0]?.dashboard_require_2fa ?? false;
}

export async function setMerchantRequires2fa(db: Queryable, merchantId: string, required: boolean): Promise<void> {
  await db.query('UPDATE merchants SET dashboard_require_2fa = $2 WHERE id = $1', [merchantId, required]);
}

export async function findSignInFailures(db: Queryable, emailBidx: string): Promise<{ failures: number; lastFailedAt: Date } | undefined> {
  const rows = await db.query<{ failures: number; last_failed_at: Date }>('SELECT failures, last_failed_at FROM dashboard_sign_in_failures WHERE email_bidx = $1', [emailBidx]);
  const r = rows[0];
  return r && { failures: Number(r.failures), lastFailedAt: r.last_failed_at };
}

/** Counts one more failure; a count older than `resetBefore` starts again from one. Returns the new count. */
export async function addSignInFailure(db: Queryable, emailBidx: string, at: Date, resetBefore: Date): Promise<number> {
  const rows = await db.query<{ failures: number }>(
    `INSERT INTO dashboard_sign_in_failures (email_bidx, failures, last_failed_at) VALUES ($1, 1, $2)
     ON CONFLICT (email_bidx) DO UPDATE SET
       failures = CASE WHEN dashboard_sign_in_failures.last_failed_at < $3 THEN 1 ELSE dashboard_sign_in_failures.failures + 1 END,
       last_failed_at = $2
     RETURNING failures`,
    [emailBidx, at, resetBefore],
  );
  return Number(rows[0]?.failures ?? 1);
}

export async function clearSignInFailures(db: Queryable, emailBidx: string): Promise<void> {
  await db.query('DELETE FROM dashboard_sign_in_failures WHERE email_bidx = $1', [emailBidx]);
}

/** Forgets counts nobody has added to for a while (a spray of made-up emails leaves rows behind). */
export async function deleteStaleSignInFailures(db: Queryable, before: Date): Promise<void> {
  await db.query('DELETE FROM dashboard_sign_in_failures WHERE last_failed_at < $1', [before]);
}
