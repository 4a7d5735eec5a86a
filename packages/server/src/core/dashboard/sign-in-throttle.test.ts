import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { FREE_FAILURES, lockoutDelayMs, MAX_LOCKOUT_MS } from './sign-in-throttle.js';

describe('dashboard sign-in lockout', () => {
  it('lets the first five failures through without a wait', () => {
    for (let n = 0; n < FREE_FAILURES; n++) assert.equal(lockoutDelayMs(n), 0);
  });

  it('then waits 30 s, doubling with each failure', () => {
    assert.deepEqual([5, 6, 7, 8, 9].map(lockoutDelayMs), [30_000, 60_000, 120_000, 240_000, 480_000]);
  });

  it('never waits more than 15 minutes, however many failures', () => {
    assert.equal(MAX_LOCKOUT_MS, 900_000);
    for (const n of [10, 11, 50, 1000, 1e9]) assert.equal(lockoutDelayMs(n), MAX_LOCKOUT_MS);
  });
});
