// The rules every RateLimiter keeps, run on both back-ends. Rules that need
// time to move are in memory-rate-limiter.test.ts (whose clock the test
// controls) and redis-rate-limiter.test.ts (which cannot move Redis's clock).
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { Redis } from 'ioredis';
import { MemoryRateLimiter } from './memory-rate-limiter.js';
import type { RateLimitDecision, RateLimiter } from './rate-limiter.js';
import { RedisRateLimiter, rateLimitRedisOptions } from './redis-rate-limiter.js';

const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
const T0 = 1_800_000_000_000;
// Unique per run, so parallel test files and earlier runs never share a key.
const RUN = `test-${randomUUID()}`;
const TEN_PER_MINUTE = { limit: 10, periodSeconds: 60 };

function assertWellFormed(d: RateLimitDecision): void {
  for (const [name, value] of Object.entries(d)) {
    if (name === 'allowed') continue;
    assert.ok(Number.isInteger(value) && value >= 0, `${name} is a whole number >= 0, got ${value}`);
  }
  assert.ok(d.remaining <= d.limit, 'remaining never exceeds limit');
  if (d.allowed) assert.equal(d.retryAfterSeconds, 0);
  else {
    assert.ok(d.retryAfterSeconds >= 1, 'a refusal asks the client to wait at least a second');
    assert.equal(d.remaining, 0);
    assert.ok(d.retryAfterSeconds <= d.resetSeconds, 'one request returns no later than the whole bucket');
  }
}

async function take(limiter: RateLimiter, key: string, n: number, policy = TEN_PER_MINUTE): Promise<RateLimitDecision[]> {
  const out: RateLimitDecision[] = [];
  for (let i = 0; i < n; i++) out.push(await limiter.consume(key, policy, T0));
  return out;
}

function contract(backend: string, make: () => Promise<RateLimiter>): void {
  describe(`RateLimiter contract: ${backend}`, () => {
    let limiter: RateLimiter;
    let n = 0;
    const key = (): string => `${RUN}:${backend}:${n++}`;
    before(async () => {
      limiter = await make();
    });
    after(async () => {
      await limiter?.close?.();
    });

    it('allows a full burst, then refuses with retryAfter = the time until one request returns', async () => {
      const k = key();
      const burst = await take(limiter, k, 10);
      assert.ok(burst.every((d) => d.allowed));
      const refused = await limiter.consume(k, TEN_PER_MINUTE, T0);
      assert.equal(refused.allowed, false);
      assert.equal(refused.retryAfterSeconds, 6, '60 s / 10 requests');
      assert.equal(refused.resetSeconds, 60, 'the whole bucket takes the whole period');
      assertWellFormed(refused);
    });

    it('counts remaining down to zero while reset grows by one interval per request', async () => {
      const decisions = await take(limiter, key(), 10);
      assert.deepEqual(
        decisions.map((d) => d.remaining),
        [9, 8, 7, 6, 5, 4, 3, 2, 1, 0],
      );
      assert.deepEqual(
        decisions.map((d) => d.resetSeconds),
        [6, 12, 18, 24, 30, 36, 42, 48, 54, 60],
      );
      for (const d of decisions) {
        assert.equal(d.limit, 10);
        assertWellFormed(d);
      }
    });

    it('keeps a budget per key: exhausting one key leaves another untouched', async () => {
      const a = key();
      const b = key();
      await take(limiter, a, 11);
      const first = await limiter.consume(b, TEN_PER_MINUTE, T0);
      assert.equal(first.allowed, true);
      assert.equal(first.remaining, 9);
    });

    it('lets burst differ from the sustained rate', async () => {
      const policy = { limit: 100, periodSeconds: 60, burst: 3 };
      const decisions = await take(limiter, key(), 4, policy);
      assert.deepEqual(
        decisions.map((d) => [d.allowed, d.remaining, d.limit]),
        [
          [true, 2, 3],
          [true, 1, 3],
          [true, 0, 3],
          [false, 0, 3],
        ],
      );
      assert.equal(decisions[3]?.retryAfterSeconds, 1, '0.6 s rounds up to a whole second');
    });

    it('takes nothing for a refused request', async () => {
      const k = key();
      await take(limiter, k, 10);
      const refusals = await take(limiter, k, 5);
      assert.ok(refusals.every((d) => !d.allowed && d.retryAfterSeconds === 6 && d.resetSeconds === 60));
    });

    it('gives whole, consistent numbers for awkward rates', async () => {
      const policy = { limit: 7, periodSeconds: 3, burst: 2 };
      for (const d of await take(limiter, key(), 4, policy)) assertWellFormed(d);
    });

    it('refuses a malformed policy as a programmer error', async () => {
      await assert.rejects(limiter.consume(key(), { limit: 0, periodSeconds: 60 }, T0), RangeError);
      await assert.rejects(limiter.consume(key(), { limit: 10, periodSeconds: 60, burst: 1.5 }, T0), /burst must be a positive integer/);
    });
  });
}

contract('memory', async () => new MemoryRateLimiter());

contract('redis', async () => {
  // Fail, not skip, without Redis: a green run must mean the Redis path was tested.
  const probe = new Redis(REDIS_URL, { ...rateLimitRedisOptions(), lazyConnect: true, retryStrategy: () => null });
  let cause: Error | undefined;
  probe.on('error', (error: Error) => (cause ??= error));
  try {
    await probe.connect();
    await probe.ping();
  } catch (error) {
    throw new Error(
      `these tests need Redis at ${REDIS_URL} (REDIS_URL), which is not reachable (${(cause ?? (error as Error)).message}); ` +
        `start one with: redis-server --daemonize yes --bind 127.0.0.1 --port 6379 --save "" --appendonly no`,
    );
  } finally {
    probe.disconnect();
  }
  return new RedisRateLimiter(REDIS_URL);
});
