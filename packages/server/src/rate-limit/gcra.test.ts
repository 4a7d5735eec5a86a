import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { gcraDecision, gcraParams, gcraStep } from './gcra.js';

describe('gcra', () => {
  it('works in whole microseconds, rounding the interval', () => {
    assert.deepEqual(gcraParams({ limit: 3, periodSeconds: 1 }), { intervalUs: 333_333, capacityUs: 999_999, burst: 3 });
    assert.deepEqual(gcraParams({ limit: 10, periodSeconds: 60, burst: 2 }), { intervalUs: 6_000_000, capacityUs: 12_000_000, burst: 2 });
  });

  it('treats an unknown key and a TAT in the past alike: a full bucket', () => {
    const params = gcraParams({ limit: 10, periodSeconds: 60 });
    const now = 1_800_000_000_000_000;
    assert.deepEqual(gcraStep(undefined, now, params), gcraStep(now - 1, now, params));
  });

  it('refuses policies it cannot enforce, saying which field is wrong', () => {
    assert.throws(() => gcraParams({ limit: 0, periodSeconds: 60 }), /limit must be a positive integer/);
    assert.throws(() => gcraParams({ limit: 2.5, periodSeconds: 60 }), /limit must be a positive integer/);
    assert.throws(() => gcraParams({ limit: 10, periodSeconds: 0 }), /periodSeconds must be a positive number/);
    assert.throws(() => gcraParams({ limit: 10, periodSeconds: Number.NaN }), /periodSeconds/);
    assert.throws(() => gcraParams({ limit: 10, periodSeconds: 60, burst: 0 }), /burst must be a positive integer/);
    assert.throws(() => gcraParams({ limit: 10_000_000, periodSeconds: 1 }), /more than one request per microsecond/);
    assert.throws(() => gcraParams({ limit: 1, periodSeconds: 3e9, burst: 2 }), /over a century/);
  });

  it('never reports negative remaining when a shrunk policy leaves more in use than the bucket holds', () => {
    const params = gcraParams({ limit: 1, periodSeconds: 60 });
    const d = gcraDecision(false, 600_000_000, params);
    assert.equal(d.remaining, 0);
    assert.equal(d.retryAfterSeconds, 600, 'until one request fits again');
  });
});
