import type { RateLimiter } from '../rate-limit/rate-limiter.js';

/**
 * Limits failed authentications per client address, so a flood of bad
 * signatures or made-up keys is turned away before it costs a key lookup or
 * an HMAC. Each failure takes from the address's budget (shared across
 * processes when the limiter is Redis); once refused, this process turns the
 * address away until its Retry-After has passed.
 */
export class AuthFailureGuard {
  readonly #blockedUntil = new Map<string, number>();

  constructor(
    private readonly limiter: RateLimiter,
    private readonly perMinute: number,
  ) {}

  /** Seconds the address must still wait, or 0. */
  retryAfterSeconds(ip: string, nowMs: number): number {
    const until = this.#blockedUntil.get(ip);
    if (until === undefined) return 0;
    if (until <= nowMs) {
      this.#blockedUntil.delete(ip);
      return 0;
    }
    return Math.ceil((until - nowMs) / 1000);
  }

  async recordFailure(ip: string, nowMs: number): Promise<void> {
    const decision = await this.limiter.consume(`authfail:${ip}`, { limit: this.perMinute, periodSeconds: 60 }, nowMs);
    if (!decision.allowed) {
      // Bounded: a spray of addresses cannot grow this beyond what the limiter tracks.
      if (this.#blockedUntil.size > 100_000) this.#blockedUntil.clear();
      this.#blockedUntil.set(ip, nowMs + decision.retryAfterSeconds * 1000);
    }
  }
}
