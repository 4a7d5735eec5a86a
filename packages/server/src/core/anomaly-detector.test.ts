import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ManualClock } from '../lib/clock.js';
import { MemoryRateLimiter } from '../rate-limit/memory-rate-limiter.js';
import { AnomalyDetector, type AnomalyThresholds, type Observation, type RequestOutcome } from './anomaly-detector.js';

const THRESHOLDS: AnomalyThresholds = {
  signatureFailures: 5,
  signatureFailureWindowSeconds: 60,
  repeatSeconds: 3600,
  newAddress: true,
  rateSpikeFactor: 4,
  rateSpikeMinPerMinute: 20,
  rateBaselineMinutes: 3,
};

const KEY = { keyId: 'key_aaaaaaaaaaaaaaaaaaaaaaaa', apiKey: 'pk_test_0123456789abcdef01234567', merchantId: 'mer_bbbbbbbbbbbbbbbbbbbbbbbb', mode: 'test' as const };
const OTHER_KEY = { ...KEY, keyId: 'key_cccccccccccccccccccccccc', apiKey: 'pk_test_fedcba9876543210fedcba98' };

function setup(thresholds: Partial<AnomalyThresholds> = {}, known: Record<string, string[]> = {}) {
  const clock = new ManualClock(Date.UTC(2026, 10, 24, 10, 0, 0));
  const raised: Observation[] = [];
  const errors: unknown[] = [];
  let lookups = 0;
  const detector = new AnomalyDetector(
    { ...THRESHOLDS, ...thresholds },
    {
      clock,
      limiter: new MemoryRateLimiter(),
      knownAddresses: async (keyId) => {
        lookups++;
        return known[keyId] ?? [];
      },
      raise: (o) => raised.push(o),
      onError: (err) => errors.push(err),
    },
  );
  // Lets the detector's pending promises (limiter, address look-ups) settle.
  const settle = () => new Promise<void>((resolve) => setImmediate(resolve));
  return { clock, raised, errors, detector, settle, lookups: () => lookups };
}

const ok = (over: Partial<RequestOutcome> = {}): RequestOutcome => ({ key: KEY, clientIp: '203.0.113.7', authenticated: true, errorCode: null, outsideAllowlist: false, ...over });
const refused = (errorCode: string, over: Partial<RequestOutcome> = {}): RequestOutcome => ok({ authenticated: false, errorCode, ...over });

