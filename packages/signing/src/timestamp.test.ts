import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { checkTimestamp, DEFAULT_TOLERANCE_SECONDS } from './timestamp.js';

const NOW = 1778659835;

describe('checkTimestamp', () => {
  it('uses the seeds\' ±5 minutes (300 seconds) by default', () => {
    assert.equal(DEFAULT_TOLERANCE_SECONDS, 300);
    assert.deepEqual(checkTimestamp(String(NOW - 300), NOW), { ok: true, seconds: NOW - 300 });
    assert.equal(checkTimestamp(String(NOW - 301), NOW).ok, false);
  });

  it('accepts the current time and returns it in seconds', () => {
    assert.deepEqual(checkTimestamp(String(NOW), NOW), { ok: true, seconds: NOW });
  });

  it('accepts a timestamp exactly the tolerance away, in the past or the future', () => {
    assert.deepEqual(checkTimestamp(String(NOW - 60), NOW, 60), { ok: true, seconds: NOW - 60 });
    assert.deepEqual(checkTimestamp(String(NOW + 60), NOW, 60), { ok: true, seconds: NOW + 60 });
  });

  it('refuses a timestamp older than the window, saying how far in the past it is', () => {
    const result = checkTimestamp(String(NOW - 301), NOW);
    assert.equal(result.ok, false);
    assert.ok(!result.ok);
    assert.equal(result.code, 'timestamp_outside_window');
    assert.equal(result.seconds, NOW - 301);
    assert.match(result.message, /301 seconds in the past/);
    assert.match(result.message, /within 300 seconds/);
  });

  it('refuses a timestamp newer than the window, saying how far in the future it is', () => {
    const result = checkTimestamp(String(NOW + 301), NOW);
    assert.ok(!result.ok);
    assert.equal(result.code, 'timestamp_outside_window');
    assert.match(result.message, /301 seconds in the future/);
  });

  it('honours a custom tolerance', () => {
    assert.equal(checkTimestamp(String(NOW - 11), NOW, 10).ok, false);
    assert.equal(checkTimestamp(String(NOW - 10), NOW, 10).ok, true);
    assert.equal(checkTimestamp(String(NOW), NOW, 0).ok, true);
    assert.equal(checkTimestamp(String(NOW + 1), NOW, 0).ok, false);
  });

  it('refuses a missing or empty timestamp as missing_timestamp', () => {
    for (const value of [undefined, '']) {
      const result = checkTimestamp(value, NOW);
      assert.ok(!result.ok);
      assert.equal(result.code, 'missing_timestamp');
      assert.match(result.message, /UNIX time in seconds/);
    }
  });

  it('refuses a 13-digit timestamp as milliseconds and says to divide by 1000', () => {
    const result = checkTimestamp('1778659835123', NOW);
    assert.ok(!result.ok);
    assert.equal(result.code, 'timestamp_in_milliseconds');
    assert.match(result.message, /milliseconds/);
    assert.match(result.message, /divide by 1000/);
    assert.match(result.message, /1778659835\b/);
  });

  it('refuses anything but 1 to 12 ASCII decimal digits as malformed', () => {
    const malformed = [
      '-1700000000',
      '+1700000000',
      ' 1700000000',
      '1700000000 ',
      '1700000000.0',
      '1.7e9',
      '0x6553F100',
      '2026-05-13T10:10:35Z',
      'Wed, 13 May 2026 10:10:35 GMT',
      'abc',
      '17000000001234', // 14 digits
      '１７００００００００', // full-width digits
      '١٧٠٠٠٠٠٠٠٠', // Arabic-Indic digits
      '1700000000\n',
    ];
    for (const value of malformed) {
      const result = checkTimestamp(value, NOW);
      assert.ok(!result.ok, value);
      assert.equal(result.code, 'malformed_timestamp', value);
      assert.match(result.message, /decimal digits only/);
      assert.ok(!result.message.includes(value.trim()), 'does not echo arbitrary input');
    }
  });

  it('refuses values of the wrong type as malformed without throwing', () => {
    for (const value of [1778659835, {}, [], true, Symbol('t'), 10n]) {
      const result = checkTimestamp(value as unknown as string, NOW);
      assert.ok(!result.ok);
      assert.equal(result.code, 'malformed_timestamp');
    }
  });

  it('fails closed when the server clock or tolerance is not a usable number', () => {
    for (const [now, tolerance] of [
      [Number.NaN, 300],
      [Number.POSITIVE_INFINITY, 300],
      [NOW, Number.NaN],
      [NOW, -1],
      [NOW, '300' as unknown as number],
    ] as Array<[number, number]>) {
      const result = checkTimestamp(String(NOW), now, tolerance);
      assert.ok(!result.ok);
      assert.equal(result.code, 'timestamp_outside_window');
    }
  });
});
