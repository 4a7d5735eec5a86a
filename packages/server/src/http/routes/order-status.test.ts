import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { assertRefused, authRefusalSuite } from '../../test-support/auth-refusal-suite.js';
import { BACKENDS } from '../../test-support/backends.js';
import { orderBody, startTestGateway, type TestGateway } from '../../test-support/test-gateway.js';

const CREATE = '/api/v3/pg/order/create';
const PATH = '/api/v3/pg/order/status';

for (const backend of BACKENDS) {
  describe(`POST ${PATH} on ${backend.name}`, () => {
    let gw: TestGateway;
    let created: Record<string, unknown>;
    before(async () => {
      gw = await startTestGateway(backend);
      const res = await gw.send({ path: CREATE, body: orderBody({ order_id: 'status-1' }) });
      assert.equal(res.statusCode, 200, res.body);
      created = res.json().return_data;
    });
    after(async () => {
      await gw?.close();
    });

    describe('authentication refusals', () => authRefusalSuite(() => gw, { path: PATH, validBody: () => ({ order_id: 'status-1' }) }));

    it("returns the order as it was created, with the same fields as the create reply", async () => {
      gw.clock.advanceSeconds(1);
      const res = await gw.send({ path: PATH, body: { order_id: 'status-1' } });
      assert.equal(res.statusCode, 200, res.body);
      const reply = res.json();
      assert.equal(reply.status, 'success');
      assert.deepEqual(reply.return_data, created);
    });

    it('finds an order created with a numeric order_id by the number or its string', async () => {
      assert.equal((await gw.send({ path: CREATE, body: orderBody({ order_id: 42 }) })).statusCode, 200);
      const byNumber = await gw.send({ path: PATH, body: { order_id: 42 } });
      assert.equal(byNumber.json().return_data.order_id, 42);
      const byString = await gw.send({ path: PATH, body: { order_id: '42' } });
      assert.equal(byString.statusCode, 200, byString.body);
    });

    it('answers 404 order_not_found for an order_id the merchant never created', async () => {
      assertRefused(await gw.send({ path: PATH, body: { order_id: 'never-created' } }), 404, 'order_not_found');
    });

    it("never shows another mode's order: a live key cannot read a sandbox order", async () => {
      assertRefused(await gw.send({ path: PATH, key: gw.live, body: { order_id: 'status-1' } }), 404, 'order_not_found');
    });

    it("never shows another merchant's order, with the same reply as an unknown id", async () => {
      const liveOrder = orderBody({ order_id: 'live-only' });
      assert.equal((await gw.send({ path: CREATE, key: gw.live, body: liveOrder })).statusCode, 200);
      const res = await gw.send({ path: PATH, body: { order_id: 'live-only' } });
      const reply = assertRefused(res, 404, 'order_not_found');
      const unknown = assertRefused(await gw.send({ path: PATH, body: { order_id: 'never-created-2' } }), 404, 'order_not_found');
      assert.equal(reply.message, unknown.message);
    });

    it('refuses a status request without order_id (400 validation_failed)', async () => {
      const reply = assertRefused(await gw.send({ path: PATH, body: {} }), 400, 'validation_failed');
      assert.deepEqual((reply.details as { errors: Array<{ field: string }> }).errors, [{ field: 'order_id', message: 'is required' }]);
    });

    it('answers unknown routes with the envelope and 404 route_not_found', async () => {
      const res = await gw.gateway.app.inject({ method: 'GET', url: '/api/v3/pg/nothing' });
      assertRefused(res, 404, 'route_not_found');
    });
  });
}