describe('anomaly rules', () => {
  describe('signature_failures: a burst of wrong signatures for one key', () => {
    it('raises nothing below the threshold, and an alert at the threshold', async () => {
      const { detector, raised, settle } = setup({}, { [KEY.keyId]: ['203.0.113.7'] });
      for (let i = 0; i < 4; i++) detector.observe(refused('invalid_signature'));
      await settle();
      assert.equal(raised.length, 0);
      detector.observe(refused('invalid_signature'));
      await settle();
      assert.equal(raised.length, 1);
      const alert = raised[0] as Observation;
      assert.equal(alert.rule, 'signature_failures');
      assert.equal(alert.severity, 'high');
      assert.equal(alert.keyId, KEY.keyId);
      assert.equal(alert.merchantId, KEY.merchantId);
      assert.match(alert.summary, /5 or more requests with a wrong signature for pk_test_0123456789abcdef01234567 within 60 s/);
    });

    it('counts malformed signatures and secrets past their roll overlap, not other refusals', async () => {
      const { detector, raised, settle } = setup({ signatureFailures: 3 });
      detector.observe(refused('malformed_signature'));
      detector.observe(refused('rotated_secret_expired'));
      detector.observe(refused('timestamp_outside_window'));
      detector.observe(refused('replayed_request'));
      await settle();
      assert.equal(raised.length, 0);
      detector.observe(refused('invalid_signature'));
      await settle();
      assert.equal(raised.length, 1);
    });

    it('forgets failures spread thinly over time: the window refills', async () => {
      const { detector, raised, settle, clock } = setup();
      for (let i = 0; i < 12; i++) {
        detector.observe(refused('invalid_signature'));
        clock.advanceSeconds(20);
      }
      await settle();
      assert.equal(raised.length, 0);
    });

    it('counts each key separately', async () => {
      const { detector, raised, settle } = setup();
      for (let i = 0; i < 4; i++) {
        detector.observe(refused('invalid_signature'));
        detector.observe(refused('invalid_signature', { key: OTHER_KEY }));
      }
      await settle();
      assert.equal(raised.length, 0);
    });

    it('keeps raising the same dedupe key while the burst goes on within one repeat window, and a new one after it', async () => {
      const { detector, raised, settle, clock } = setup();
      for (let i = 0; i < 8; i++) detector.observe(refused('invalid_signature'));
      await settle();
      assert.equal(raised.length, 4);
      assert.equal(new Set(raised.map((o) => o.dedupeKey)).size, 1);
      clock.advanceSeconds(3600);
      for (let i = 0; i < 5; i++) detector.observe(refused('invalid_signature'));
      await settle();
      assert.equal(new Set(raised.map((o) => o.dedupeKey)).size, 2);
    });
  });

  describe('outside_allowlist', () => {
    it('is high when the allowlist refused the request, medium when report-only let it through', () => {
      const { detector, raised } = setup({ newAddress: false });
      detector.observe(refused('ip_not_allowed', { clientIp: '198.51.100.9' }));
      detector.observe(ok({ clientIp: '198.51.100.10', outsideAllowlist: true }));
      assert.deepEqual(
        raised.map((o) => [o.rule, o.severity, o.clientIp]),
        [
          ['outside_allowlist', 'high', '198.51.100.9'],
          ['outside_allowlist', 'medium', '198.51.100.10'],
        ],
      );
      assert.notEqual(raised[0]?.dedupeKey, raised[1]?.dedupeKey, 'one alert per address');
    });
  });

  describe('revoked_key_used and expired_key_used', () => {
    it('raises each, naming the key and the address', () => {
      const { detector, raised } = setup();
      detector.observe(refused('revoked_api_key'));
      detector.observe(refused('expired_api_key'));
      assert.deepEqual(
        raised.map((o) => [o.rule, o.severity]),
        [
          ['revoked_key_used', 'high'],
          ['expired_key_used', 'medium'],
        ],
      );
      assert.match(raised[0]?.summary ?? '', /revoked API key pk_test_0123456789abcdef01234567 was used from 203\.0\.113\.7/);
    });

    it('folds repeats within the repeat window into one dedupe key', () => {
      const { detector, raised, clock } = setup();
      detector.observe(refused('revoked_api_key'));
      clock.advanceSeconds(1800);
      detector.observe(refused('revoked_api_key'));
      clock.advanceSeconds(1800);
      detector.observe(refused('revoked_api_key'));
      assert.equal(raised.length, 3);
      assert.equal(raised[0]?.dedupeKey, raised[1]?.dedupeKey);
      assert.notEqual(raised[1]?.dedupeKey, raised[2]?.dedupeKey);
    });
  });

  describe('new_address: a key used from an address it never was', () => {
    it('takes the first address as the baseline, then alerts once per new address', async () => {
      const { detector, raised, settle, lookups } = setup();
      detector.observe(ok({ clientIp: '203.0.113.7' }));
      detector.observe(ok({ clientIp: '203.0.113.7' }));
      await settle();
      assert.equal(raised.length, 0);
      detector.observe(ok({ clientIp: '192.0.2.44' }));
      detector.observe(ok({ clientIp: '192.0.2.44' }));
      await settle();
      assert.equal(raised.length, 1);
      assert.equal(raised[0]?.rule, 'new_address');
      assert.equal(raised[0]?.clientIp, '192.0.2.44');
      assert.equal(raised[0]?.dedupeKey, `new_address:${KEY.keyId}:192.0.2.44`);
      assert.equal(lookups(), 1, 'the known addresses are read once per key, then kept');
    });

    it('knows the addresses recorded before (other processes, earlier runs)', async () => {
      const { detector, raised, settle } = setup({}, { [KEY.keyId]: ['203.0.113.7', '203.0.113.8'] });
      detector.observe(ok({ clientIp: '203.0.113.8' }));
      await settle();
      assert.equal(raised.length, 0);
      detector.observe(ok({ clientIp: '203.0.113.9' }));
      await settle();
      assert.equal(raised.length, 1);
    });

    it('ignores refused requests: a stale timestamp from a new address is not the key being used', async () => {
      const { detector, raised, settle } = setup({}, { [KEY.keyId]: ['203.0.113.7'] });
      detector.observe(refused('timestamp_outside_window', { clientIp: '192.0.2.1' }));
      await settle();
      assert.equal(raised.length, 0);
    });

    it('can be turned off', async () => {
      const { detector, raised, settle } = setup({ newAddress: false }, { [KEY.keyId]: ['203.0.113.7'] });
      detector.observe(ok({ clientIp: '192.0.2.1' }));
      await settle();
      assert.equal(raised.length, 0);
    });
  });

  describe('request_rate_spike: a sudden rise in a merchant\'s request rate', () => {
    it('stays quiet until a whole baseline has been watched', () => {
      const { detector, raised } = setup({ newAddress: false });
      for (let i = 0; i < 100; i++) detector.observe(ok());
      assert.equal(raised.length, 0);
    });

    it('raises once a minute reaches factor x the baseline average and the minimum, once per minute', () => {
      const { detector, raised, clock } = setup({ newAddress: false });
      // Three minutes at 10 per minute: the baseline average is 10, so the threshold is max(20, 4 x 10) = 40.
      for (let m = 0; m < 3; m++) {
        for (let i = 0; i < 10; i++) detector.observe(ok());
        clock.advanceSeconds(60);
      }
      for (let i = 0; i < 39; i++) detector.observe(ok());
      assert.equal(raised.length, 0);
      detector.observe(ok());
      assert.equal(raised.length, 1);
      const alert = raised[0] as Observation;
      assert.equal(alert.rule, 'request_rate_spike');
      assert.equal(alert.keyId, null);
      assert.deepEqual(alert.details, { requests_this_minute: 40, baseline_per_minute: 10, baseline_minutes: 3, factor: 4 });
      for (let i = 0; i < 50; i++) detector.observe(ok());
      assert.equal(raised.length, 1, 'one alert per minute');
    });

    it('counts quiet minutes as zero: a silent merchant needs only the minimum', () => {
      const { detector, raised, clock } = setup({ newAddress: false });
      detector.observe(ok());
      clock.advanceSeconds(10 * 60);
      for (let i = 0; i < 19; i++) detector.observe(ok());
      assert.equal(raised.length, 0);
      detector.observe(ok());
      assert.equal(raised.length, 1);
    });

    it('does not alert on steady traffic', () => {
      const { detector, raised, clock } = setup({ newAddress: false });
      for (let m = 0; m < 10; m++) {
        for (let i = 0; i < 30; i++) detector.observe(ok());
        clock.advanceSeconds(60);
      }
      assert.equal(raised.length, 0);
    });
  });

  it('ignores requests that named no known key', () => {
    const { detector, raised } = setup();
    for (let i = 0; i < 50; i++) detector.observe(ok({ key: null, authenticated: false, errorCode: 'unknown_api_key' }));
    assert.equal(raised.length, 0);
  });
});
