import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { assertRefused } from '../test-support/auth-refusal-suite.js';
import { BACKENDS } from '../test-support/backends.js';
import { orderBody, startTestGateway, type TestGateway } from '../test-support/test-gateway.js';
import { sweepExpiredOrders } from './order-expiry.js';

const CREATE = '/api/v3/pg/order/create';
const STATUS = '/api/v3/pg/order/status';
const SIMULATE = '/api/v3/sandbox/order/simulate';

for (const backend of BACKENDS) {
  describe(`order expiry on ${backend.name}`, () => {
    let gw: TestGateway;
    before(async () => {
      gw = await startTestGateway(backend, { TIJORI_ORDER_LIFETIME_SECONDS: '600' });
    });
    after(async () => {
      await gw?.close();
    });

    async function create(): Promise<{ orderId: string; data: Record<string, string> }> {
      gw.clock.advanceSeconds(1);
      const body = orderBody();
      const res = await gw.send({ path: CREATE, body });
      assert.equal(res.statusCode, 200, res.body);
      return { orderId: body.order_id as string, data: res.json().return_data };
    }

    async function storedStatus(orderId: string): Promise<string | undefined> {
      const rows = await gw.gateway.db.query<{ status: string }>('SELECT status FROM orders WHERE order_ref = $1', [orderId]);
      return rows[0]?.status;
    }

    it('gives each order an expiry of creation plus the configured lifetime', async () => {
      const { data } = await create();
      assert.equal(new Date(data.expires_at as string).getTime() - new Date(data.created_at as string).getTime(), 600_000);
    });

    it('shows an unpaid order past its time as EXPIRED at once, and refuses to pay it', async () => {
      const { orderId } = await create();
      gw.clock.advanceSeconds(601);
      const status = await gw.send({ path: STATUS, body: { order_id: orderId } });
      assert.equal(status.json().return_data.order_status, 'EXPIRED');
      gw.clock.advanceSeconds(1);
      const paid = await gw.send({ path: SIMULATE, body: { order_id: orderId, outcome: 'success' } });
      const reply = assertRefused(paid, 409, 'illegal_transition');
      assert.equal((reply.details as { order_status: string }).order_status, 'EXPIRED');
      assert.equal(await storedStatus(orderId), 'EXPIRED', 'the refusal wrote the expiry');
    });

    it('sweeps unpaid orders past their time to EXPIRED, leaving paid and fresh ones alone', async () => {
      const due = await create();
      const paid = await create();
      gw.clock.advanceSeconds(1);
      assert.equal((await gw.send({ path: SIMULATE, body: { order_id: paid.orderId, outcome: 'success' } })).statusCode, 200);
      gw.clock.advanceSeconds(599);
      const fresh = await create();
      const swept = await sweepExpiredOrders(gw.gateway.db, gw.clock);
      assert.ok(swept >= 1);
      assert.equal(await storedStatus(due.orderId), 'EXPIRED');
      assert.equal(await storedStatus(paid.orderId), 'PAID');
      assert.equal(await storedStatus(fresh.orderId), 'UN_PAID');
    });
  });
}
