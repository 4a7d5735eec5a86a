/**
 * Per-key request budgets, enforced with GCRA (see gcra.ts). `consume` is
 * atomic check-and-take: of several concurrent calls on a key with one
 * request left, exactly one is allowed.
 *
 * In-process by default (MemoryRateLimiter); RedisRateLimiter shares one
 * budget across every process that points at the same Redis.
 */

export interface RateLimitPolicy {
  /** Sustained rate: `limit` requests per `periodSeconds`. A positive integer. */
  limit: number;
  /** Positive; may be fractional (0.5 = half a second). */
  periodSeconds: number;
  /**
   * How many requests may arrive at once when the key has been idle: the
   * bucket size. A positive integer; defaults to `limit`.
   */
  burst?: number;
}

export interface RateLimitDecision {
  allowed: boolean;
  /**
   * For RateLimit-Limit: the bucket size (`burst`, which defaults to the
   * policy's `limit`), so that `limit - remaining` is always the number in use.
   */
  limit: number;
  /** For RateLimit-Remaining: requests that would be allowed right now. Integer >= 0. */
  remaining: number;
  /** For RateLimit-Reset: whole seconds (rounded up) until the bucket is full again. 0 when it already is. */
  resetSeconds: number;
  /** For Retry-After: whole seconds (rounded up, at least 1) until one request returns; 0 when allowed. */
  retryAfterSeconds: number;
}

export interface RateLimiter {
  /**
   * Atomically takes one request from `key`'s budget. A refused request takes
   * nothing. `nowMs` is the caller's clock (Unix milliseconds); a shared store
   * may use its own clock instead, so that processes agree (RedisRateLimiter).
   *
   * Rejects with RateLimiterUnavailable when the store cannot answer, and with
   * TypeError/RangeError for a malformed policy (programmer error).
   */
  consume(key: string, policy: RateLimitPolicy, nowMs: number): Promise<RateLimitDecision>;
  close?(): Promise<void>;
}

/**
 * The store cannot answer (Redis down or slow, memory table full of active
 * keys). The limiter does not choose between failing open and failing closed:
 * the caller does, per route.
 */
export class RateLimiterUnavailable extends Error {
  override name = 'RateLimiterUnavailable';
}
