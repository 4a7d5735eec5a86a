import assert from 'node:assert/strict';
import { once } from 'node:events';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { PAYMENT_EVENT_TYPES } from '../../core/webhook-events.js';
import { createMerchant } from '../../core/merchants.js';
import { authRefusalSuite } from '../../test-support/auth-refusal-suite.js';
import { BACKENDS } from '../../test-support/backends.js';
import { orderBody, startTestGateway, type TestGateway, type TestKey } from '../../test-support/test-gateway.js';

const LIST = '/api/v3/webhooks/deliveries';
const SHOW = '/api/v3/webhooks/delivery';
const RESEND = '/api/v3/webhooks/resend';

for (const backend of BACKENDS) {
  describe(`merchant webhook delivery API on ${backend.name}`, () => {
    let gw: TestGateway;
    let server: Server;
    // Answers 500 to the first POST, then 200: every delivery has a failed attempt to show.
    let hits = 0;
    let orderId = '';
    let eventId = '';
    let other: TestKey;

    before(async () => {
      gw = await startTestGateway(backend);
      server = createServer((req, res) => {
        req.resume();
        req.on('end', () => res.writeHead(hits++ === 0 ? 500 : 200).end('reply'));
      });
      server.listen(0, '127.0.0.1');
      await once(server, 'listening');
      const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`;
      // Payment events only: the refusal suite below raises security alerts, whose deliveries this test does not count.
      assert.equal((await gw.admin('POST', `/admin/v1/merchants/${gw.sandbox.merchantId}/webhook-endpoints`, { url, events: [...PAYMENT_EVENT_TYPES] })).statusCode, 201);

      const body = orderBody();
      orderId = body.order_id as string;
      gw.clock.advanceSeconds(1);
      assert.equal((await gw.send({ path: '/api/v3/pg/order/create', body })).statusCode, 200);
      gw.clock.advanceSeconds(1);
      assert.equal((await gw.send({ path: '/api/v3/sandbox/order/simulate', body: { order_id: orderId, outcome: 'success' } })).statusCode, 200);
      await gw.gateway.webhooks.deliverDue();
      gw.clock.advanceSeconds(10);
      await gw.gateway.webhooks.deliverDue();

      const created = await createMerchant(gw.gateway.db, gw.gateway.keyring, gw.clock, { name: 'Someone else', mode: 'test' });
      other = { merchantId: created.merchantId, keyId: created.keyId, apiKey: created.apiKey, secretKey: created.secretKey.reveal() };
    });
    after(async () => {
      await gw?.close();
      server?.close();
    });

    async function call(path: string, body: unknown, key?: TestKey) {
      gw.clock.advanceSeconds(1);
      return gw.send({ path, body, ...(key ? { key } : {}) });
    }

    describe('authentication refusals', () => {
      authRefusalSuite(() => gw, { path: LIST, validBody: () => ({ status: 'delivered' }) });
      authRefusalSuite(() => gw, { path: RESEND, validBody: () => ({ event_id: eventId || `evt_${'0'.repeat(24)}` }) });
    });

    it("lists the order's delivery, delivered on the second attempt", async () => {
      const res = await call(LIST, { order_id: orderId });
      assert.equal(res.statusCode, 200, res.body);
      const deliveries = res.json().return_data.deliveries;
      assert.equal(deliveries.length, 1);
      assert.equal(deliveries[0].event_type, 'payment.success');
      assert.equal(deliveries[0].status, 'delivered');
      assert.equal(deliveries[0].attempts, 2);
      assert.equal(deliveries[0].mode, 'sandbox');
      eventId = deliveries[0].event_id;
    });

    it('shows every attempt of a delivery: status code, latency and the start of the reply', async () => {
      const listed = (await call(LIST, { status: 'delivered' })).json().return_data.deliveries;
      const res = await call(SHOW, { delivery_id: listed[0].id });
      assert.equal(res.statusCode, 200, res.body);
      const { attempts } = res.json().return_data;
      assert.deepEqual(attempts.map((a: { status_code: number }) => a.status_code), [500, 200]);
      assert.equal(attempts[0].response_body, 'reply');
      assert.equal(typeof attempts[0].latency_ms, 'number');
    });

    it("answers another merchant's or another mode's delivery and event as if they did not exist", async () => {
      const listed = (await call(LIST, {})).json().return_data.deliveries;
      assert.ok(listed.length > 0);
      for (const key of [other, gw.live]) {
        assert.deepEqual((await call(LIST, {}, key)).json().return_data.deliveries, []);
        assert.equal((await call(SHOW, { delivery_id: listed[0].id }, key)).json().error_code, 'webhook_delivery_not_found');
        assert.equal((await call(RESEND, { event_id: listed[0].event_id }, key)).json().error_code, 'webhook_event_not_found');
      }
    });

    it('refuses an order it does not know, and a malformed filter', async () => {
      assert.equal((await call(LIST, { order_id: 'no-such-order' })).json().error_code, 'order_not_found');
      const bad = await call(LIST, { status: 'lost' });
      assert.equal(bad.statusCode, 400);
      assert.equal(bad.json().error_code, 'validation_failed');
    });

    it('resends an event: a new run of attempts with the same event id', async () => {
      const res = await call(RESEND, { event_id: eventId });
      assert.equal(res.statusCode, 200, res.body);
      assert.equal(res.json().return_data.deliveries.length, 1);
      const pending = (await call(LIST, { event_id: eventId })).json().return_data.deliveries[0];
      assert.equal(pending.status, 'pending');
      assert.equal(pending.attempts, 0);
      assert.equal(await gw.gateway.webhooks.deliverDue(), 1);
      assert.equal((await call(LIST, { event_id: eventId })).json().return_data.deliveries[0].status, 'delivered');
    });
  });
}
