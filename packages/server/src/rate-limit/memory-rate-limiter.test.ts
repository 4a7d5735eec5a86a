import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { MemoryRateLimiter } from './memory-rate-limiter.js';
import { RateLimiterUnavailable } from './rate-limiter.js';

const T0 = 1_800_000_000_000;
const TEN_PER_MINUTE = { limit: 10, periodSeconds: 60 };
const ONE_PER_HOUR = { limit: 1, periodSeconds: 3600 };
const FAST = { limit: 100, periodSeconds: 1 }; // a key under this is full again 10 ms after one request

async function drain(limiter: MemoryRateLimiter, key: string, policy: typeof TEN_PER_MINUTE, nowMs: number): Promise<number> {
  let allowed = 0;
  while ((await limiter.consume(key, policy, nowMs)).allowed) allowed++;
  return allowed;
}

describe('MemoryRateLimiter', () => {
  it('returns requests at the sustained rate, one per interval', async () => {
    const limiter = new MemoryRateLimiter();
    assert.equal(await drain(limiter, 'k', TEN_PER_MINUTE, T0), 10);
    const early = await limiter.consume('k', TEN_PER_MINUTE, T0 + 5_999);
    assert.equal(early.allowed, false);
    assert.equal(early.retryAfterSeconds, 1, '1 ms rounds up to a whole second');
    const due = await limiter.consume('k', TEN_PER_MINUTE, T0 + 6_000);
    assert.equal(due.allowed, true);
    assert.equal(due.remaining, 0);
    assert.equal((await limiter.consume('k', TEN_PER_MINUTE, T0 + 6_000)).allowed, false, 'only one came back');
    assert.equal(await drain(limiter, 'k', TEN_PER_MINUTE, T0 + 30_000), 4, '24 s more = 4 intervals');
  });

  it('grants no second burst straight after the first, unlike a fixed window at its edge', async () => {
    const limiter = new MemoryRateLimiter();
    assert.equal(await drain(limiter, 'k', TEN_PER_MINUTE, T0 + 59_999), 10);
    assert.equal(await drain(limiter, 'k', TEN_PER_MINUTE, T0 + 60_001), 0);
  });

  it('fills the bucket no further than burst however long the key is idle', async () => {
    const limiter = new MemoryRateLimiter();
    await limiter.consume('k', TEN_PER_MINUTE, T0);
    const later = await limiter.consume('k', TEN_PER_MINUTE, T0 + 86_400_000);
    assert.equal(later.remaining, 9);
    assert.equal(await drain(limiter, 'k', TEN_PER_MINUTE, T0 + 86_400_000), 9);
  });

  it('reports reset as the time until the bucket is full again, shrinking as time passes', async () => {
    const limiter = new MemoryRateLimiter();
    await drain(limiter, 'k', TEN_PER_MINUTE, T0);
    assert.equal((await limiter.consume('k', TEN_PER_MINUTE, T0 + 20_500)).resetSeconds, 46, '60 - 20.5 + 6, rounded up');
  });

  it('handles an interval that is not a whole millisecond (3 per second)', async () => {
    const limiter = new MemoryRateLimiter();
    const policy = { limit: 3, periodSeconds: 1 };
    assert.equal(await drain(limiter, 'k', policy, T0), 3);
    assert.equal((await limiter.consume('k', policy, T0 + 333)).allowed, false);
    assert.equal((await limiter.consume('k', policy, T0 + 334)).allowed, true);
    assert.equal(await drain(limiter, 'k', policy, T0 + 1_334), 3, 'exactly three more a second later');
  });

  it('forgets only keys whose bucket is full again when it must make room', async () => {
    const limiter = new MemoryRateLimiter({ maxKeys: 3 });
    await limiter.consume('busy', ONE_PER_HOUR, T0);
    await limiter.consume('idle-1', FAST, T0);
    await limiter.consume('idle-2', FAST, T0);
    assert.equal(limiter.size, 3);
    await limiter.consume('new', FAST, T0 + 1_000);
    assert.equal(limiter.size, 2, 'both idle keys swept, busy and new kept');
    const busy = await limiter.consume('busy', ONE_PER_HOUR, T0 + 1_000);
    assert.equal(busy.allowed, false, 'the busy key still remembers its spent budget');
    assert.equal(busy.retryAfterSeconds, 3_599);
  });

  it('refuses a new key when every remembered key is busy, rather than forget one early', async () => {
    const limiter = new MemoryRateLimiter({ maxKeys: 2 });
    await limiter.consume('a', ONE_PER_HOUR, T0);
    await limiter.consume('b', FAST, T0);
    await assert.rejects(limiter.consume('c', FAST, T0 + 5), RateLimiterUnavailable);
    assert.equal((await limiter.consume('a', ONE_PER_HOUR, T0 + 5)).allowed, false, 'known keys are still judged');
    assert.equal((await limiter.consume('b', FAST, T0 + 5)).allowed, true);
    // b's bucket is full again 10 ms after its last request; then there is room.
    assert.equal((await limiter.consume('c', FAST, T0 + 20)).allowed, true);
    assert.equal((await limiter.consume('a', ONE_PER_HOUR, T0 + 20)).allowed, false, 'a was not forgotten');
  });

  it('refuses a bad maxKeys at construction', () => {
    assert.throws(() => new MemoryRateLimiter({ maxKeys: 0 }), /maxKeys must be a positive integer/);
  });
});
