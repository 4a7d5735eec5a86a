import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { formatDuration, parseDuration } from './duration.js';

const WEEK = 7 * 86_400;

function seconds(text: string, max = WEEK): number {
  const result = parseDuration(text, max);
  assert.ok(result.ok, `expected "${text}" to parse: ${result.ok ? '' : result.message}`);
  return result.seconds;
}

function refusal(text: string, max = WEEK): string {
  const result = parseDuration(text, max);
  assert.equal(result.ok, false, `expected "${text}" to be refused`);
  return result.ok ? '' : result.message;
}

describe('parseDuration', () => {
  it('reads seconds, minutes, hours and days', () => {
    assert.equal(seconds('3600s'), 3600);
    assert.equal(seconds('30m'), 1800);
    assert.equal(seconds('24h'), 86_400);
    assert.equal(seconds('7d'), WEEK);
  });

  it('reads a plain number as seconds', () => {
    assert.equal(seconds('3600'), 3600);
    assert.equal(seconds('0'), 0);
  });

  it('accepts upper-case units and surrounding blanks', () => {
    assert.equal(seconds('24H'), 86_400);
    assert.equal(seconds(' 1h '), 3600);
  });

  it('accepts exactly the maximum and refuses one second more, naming the maximum', () => {
    assert.equal(seconds('604800'), WEEK);
    assert.equal(seconds('168h'), WEEK);
    assert.match(refusal('604801'), /maximum of 7d/);
    assert.match(refusal('8d'), /maximum of 7d/);
  });

  it('refuses fractions, signs, spaces inside and unknown units rather than guessing', () => {
    for (const text of ['1.5h', '-1h', '+1h', '1 h', '1w', '1hour', 'h', '', '1e3', '0x10']) {
      assert.match(refusal(text), /not a duration/, text);
    }
  });

  it('refuses a number too large to be exact instead of overflowing', () => {
    assert.match(refusal('99999999999999999999d', Number.MAX_SAFE_INTEGER), /maximum/);
  });
});

describe('formatDuration', () => {
  it('uses the largest whole unit', () => {
    assert.equal(formatDuration(WEEK), '7d');
    assert.equal(formatDuration(3600), '1h');
    assert.equal(formatDuration(5400), '90m');
    assert.equal(formatDuration(61), '61s');
    assert.equal(formatDuration(0), '0s');
  });
});
