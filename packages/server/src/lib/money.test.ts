import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { findCurrency, formatAmount, parseAmount, type Currency } from './money.js';

const INR = findCurrency('INR') as Currency;
const JPY = findCurrency('JPY') as Currency;
const BHD = findCurrency('BHD') as Currency;

describe('money', () => {
  it('knows ISO 4217 minor digits', () => {
    assert.equal(INR.digits, 2);
    assert.equal(JPY.digits, 0);
    assert.equal(BHD.digits, 3);
  });

  it('refuses codes that are not payable currencies', () => {
    assert.equal(findCurrency('XAU'), undefined);
    assert.equal(findCurrency('XXX'), undefined);
    assert.equal(findCurrency('ABC'), undefined);
    assert.equal(findCurrency('inr'), undefined);
  });

  it('parses decimals into integer minor units without float error', () => {
    assert.deepEqual(parseAmount('105.00', INR), { ok: true, minor: 10500 });
    assert.deepEqual(parseAmount(105, INR), { ok: true, minor: 10500 });
    assert.deepEqual(parseAmount(0.29, INR), { ok: true, minor: 29 });
    assert.deepEqual(parseAmount('1.1', INR), { ok: true, minor: 110 });
    assert.deepEqual(parseAmount('1.234', BHD), { ok: true, minor: 1234 });
    assert.deepEqual(parseAmount('500', JPY), { ok: true, minor: 500 });
  });

  it('refuses more decimal places than the currency has', () => {
    assert.equal(parseAmount('1.001', INR).ok, false);
    assert.equal(parseAmount('1.5', JPY).ok, false);
  });

  it('refuses zero, negatives, exponents and junk', () => {
    for (const bad of ['0', '0.00', '-1', '1e3', ' 1', '1,000', '', '.5', '01.00', 'NaN']) {
      assert.equal(parseAmount(bad, INR).ok, false, bad);
    }
    assert.equal(parseAmount(1e21, INR).ok, false);
    assert.equal(parseAmount(-5, INR).ok, false);
  });

  it('refuses amounts beyond 10^15 minor units', () => {
    assert.equal(parseAmount('10000000000000.00', INR).ok, true);
    assert.equal(parseAmount('10000000000000.01', INR).ok, false);
  });

  it('formats minor units back to the decimal string replies use', () => {
    assert.equal(formatAmount(10500, INR), '105.00');
    assert.equal(formatAmount(5, INR), '0.05');
    assert.equal(formatAmount(500, JPY), '500');
    assert.equal(formatAmount(1234, BHD), '1.234');
  });
});
