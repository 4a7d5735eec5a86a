import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { differenceFromCreate, sameDecimal } from './same-order.js';
import type { CreateOrderParams, Order } from './types.js';

const params: CreateOrderParams = {
  order_id: 'o-1',
  order_amount: 105,
  order_currency: 'INR',
  service_type: 'DIGITAL',
  customer: { name: 'Ajay', email: 'a@example.com', phone: '9816512345' },
};
const order = {
  gateway_order_id: 'ord_1',
  order_id: 'o-1',
  order_amount: '105.00',
  order_currency: 'INR',
  order_note: null,
  service_type: 'DIGITAL',
  order_status: 'UN_PAID',
  payment_link: 'https://gw/checkout/ord_1/t',
  return_url: null,
  mode: 'sandbox',
  created_at: '2026-11-24T10:00:00.000Z',
  updated_at: '2026-11-24T10:00:00.000Z',
  expires_at: '2026-11-24T10:30:00.000Z',
  payment: null,
} satisfies Order;

describe('whether an existing order is the one a create asked for', () => {
  it('compares amounts as decimals, whatever their spelling', () => {
    assert.ok(sameDecimal(105, '105.00'));
    assert.ok(sameDecimal('0105.5', '105.50'));
    assert.ok(sameDecimal('0.10', 0.1));
    assert.ok(!sameDecimal('105.01', 105));
    assert.ok(!sameDecimal('1e2', 100));
  });

  it('is the same order when amount, currency, service type, note and return URL agree', () => {
    assert.equal(differenceFromCreate(params, order), undefined);
    assert.equal(differenceFromCreate({ ...params, order_note: 'n', return_url: 'https://r' }, { ...order, order_note: 'n', return_url: 'https://r' }), undefined);
  });

  it('names the first field that differs', () => {
    assert.equal(differenceFromCreate({ ...params, order_amount: '200' }, order), 'order_amount is 105.00, not 200');
    assert.equal(differenceFromCreate({ ...params, order_currency: 'USD' }, order), 'order_currency is INR, not USD');
    assert.equal(differenceFromCreate({ ...params, service_type: 'PHYSICAL_GOODS' }, order), 'service_type is DIGITAL, not PHYSICAL_GOODS');
    assert.equal(differenceFromCreate({ ...params, order_note: 'x' }, order), 'order_note differs');
    assert.equal(differenceFromCreate(params, { ...order, return_url: 'https://r' }), 'return_url differs');
  });
});
