import { gcraDecision, gcraParams, gcraStep, msToUs } from './gcra.js';
import { type RateLimitDecision, type RateLimiter, type RateLimitPolicy, RateLimiterUnavailable } from './rate-limiter.js';

export interface MemoryRateLimiterOptions {
  /** Most keys remembered at once; default 100 000 (a few MB). */
  maxKeys?: number;
}

const DEFAULT_MAX_KEYS = 100_000;

/**
 * GCRA in a Map of key → TAT (µs). Single process only: each process keeps
 * its own budget, so N processes allow N times the rate; use RedisRateLimiter
 * when several share the traffic.
 *
 * Time comes only from `nowMs`, so tests move it by hand.
 *
 * Bounded: a key whose TAT has passed has a full bucket, exactly as if it had
 * never been seen, so forgetting it loses nothing. When a new key would take
 * the table past `maxKeys`, those keys are swept. If every key is still busy,
 * the new key is refused with RateLimiterUnavailable rather than forgetting a
 * busy key early, which would hand that client a fresh burst: a flood of new
 * keys must not reset the budgets of existing ones.
 */
export class MemoryRateLimiter implements RateLimiter {
  readonly #tats = new Map<string, number>();
  readonly #maxKeys: number;
  /** No TAT in the table is earlier than this: sweeping before then would free nothing, so a table full of busy keys costs O(1) per refusal, not O(n). */
  #nextSweepUs = Number.POSITIVE_INFINITY;

  constructor(options: MemoryRateLimiterOptions = {}) {
    const maxKeys = options.maxKeys ?? DEFAULT_MAX_KEYS;
    if (!Number.isSafeInteger(maxKeys) || maxKeys < 1) {
      throw new RangeError(`MemoryRateLimiter: maxKeys must be a positive integer, got ${maxKeys}`);
    }
    this.#maxKeys = maxKeys;
  }

  async consume(key: string, policy: RateLimitPolicy, nowMs: number): Promise<RateLimitDecision> {
    const params = gcraParams(policy);
    const nowUs = msToUs(nowMs);
    const stored = this.#tats.get(key);
    const step = gcraStep(stored, nowUs, params);
    if (step.allowed) {
      if (stored === undefined) {
        if (this.#tats.size >= this.#maxKeys) this.#makeRoom(nowUs);
        // A TAT only grows once stored, so the earliest one is always a new key's.
        this.#nextSweepUs = Math.min(this.#nextSweepUs, step.tatUs);
      }
      this.#tats.set(key, step.tatUs);
    }
    return gcraDecision(step.allowed, step.usedUs, params);
  }

  /** Keys currently remembered. */
  get size(): number {
    return this.#tats.size;
  }

  #makeRoom(nowUs: number): void {
    if (nowUs >= this.#nextSweepUs) {
      let earliest = Number.POSITIVE_INFINITY;
      for (const [key, tat] of this.#tats) {
        if (tat <= nowUs) this.#tats.delete(key);
        else if (tat < earliest) earliest = tat;
      }
      this.#nextSweepUs = earliest;
    }
    if (this.#tats.size >= this.#maxKeys) {
      throw new RateLimiterUnavailable(
        `in-memory rate limiter is full: ${this.#tats.size} keys are all mid-budget; raise maxKeys or use the Redis limiter`,
      );
    }
  }
}
