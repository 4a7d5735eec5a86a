import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { DEFAULT_RETRY_SCHEDULE_SECONDS, MAX_RETRY_AFTER_SECONDS, parseRetrySchedule, retryDelayMs } from './retry-schedule.js';

describe('webhook retry schedule', () => {
  it('publishes ten attempts reaching about three days', () => {
    assert.equal(DEFAULT_RETRY_SCHEDULE_SECONDS.length + 1, 10);
    const total = DEFAULT_RETRY_SCHEDULE_SECONDS.reduce((a, b) => a + b, 0);
    assert.ok(total > 3 * 86400 && total < 3.5 * 86400, `total ${total} s`);
  });

  it('waits exactly the published delay when the jitter draws zero', () => {
    assert.deepEqual(
      DEFAULT_RETRY_SCHEDULE_SECONDS.map((_, i) => retryDelayMs(DEFAULT_RETRY_SCHEDULE_SECONDS, i + 1, () => 0)),
      DEFAULT_RETRY_SCHEDULE_SECONDS.map((s) => s * 1000),
    );
  });

  it('stretches a delay by at most 20 % and never shortens it', () => {
    assert.equal(retryDelayMs([100], 1, () => 0.999999), Math.round(100_000 * (1 + 0.2 * 0.999999)));
    assert.equal(retryDelayMs([100], 1, () => 0.5), 110_000);
  });

  it('has no next attempt after the last', () => {
    assert.equal(retryDelayMs(DEFAULT_RETRY_SCHEDULE_SECONDS, DEFAULT_RETRY_SCHEDULE_SECONDS.length + 1, () => 0), undefined);
  });

  it("honours a longer Retry-After, capped at a day, and ignores a shorter one", () => {
    assert.equal(retryDelayMs([5], 1, () => 0, 120), 120_000);
    assert.equal(retryDelayMs([300], 1, () => 0, 2), 300_000);
    assert.equal(retryDelayMs([5], 1, () => 0, 10 * 86400), MAX_RETRY_AFTER_SECONDS * 1000);
  });

  it('parses the configured form', () => {
    assert.deepEqual(parseRetrySchedule('5, 300,1800'), [5, 300, 1800]);
  });
});
