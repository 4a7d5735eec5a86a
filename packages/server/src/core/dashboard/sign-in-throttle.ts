import type { Clock } from '../../lib/clock.js';
import type { RateLimiter } from '../../rate-limit/rate-limiter.js';
import type { Queryable } from '../../store/db.js';
import { addSignInFailure, clearSignInFailures, deleteStaleSignInFailures, findSignInFailures } from '../../store/queries/dashboard-users.js';

/** Failures allowed before an account makes callers wait. */
export const FREE_FAILURES = 5;
const FIRST_DELAY_MS = 30_000;
/** The longest an account ever makes anyone wait: the bound on locking a victim out. */
export const MAX_LOCKOUT_MS = 15 * 60_000;
// A day without failures and the count starts again.
const FAILURE_MEMORY_MS = 86_400_000;

/**
 * How long an account refuses sign-ins after `failures` consecutive
 * failures: nothing for the first five, then 30 s doubling with each further
 * failure, never more than 15 minutes. Attempts refused while waiting are
 * not counted, so the wait cannot be pushed past the cap: an attacker can
 * slow a victim down (one guess per 15 minutes at worst) but never lock them
 * out, and the wait alone opens nothing (the password, and the TOTP code when
 * enabled, are still needed).
 */
export function lockoutDelayMs(failures: number): number {
  if (failures < FREE_FAILURES) return 0;
  return Math.min(MAX_LOCKOUT_MS, FIRST_DELAY_MS * 2 ** (failures - FREE_FAILURES));
}

export interface SignInThrottleOptions {
  /** Failed sign-ins a client address may make per hour (GCRA, bursts up to the same number). */
  failuresPerHourPerIp: number;
}

/**
 * Throttles dashboard sign-in failures twice: per client address (the rate
 * limiter, so shared through Redis when configured) against password
 * spraying across many accounts, and per account (the database, across
 * processes) against guessing one account's password from many addresses.
 * The account is named by its email's blind index, whether or not an account
 * has that email: the throttle answers the same for unknown emails, so it
 * reveals nothing about which exist.
 */
export class SignInThrottle {
  readonly #ipBlockedUntil = new Map<string, number>();

  constructor(
    private readonly db: Queryable,
    private readonly limiter: RateLimiter,
    private readonly clock: Clock,
    private readonly options: SignInThrottleOptions,
  ) {}

  /** Seconds the caller must wait before this attempt is even looked at, or 0. */
  async retryAfterSeconds(ip: string, emailBidx: string): Promise<number> {
    const now = this.clock.nowMs();
    let waitMs = 0;
    const ipUntil = this.#ipBlockedUntil.get(ip);
    if (ipUntil !== undefined) {
      if (ipUntil <= now) this.#ipBlockedUntil.delete(ip);
      else waitMs = ipUntil - now;
    }
    const account = await findSignInFailures(this.db, emailBidx);
    if (account && account.lastFailedAt.getTime() > now - FAILURE_MEMORY_MS) {
      waitMs = Math.max(waitMs, account.lastFailedAt.getTime() + lockoutDelayMs(account.failures) - now);
    }
    return waitMs > 0 ? Math.ceil(waitMs / 1000) : 0;
  }

  /** Counts a failed password or second-factor code against both the address and the account. */
  async recordFailure(ip: string, emailBidx: string): Promise<void> {
    const now = this.clock.nowMs();
    const decision = await this.limiter.consume(`dashboard-sign-in:${ip}`, { limit: this.options.failuresPerHourPerIp, periodSeconds: 3600 }, now);
    if (!decision.allowed) {
      // Bounded: a spray of addresses cannot grow this beyond what the limiter tracks.
      if (this.#ipBlockedUntil.size > 100_000) this.#ipBlockedUntil.clear();
      this.#ipBlockedUntil.set(ip, now + decision.retryAfterSeconds * 1000);
    }
    await addSignInFailure(this.db, emailBidx, new Date(now), new Date(now - FAILURE_MEMORY_MS));
  }

  /** A successful sign-in clears the account's count (not the address's: one good account does not excuse a spray). */
  async recordSuccess(emailBidx: string): Promise<void> {
    await clearSignInFailures(this.db, emailBidx);
  }

  /** Drops counts older than a day (made-up emails leave rows behind). */
  async prune(): Promise<void> {
    await deleteStaleSignInFailures(this.db, new Date(this.clock.nowMs() - FAILURE_MEMORY_MS));
  }
}
