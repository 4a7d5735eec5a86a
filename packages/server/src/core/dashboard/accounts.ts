import { randomBytes } from 'node:crypto';
import type { ErrorCode } from '../../errors/catalogue.js';
import type { Clock } from '../../lib/clock.js';
import { ID_PREFIX, newId } from '../../lib/ids.js';
import type { Db, Queryable } from '../../store/db.js';
import type { DashboardSessionRow } from '../../store/queries/dashboard-sessions.js';
import { revokeOtherDashboardSessions } from '../../store/queries/dashboard-sessions.js';
import {
  countOwners,
  type DashboardRole,
  type DashboardUserRow,
  disableTotp,
  enableTotp,
  findDashboardUser,
  findDashboardUserByEmailIndex,
  findDashboardUserForUpdate,
  insertDashboardUser,
  listDashboardUsers,
  merchantRequires2fa,
  recordTotpStep,
  replaceRecoveryCodes,
  setDashboardUserPassword,
  setDashboardUserRole,
  setMerchantRequires2fa,
  setPendingTotpSecret,
  useRecoveryCode,
} from '../../store/queries/dashboard-users.js';
import { findMerchant } from '../../store/queries/merchants.js';
import type { Keyring } from '../keyring.js';
import { createMerchant } from '../merchants.js';
import { PASSWORD_PROBLEM_TEXT, type PasswordHasher, passwordProblem } from './passwords.js';
import { hashRecoveryCode, looksLikeRecoveryCode, newRecoveryCodes } from './recovery-codes.js';
import type { DashboardSessions, IssuedSession } from './sessions.js';
import type { SignInThrottle } from './sign-in-throttle.js';
import { checkTotp, newTotpSecret, qrCodeDataUri, totpUri } from './totp.js';

/** An expected refusal: a catalogued code, and what the reply may add. */
export interface AccountFailure {
  ok: false;
  code: ErrorCode;
  message?: string;
  retryAfterSeconds?: number;
  details?: Record<string, unknown>;
}

type Result<T> = ({ ok: true } & T) | AccountFailure;

function fail(code: ErrorCode, extra: Omit<AccountFailure, 'ok' | 'code'> = {}): AccountFailure {
  return { ok: false, code, ...extra };
}

export interface Caller {
  clientIp: string;
  userAgent: string;
}

export interface DashboardAccountsDeps {
  db: Db;
  keyring: Keyring;
  clock: Clock;
  hasher: PasswordHasher;
  throttle: SignInThrottle;
  sessions: DashboardSessions;
}

const emailContext = (userId: string) => `dashboard_users.email_enc:${userId}`;
const totpContext = (userId: string) => `dashboard_users.totp_secret_enc:${userId}`;

/** A signed-in user as the dashboard shows it. */
export interface UserView {
  id: string;
  email: string;
  role: DashboardRole;
  two_factor_enabled: boolean;
  created_at: string;
}

/**
 * Dashboard accounts: merchant users, their passwords and second factor,
 * and the sign-in steps that issue sessions. Expected refusals are values
 * (AccountFailure); the HTTP layer turns them into catalogued errors.
 */
export class DashboardAccounts {
  readonly #db: Db;
  readonly #keyring: Keyring;
  readonly #clock: Clock;
  readonly #hasher: PasswordHasher;
  readonly #throttle: SignInThrottle;
  readonly sessions: DashboardSessions;

  constructor(deps: DashboardAccountsDeps) {
    this.#db = deps.db;
    this.#keyring = deps.keyring;
    this.#clock = deps.clock;
    this.#hasher = deps.hasher;
    this.#throttle = deps.throttle;
    this.sessions = deps.sessions;
  }

  #now(): Date {
    return new Date(this.#clock.nowMs());
  }

