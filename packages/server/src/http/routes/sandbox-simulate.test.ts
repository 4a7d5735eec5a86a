import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { canTransition, TRANSITIONS } from '../../core/order-lifecycle.js';
import { assertRefused, authRefusalSuite } from '../../test-support/auth-refusal-suite.js';
import { BACKENDS } from '../../test-support/backends.js';
import { orderBody, startTestGateway, type TestGateway } from '../../test-support/test-gateway.js';

const CREATE = '/api/v3/pg/order/create';
const STATUS = '/api/v3/pg/order/status';
const PATH = '/api/v3/sandbox/order/simulate';

describe('order lifecycle', () => {
  it('allows UN_PAID → PROCESSING → PAID or FAILED, and UN_PAID → EXPIRED, nothing else', () => {
    const allowed = Object.entries(TRANSITIONS).flatMap(([from, tos]) => tos.map((to) => `${from}→${to}`));
    assert.deepEqual(allowed.sort(), ['PROCESSING→FAILED', 'PROCESSING→PAID', 'UN_PAID→EXPIRED', 'UN_PAID→PROCESSING']);
    assert.equal(canTransition('PAID', 'FAILED'), false);
    assert.equal(canTransition('EXPIRED', 'PROCESSING'), false);
  });
});

for (const backend of BACKENDS) {
  describe(`POST ${PATH} on ${backend.name}`, () => {
    let gw: TestGateway;
    before(async () => {
      gw = await startTestGateway(backend);
    });
    after(async () => {
      await gw?.close();
    });

    async function newOrder(key = gw.sandbox): Promise<string> {
      gw.clock.advanceSeconds(1);
      const body = orderBody();
      const res = await gw.send({ path: CREATE, body, key });
      assert.equal(res.statusCode, 200, res.body);
      return body.order_id as string;
    }

    function simulate(orderId: string, outcome: string, extra: Record<string, unknown> = {}) {
      gw.clock.advanceSeconds(1);
      return gw.send({ path: PATH, body: { order_id: orderId, outcome, ...extra } });
    }

    describe('authentication refusals', () => {
      let orderId = '';
      before(async () => {
        orderId = await newOrder();
      });
      authRefusalSuite(() => gw, { path: PATH, validBody: () => ({ order_id: orderId, outcome: 'processing' }) });
    });

    it('pays an UN_PAID order through PROCESSING, recording the attempt the status API returns', async () => {
      const orderId = await newOrder();
      const res = await simulate(orderId, 'success', { payment_method: 'CARD' });
      assert.equal(res.statusCode, 200, res.body);
      const data = res.json().return_data;
      assert.equal(data.order_status, 'PAID');
      assert.match(data.payment.payment_id, /^pay_[0-9a-f]{24}$/);
      assert.equal(data.payment.payment_method, 'CARD');
      assert.equal(data.payment.payment_status, 'PAID');
      assert.match(data.payment.bank_reference, /^SBX/);
      assert.ok(data.payment.completed_at);
      gw.clock.advanceSeconds(1);
      const status = await gw.send({ path: STATUS, body: { order_id: orderId } });
      assert.deepEqual(status.json().return_data.payment, data.payment);
      assert.equal(status.json().return_data.order_status, 'PAID');
    });

    it('leaves an order processing, then fails it', async () => {
      const orderId = await newOrder();
      const processing = (await simulate(orderId, 'processing')).json().return_data;
      assert.equal(processing.order_status, 'PROCESSING');
      assert.equal(processing.payment.payment_status, 'PROCESSING');
      assert.equal(processing.payment.completed_at, null);
      const failed = (await simulate(orderId, 'failed')).json().return_data;
      assert.equal(failed.order_status, 'FAILED');
      assert.equal(failed.payment.payment_id, processing.payment.payment_id, 'the same attempt, completed');
      assert.equal(failed.payment.bank_reference, null);
    });

    it('refuses an illegal transition with 409, naming the current state, and changes nothing', async () => {
      const orderId = await newOrder();
      await simulate(orderId, 'success');
      const reply = assertRefused(await simulate(orderId, 'failed'), 409, 'illegal_transition');
      assert.equal((reply.details as { order_status: string }).order_status, 'PAID');
      gw.clock.advanceSeconds(1);
      assert.equal((await gw.send({ path: STATUS, body: { order_id: orderId } })).json().return_data.order_status, 'PAID');
      assert.ok(gw.logs.some((l) => l.includes('refused an illegal order transition')));
    });

    it('lets exactly one of two simultaneous payments of one order through', async () => {
      const orderId = await newOrder();
      gw.clock.advanceSeconds(1);
      const replies = await Promise.all(['CARD', 'UPI'].map((m) => gw.send({ path: PATH, body: { order_id: orderId, outcome: 'success', payment_method: m } })));
      assert.deepEqual(replies.map((r) => r.statusCode).sort(), [200, 409]);
    });

    it('refuses live keys (403 sandbox_only)', async () => {
      const orderId = await newOrder(gw.live);
      gw.clock.advanceSeconds(1);
      assertRefused(await gw.send({ path: PATH, key: gw.live, body: { order_id: orderId, outcome: 'success' } }), 403, 'sandbox_only');
    });

    it('answers 404 for an order the merchant does not have, and 400 for an unknown outcome', async () => {
      assertRefused(await simulate('no-such-order', 'success'), 404, 'order_not_found');
      assertRefused(await simulate(await newOrder(), 'refunded'), 400, 'validation_failed');
    });
  });
}
