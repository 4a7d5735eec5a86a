import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { WakeSignal } from '../../lib/wake-signal.js';
import { BACKENDS } from '../../test-support/backends.js';
import { orderBody, startTestGateway, type TestGateway, type TestKey } from '../../test-support/test-gateway.js';

const LISTEN = '/api/v3/webhooks/listen';

interface Listened {
  event_id: string;
  type: string;
  created_at: string;
  payload: string;
}
interface ListenReply {
  listener_id: string;
  closed: boolean;
  events: Listened[];
}

describe('WakeSignal', () => {
  it('ends every wait at the next notify, and every wait at once after close', async () => {
    const wake = new WakeSignal();
    const waits = [wake.wait(60_000), wake.wait(60_000)];
    wake.notify();
    await Promise.all(waits);
    wake.close();
    await wake.wait(60_000);
    assert.equal(wake.closed, true);
  });
});

for (const backend of BACKENDS) {
  describe(`tijori listen's long poll (POST ${LISTEN}) on ${backend.name}`, () => {
    let gw: TestGateway;
    let polls = 0;

    before(async () => {
      gw = await startTestGateway(backend);
    });
    after(() => gw?.close());

    async function listen(body: Record<string, unknown>, key?: TestKey) {
      const res = await gw.send({ path: LISTEN, body: { ...body, poll: ++polls }, ...(key ? { key } : {}) });
      return res;
    }
    async function poll(listenerId: string, extra: Record<string, unknown> = {}): Promise<ListenReply> {
      const res = await listen({ listener_id: listenerId, wait_seconds: 0, ...extra });
      assert.equal(res.statusCode, 200, res.body);
      return (res.json() as { return_data: ListenReply }).return_data;
    }
    async function open(events?: string[]): Promise<string> {
      const res = await listen(events ? { events } : {});
      assert.equal(res.statusCode, 200, res.body);
      const data = (res.json() as { return_data: ListenReply }).return_data;
      assert.match(data.listener_id, /^wl_[0-9a-f]{24}$/);
      assert.deepEqual(data.events, []);
      return data.listener_id;
    }
    async function pay(outcome: 'success' | 'failed'): Promise<string> {
      const body = orderBody();
      assert.equal((await gw.send({ path: '/api/v3/pg/order/create', body })).statusCode, 200);
      const res = await gw.send({ path: '/api/v3/sandbox/order/simulate', body: { order_id: body.order_id, outcome } });
      assert.equal(res.statusCode, 200, res.body);
      return body.order_id as string;
    }

    it('queues the events recorded after a listener opens, byte for byte as webhooks send them, until they are acknowledged', async () => {
      const id = await open();
      const orderId = await pay('success');
      const first = await poll(id);
      const success = first.events.find((e) => e.type === 'payment.success');
      assert.ok(success, JSON.stringify(first.events.map((e) => e.type)));
      const stored = await gw.gateway.db.query<{ payload: string }>('SELECT payload FROM webhook_events WHERE id = $1', [success.event_id]);
      assert.equal(success.payload, stored[0]?.payload);
      assert.equal((JSON.parse(success.payload) as { data: { order_id: string } }).data.order_id, orderId);

      const again = await poll(id);
      assert.deepEqual(again.events.map((e) => e.event_id), first.events.map((e) => e.event_id), 'not acknowledged: offered again');
      const acked = await poll(id, { ack: first.events.map((e) => e.event_id) });
      assert.deepEqual(acked.events, []);
    });

    it('gives a listener only the events it asked for', async () => {
      const id = await open(['payment.failed']);
      await pay('success');
      await pay('failed');
      const { events } = await poll(id);
      assert.deepEqual(events.map((e) => e.type), ['payment.failed']);
    });

    it('a long poll returns as soon as an event is recorded', async () => {
      const id = await open(['payment.success']);
      const waiting = listen({ listener_id: id, wait_seconds: 25 });
      await new Promise((resolve) => setTimeout(resolve, 50));
      await pay('success');
      const res = await waiting;
      const { events } = (res.json() as { return_data: ListenReply }).return_data;
      assert.deepEqual(events.map((e) => e.type), ['payment.success']);
    });

    it('is for sandbox keys only, and only the key that opened a listener polls it', async () => {
      const live = await listen({}, gw.live);
      assert.equal(live.statusCode, 403);
      assert.equal(live.json().error_code, 'sandbox_only');
      const id = await open();
      const keyRes = await gw.admin('POST', `/admin/v1/merchants/${gw.sandbox.merchantId}/keys`, { mode: 'sandbox' });
      const other = (keyRes.json() as { key: { id: string; api_key: string; secret_key: string } }).key;
      const stranger = await listen({ listener_id: id, wait_seconds: 0 }, { merchantId: gw.sandbox.merchantId, keyId: other.id, apiKey: other.api_key, secretKey: other.secret_key });
      assert.equal(stranger.statusCode, 404);
      assert.equal(stranger.json().error_code, 'listener_not_found');
    });

    it('closes on request: a closed listener is gone and gets nothing more', async () => {
      const id = await open();
      const closed = await poll(id, { close: true });
      assert.equal(closed.closed, true);
      await pay('success');
      const after = await listen({ listener_id: id, wait_seconds: 0 });
      assert.equal(after.json().error_code, 'listener_not_found');
      const queued = await gw.gateway.db.query('SELECT 1 FROM webhook_listener_events WHERE listener_id = $1', [id]);
      assert.equal(queued.length, 0);
    });

    it('stops queueing for a listener nobody has polled for ten minutes', async () => {
      const id = await open();
      gw.clock.advanceSeconds(11 * 60);
      await pay('success');
      const { events } = await poll(id);
      assert.deepEqual(events, []);
    });

    it('refuses malformed polls with validation_failed', async () => {
      for (const body of [{ listener_id: 'nope' }, { wait_seconds: 26 }, { events: ['payment.refunded'] }, { ack: ['x'] }]) {
        const res = await listen(body);
        assert.equal(res.statusCode, 400, JSON.stringify(body));
        assert.equal(res.json().error_code, 'validation_failed');
      }
    });
  });
}