  async #insertUser(tx: Queryable, merchantId: string, email: string, role: DashboardRole, passwordHash: string): Promise<string | undefined> {
    const id = newId(ID_PREFIX.dashboardUser);
    const inserted = await insertDashboardUser(tx, {
      id,
      merchantId,
      emailEnc: await this.#keyring.seal({ merchantId }, email.trim(), emailContext(id), tx),
      emailBidx: this.#keyring.userEmailIndex(email),
      role,
      passwordHash,
      createdAt: this.#now(),
    });
    return inserted ? id : undefined;
  }

  /**
   * Creates a merchant (with its first sandbox API key, as the CLI does) and
   * its owner, and signs the owner in. An email that already has an account
   * is refused (email_taken): without sending mail, sign-up cannot hide
   * which emails exist, so it is throttled per address like sign-in.
   */
  async signUp(input: { merchantName: string; email: string; password: string }, caller: Caller): Promise<Result<{ issued: IssuedSession }>> {
    const bidx = this.#keyring.userEmailIndex(input.email);
    const wait = await this.#throttle.retryAfterSeconds(caller.clientIp, bidx);
    if (wait > 0) return fail('sign_in_throttled', { retryAfterSeconds: wait });
    const problem = passwordProblem(input.password, input.email);
    if (problem) return fail('weak_password', { message: PASSWORD_PROBLEM_TEXT[problem], details: { reason: problem } });
    if (await findDashboardUserByEmailIndex(this.#db, bidx)) {
      // Counted like a failed sign-in, so sign-up is no faster a way to test which emails exist.
      await this.#throttle.recordFailure(caller.clientIp, bidx);
      return fail('email_taken');
    }
    const passwordHash = await this.#hasher.hash(input.password);
    const merchant = await createMerchant(this.#db, this.#keyring, this.#clock, { name: input.merchantName, mode: 'test' });
    const userId = await this.#db.transaction((tx) => this.#insertUser(tx, merchant.merchantId, input.email, 'owner', passwordHash));
    // A race with another sign-up for the same email: the merchant stays, unused and without users.
    if (!userId) return fail('email_taken');
    const issued = await this.sessions.create({ userId, merchantId: merchant.merchantId, stage: 'full', elevated: true, ...caller });
    return { ok: true, issued };
  }

  /**
   * First sign-in step. Unknown email and wrong password get the same
   * refusal after the same work (a dummy argon2 check), and both count
   * against the address and the email's lockout. A password that is right
   * for an account with 2FA issues a session that can only take the code.
   */
  async signIn(input: { email: string; password: string }, caller: Caller): Promise<Result<{ issued: IssuedSession }>> {
    const bidx = this.#keyring.userEmailIndex(input.email);
    const wait = await this.#throttle.retryAfterSeconds(caller.clientIp, bidx);
    if (wait > 0) return fail('sign_in_throttled', { retryAfterSeconds: wait });
    const user = await findDashboardUserByEmailIndex(this.#db, bidx);
    const passwordOk = user ? await this.#hasher.verify(user.passwordHash, input.password) : await this.#hasher.verifyNobody(input.password);
    if (!user || !passwordOk) {
      await this.#throttle.recordFailure(caller.clientIp, bidx);
      return fail('invalid_credentials');
    }
    const merchant = await findMerchant(this.#db, user.merchantId);
    if (merchant?.status !== 'active') return fail('merchant_suspended');
    if (user.totpEnabledAt) {
      // The count is not cleared yet: the password alone must not reset the lockout that also guards the code.
      const issued = await this.sessions.create({ userId: user.id, merchantId: user.merchantId, stage: 'totp', elevated: false, ...caller });
      return { ok: true, issued };
    }
    await this.#throttle.recordSuccess(bidx);
    const stage = (await merchantRequires2fa(this.#db, user.merchantId)) ? 'enrol' : 'full';
    const issued = await this.sessions.create({ userId: user.id, merchantId: user.merchantId, stage, elevated: true, ...caller });
    return { ok: true, issued };
  }

  /** Checks a TOTP code (never one of an already used time step) or a one-time recovery code, counting failures like passwords. */
  async #checkSecondFactor(userId: string, code: string, clientIp: string): Promise<Result<{ user: DashboardUserRow }>> {
    const user = await findDashboardUser(this.#db, userId);
    if (!user?.totpEnabledAt || !user.totpSecretEnc) return fail('two_factor_not_enrolled');
    const wait = await this.#throttle.retryAfterSeconds(clientIp, user.emailBidx);
    if (wait > 0) return fail('sign_in_throttled', { retryAfterSeconds: wait });
    const accepted = await this.#db.transaction(async (tx) => {
      const locked = await findDashboardUserForUpdate(tx, userId);
      if (!locked?.totpSecretEnc) return false;
      if (looksLikeRecoveryCode(code)) return useRecoveryCode(tx, userId, hashRecoveryCode(code), this.#now());
      const secret = await this.#keyring.unseal(locked.totpSecretEnc, totpContext(userId), tx);
      const check = await checkTotp(secret, code.trim(), this.#clock.nowMs(), locked.totpLastStep);
      if (check.ok) await recordTotpStep(tx, userId, check.step);
      return check.ok;
    });
    if (!accepted) {
      await this.#throttle.recordFailure(clientIp, user.emailBidx);
      return fail('invalid_second_factor');
    }
    return { ok: true, user };
  }

  /** Second sign-in step: the code completes the sign-in with a new session (new token, new expiry). */
  async completeSignIn(session: DashboardSessionRow, code: string, caller: Caller): Promise<Result<{ issued: IssuedSession }>> {
    const checked = await this.#checkSecondFactor(session.userId, code, caller.clientIp);
    if (!checked.ok) return checked;
    await this.#throttle.recordSuccess(checked.user.emailBidx);
    const issued = await this.sessions.rotate(session, { stage: 'full', elevated: true, newExpiry: true });
    return { ok: true, issued };
  }

  /** Re-authentication for sensitive actions: the password, or a current TOTP code; opens them for five minutes on a new session token. */
  async reauthenticate(session: DashboardSessionRow, input: { password?: string; code?: string }, caller: Caller): Promise<Result<{ issued: IssuedSession }>> {
    const user = await findDashboardUser(this.#db, session.userId);
    if (!user) return fail('dashboard_sign_in_required');
    if (input.code !== undefined) {
      const checked = await this.#checkSecondFactor(user.id, input.code, caller.clientIp);
      if (!checked.ok) return checked;
    } else {
      const wait = await this.#throttle.retryAfterSeconds(caller.clientIp, user.emailBidx);
      if (wait > 0) return fail('sign_in_throttled', { retryAfterSeconds: wait });
      if (!(await this.#hasher.verify(user.passwordHash, input.password ?? ''))) {
        await this.#throttle.recordFailure(caller.clientIp, user.emailBidx);
        return fail('invalid_credentials');
      }
    }
    const issued = await this.sessions.rotate(session, { stage: session.stage, elevated: true, newExpiry: false });
    return { ok: true, issued };
  }

  /** Starts (or restarts) TOTP enrolment: a new secret, not in force until a first code confirms it. */
  async enrolTotp(session: DashboardSessionRow): Promise<Result<{ secret: string; otpauthUri: string; qrCode: string }>> {
    const user = await findDashboardUser(this.#db, session.userId);
    if (!user) return fail('dashboard_sign_in_required');
    if (user.totpEnabledAt) return fail('two_factor_already_enabled');
    const secret = newTotpSecret();
    await setPendingTotpSecret(this.#db, user.id, await this.#keyring.seal({ merchantId: user.merchantId }, secret, totpContext(user.id)), this.#now());
    const email = await this.#email(user);
    const otpauthUri = totpUri(secret, email);
    return { ok: true, secret, otpauthUri, qrCode: await qrCodeDataUri(otpauthUri) };
  }

  /**
   * Confirms enrolment with a first code: 2FA is on from now, ten recovery
   * codes are issued (returned once, stored hashed), and the session rotates
   * (a session in the enrol stage becomes a full one).
   */
  async confirmTotp(session: DashboardSessionRow, code: string): Promise<Result<{ recoveryCodes: string[]; issued: IssuedSession }>> {
    const codes = newRecoveryCodes();
    const outcome = await this.#db.transaction(async (tx): Promise<Result<{ issued: IssuedSession }>> => {
      const user = await findDashboardUserForUpdate(tx, session.userId);
      if (!user) return fail('dashboard_sign_in_required');
      if (user.totpEnabledAt) return fail('two_factor_already_enabled');
      if (!user.totpSecretEnc) return fail('two_factor_not_enrolled');
      const secret = await this.#keyring.unseal(user.totpSecretEnc, totpContext(user.id), tx);
      const check = await checkTotp(secret, code.trim(), this.#clock.nowMs(), null);
      if (!check.ok) return fail('invalid_second_factor');
      await enableTotp(tx, user.id, check.step, this.#now());
      await replaceRecoveryCodes(tx, user.id, codes.map(hashRecoveryCode));
      const issued = await this.sessions.rotate(session, { stage: 'full', elevated: true, newExpiry: session.stage !== 'full' }, tx);
      return { ok: true, issued };
    });
    return outcome.ok ? { ok: true, issued: outcome.issued, recoveryCodes: codes } : outcome;
  }

  /** Turns 2FA off (the caller has re-authenticated); refused while the merchant requires it. */
  async disableTotp(session: DashboardSessionRow): Promise<Result<object>> {
    const user = await findDashboardUser(this.#db, session.userId);
    if (!user?.totpEnabledAt) return fail('two_factor_not_enrolled');
    if (await merchantRequires2fa(this.#db, user.merchantId)) return fail('two_factor_required_by_merchant');
    await this.#db.transaction((tx) => disableTotp(tx, user.id, this.#now()));
    return { ok: true };
  }

  /** Changes the user's password: the current one is needed, every other session of the user ends, this one rotates. */
  async changePassword(session: DashboardSessionRow, input: { currentPassword: string; newPassword: string }, caller: Caller): Promise<Result<{ issued: IssuedSession }>> {
    const user = await findDashboardUser(this.#db, session.userId);
    if (!user) return fail('dashboard_sign_in_required');
    const wait = await this.#throttle.retryAfterSeconds(caller.clientIp, user.emailBidx);
    if (wait > 0) return fail('sign_in_throttled', { retryAfterSeconds: wait });
    if (!(await this.#hasher.verify(user.passwordHash, input.currentPassword))) {
      await this.#throttle.recordFailure(caller.clientIp, user.emailBidx);
      return fail('invalid_credentials');
    }
    const problem = passwordProblem(input.newPassword, await this.#email(user));
    if (problem) return fail('weak_password', { message: PASSWORD_PROBLEM_TEXT[problem], details: { reason: problem } });
    const hash = await this.#hasher.hash(input.newPassword);
    const issued = await this.#db.transaction(async (tx) => {
      await setDashboardUserPassword(tx, user.id, hash, this.#now());
      await revokeOtherDashboardSessions(tx, user.id, session.id, this.#now());
      return this.sessions.rotate(session, { stage: session.stage, elevated: true, newExpiry: false }, tx);
    });
    return { ok: true, issued };
  }

  /**
   * An owner adds a user to their merchant. No mail is sent: the reply
   * carries a random initial password (shown once) for the owner to pass on;
   * the user changes it after signing in.
   */
  async addUser(merchantId: string, input: { email: string; role: DashboardRole }): Promise<Result<{ user: UserView; initialPassword: string }>> {
    const initialPassword = randomBytes(18).toString('base64url');
    const hash = await this.#hasher.hash(initialPassword);
    const id = await this.#db.transaction((tx) => this.#insertUser(tx, merchantId, input.email, input.role, hash));
    if (!id) return fail('email_taken');
    const user = await findDashboardUser(this.#db, id);
    if (!user) throw new Error(`user ${id} vanished after insert`);
    return { ok: true, user: await this.view(user), initialPassword };
  }

  /** An owner changes a user's role; the merchant always keeps an owner. The new role applies to the user's sessions at their next request. */
  async changeRole(merchantId: string, userId: string, role: DashboardRole): Promise<Result<{ user: UserView }>> {
    const outcome = await this.#db.transaction(async (tx): Promise<Result<{ user: DashboardUserRow }>> => {
      const user = await findDashboardUserForUpdate(tx, userId);
      // Another merchant's user is, to this caller, no user at all.
      if (!user || user.merchantId !== merchantId) return fail('user_not_found');
      if (user.role === 'owner' && role !== 'owner' && (await countOwners(tx, merchantId)) <= 1) return fail('last_owner');
      await setDashboardUserRole(tx, userId, role, this.#now());
      return { ok: true, user: { ...user, role } };
    });
    return outcome.ok ? { ok: true, user: await this.view(outcome.user) } : outcome;
  }

  async listUsers(merchantId: string): Promise<UserView[]> {
    const users = await listDashboardUsers(this.#db, merchantId);
    return Promise.all(users.map((u) => this.view(u)));
  }

  findUser(userId: string): Promise<DashboardUserRow | undefined> {
    return findDashboardUser(this.#db, userId);
  }

  merchantRequires2fa(merchantId: string): Promise<boolean> {
    return merchantRequires2fa(this.#db, merchantId);
  }

  setMerchantRequires2fa(merchantId: string, required: boolean): Promise<void> {
    return setMerchantRequires2fa(this.#db, merchantId, required);
  }

  #email(user: DashboardUserRow): Promise<string> {
    return this.#keyring.unseal(user.emailEnc, emailContext(user.id));
  }

  async view(user: DashboardUserRow): Promise<UserView> {
    return { id: user.id, email: await this.#email(user), role: user.role, two_factor_enabled: user.totpEnabledAt !== null, created_at: user.createdAt.toISOString() };
  }
}
