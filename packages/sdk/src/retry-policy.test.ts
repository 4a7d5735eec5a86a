import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { backoffDelayMs, isRetryableStatus, RETRY_DEFAULTS, retryAfterMs } from './retry-policy.js';

describe('retry policy', () => {
  it('retries 429 and every 5xx, and no other status', () => {
    assert.deepEqual([200, 400, 401, 404, 409, 429, 500, 502, 503, 504].filter(isRetryableStatus), [429, 500, 502, 503, 504]);
  });

  it('doubles the wait per retry up to the cap, and jitters the upper half of each step', () => {
    const low = [1, 2, 3, 4, 5, 6].map((n) => backoffDelayMs(n, () => 0));
    const high = [1, 2, 3, 4, 5, 6].map((n) => backoffDelayMs(n, () => 0.999999));
    assert.deepEqual(low, [250, 500, 1000, 2000, 4000, 4000]);
    assert.deepEqual(high, [500, 1000, 2000, 4000, 8000, 8000]);
    assert.equal(Math.max(...high), RETRY_DEFAULTS.maxDelayMs);
  });

  it('reads Retry-After as seconds or as an HTTP date, and ignores what is neither', () => {
    const now = Date.parse('2026-11-24T10:00:00Z');
    assert.equal(retryAfterMs('7', now), 7000);
    assert.equal(retryAfterMs(' 0 ', now), 0);
    assert.equal(retryAfterMs('Tue, 24 Nov 2026 10:00:30 GMT', now), 30_000);
    assert.equal(retryAfterMs('Tue, 24 Nov 2026 09:00:00 GMT', now), 0);
    for (const bad of [null, '', '-1', '1.5', 'soon', '12345678901']) assert.equal(retryAfterMs(bad, now), undefined, String(bad));
  });
});
