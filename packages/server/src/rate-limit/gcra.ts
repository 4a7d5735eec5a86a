import type { RateLimitDecision, RateLimitPolicy } from './rate-limiter.js';

/*
 * GCRA, the generic cell rate algorithm: a token bucket kept as one number
 * per key, the theoretical arrival time (TAT). Each request pushes the TAT one
 * emission interval (period / limit) later; a request is refused if that would
 * put the TAT more than `burst` intervals ahead of now. Idle time refills the
 * bucket by itself because `now` catches up with the TAT; there is no counter
 * to reset and no timer.
 *
 * Written here, not taken from a library: rate-limiter-flexible and most Redis
 * limiters count fixed windows, which let a client spend a whole window's
 * budget at the end of one window and again at the start of the next, twice
 * the limit in a moment. GCRA never allows more than `burst` at once plus the
 * sustained rate. The arithmetic is a dozen lines, and the same lines run as a
 * Lua script inside Redis (redis-rate-limiter.ts), so both back-ends decide
 * alike.
 *
 * Units: whole microseconds throughout, so every value is an integer and the
 * arithmetic is exact in a double (and in Redis's Lua, whose numbers are
 * doubles): Unix time in µs is about 1.8e15, below 2^53 ≈ 9.0e15. The interval
 * is rounded to a whole microsecond; for 3 per second that is 333 333 µs, a
 * rate error of one part in a million.
 */

const US_PER_SECOND = 1_000_000;

export interface GcraParams {
  /** What one request costs, in µs: periodSeconds / limit. */
  intervalUs: number;
  /** How far ahead of now the TAT may run, in µs: burst × interval. */
  capacityUs: number;
  /** Bucket size, in requests. */
  burst: number;
}

/** Checks a policy and converts it to integer microseconds. Throws TypeError/RangeError: a bad policy is a programmer error. */
export function gcraParams(policy: RateLimitPolicy): GcraParams {
  const { limit, periodSeconds } = policy;
  const burst = policy.burst ?? limit;
  if (!Number.isSafeInteger(limit) || limit < 1) {
    throw new RangeError(`rate limit policy: limit must be a positive integer (requests per period), got ${limit}`);
  }
  if (!Number.isFinite(periodSeconds) || periodSeconds <= 0) {
    throw new RangeError(`rate limit policy: periodSeconds must be a positive number of seconds, got ${periodSeconds}`);
  }
  if (!Number.isSafeInteger(burst) || burst < 1) {
    throw new RangeError(`rate limit policy: burst must be a positive integer (requests at once), got ${burst}`);
  }
  const intervalUs = Math.round((periodSeconds * US_PER_SECOND) / limit);
  if (intervalUs < 1) {
    throw new RangeError(`rate limit policy: ${limit} per ${periodSeconds} s is more than one request per microsecond; lengthen the period`);
  }
  const capacityUs = burst * intervalUs;
  // now + capacity must stay below 2^53 µs to be exact; 2^52 µs is 142 years, now is about 2^50.7.
  if (capacityUs > 2 ** 52) {
    throw new RangeError(`rate limit policy: burst × period / limit is over a century; shorten the period or the burst`);
  }
  return { intervalUs, capacityUs, burst };
}

export interface GcraStep {
  allowed: boolean;
  /** The TAT to store when allowed; when refused, nothing changes. */
  tatUs: number;
  /** How much of the bucket is in use after this request, in µs: TAT − now. */
  usedUs: number;
}

/**
 * One GCRA step. `storedTatUs` is undefined for a key never seen or forgotten,
 * which means the same as a TAT in the past: a full bucket.
 * Mirrored line for line by the Lua script in redis-rate-limiter.ts.
 */
export function gcraStep(storedTatUs: number | undefined, nowUs: number, params: GcraParams): GcraStep {
  const tat = Math.max(storedTatUs ?? nowUs, nowUs);
  const next = tat + params.intervalUs;
  if (next - nowUs > params.capacityUs) return { allowed: false, tatUs: tat, usedUs: tat - nowUs };
  return { allowed: true, tatUs: next, usedUs: next - nowUs };
}

/** The caller-facing numbers, all whole: seconds round up so a client that waits that long is never refused for being early. */
export function gcraDecision(allowed: boolean, usedUs: number, params: GcraParams): RateLimitDecision {
  // Clamped: a policy shrunk while a key was busy can leave more in use than the new bucket holds.
  const remaining = Math.max(0, Math.floor((params.capacityUs - usedUs) / params.intervalUs));
  const resetSeconds = Math.max(0, Math.ceil(usedUs / US_PER_SECOND));
  const retryAfterSeconds = allowed
    ? 0
    : Math.max(1, Math.ceil((usedUs + params.intervalUs - params.capacityUs) / US_PER_SECOND));
  return { allowed, limit: params.burst, remaining, resetSeconds, retryAfterSeconds };
}

/** Caller milliseconds to whole microseconds. */
export function msToUs(nowMs: number): number {
  return Math.floor(nowMs * 1000);
}
