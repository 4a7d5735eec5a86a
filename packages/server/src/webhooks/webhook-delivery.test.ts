import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { after, before, beforeEach, describe, it } from 'node:test';
import { canonicalJson } from '@tijori/signing';
import { Webhook as StandardWebhook } from 'standardwebhooks';
import { Webhook as SvixWebhook } from 'svix';
import { sweepExpiredOrders } from '../core/order-expiry.js';
import { PAYMENT_EVENT_TYPES, paymentEvent, recordEvents } from '../core/webhook-events.js';
import { BACKENDS } from '../test-support/backends.js';
import { type Received, Receiver } from '../test-support/webhook-receiver.js';
import { orderBody, startTestGateway, type TestGateway } from '../test-support/test-gateway.js';
import { DEFAULT_RETRY_SCHEDULE_SECONDS } from './retry-schedule.js';
import { WebhookDispatcher } from './webhook-dispatcher.js';

const CREATE = '/api/v3/pg/order/create';
const STATUS = '/api/v3/pg/order/status';
const SIMULATE = '/api/v3/sandbox/order/simulate';

function header(r: Received, name: string): string {
  const value = r.headers[name];
  assert.equal(typeof value, 'string', `header ${name}`);
  return value as string;
}

/** The KwikPaisa recipe, written as a merchant would from the seed docs: hex HMAC-SHA256 of body + timestamp under the secret string. */
function kwikpaisaVerifies(r: Received, secret: string): boolean {
  const expected = createHmac('sha256', secret).update(r.body + header(r, 'x-timestamp')).digest('hex');
  return header(r, 'x-signature').split(' ').includes(expected);
}

function standardHeaders(r: Received): Record<string, string> {
  return { 'webhook-id': header(r, 'webhook-id'), 'webhook-timestamp': header(r, 'webhook-timestamp'), 'webhook-signature': header(r, 'webhook-signature') };
}

for (const backend of BACKENDS) {
  describe(`webhook delivery on ${backend.name}`, () => {
    let gw: TestGateway;
    const receiver = new Receiver();
    let url = '';

    before(async () => {
      // Tests move the clock days ahead and back to the real time (the Standard Webhooks libraries check against it);
      // rate limits, which have tests of their own, would read going back as a burst.
      gw = await startTestGateway(backend, { TIJORI_RATE_LIMITS_ENABLED: 'false' });
      url = await receiver.start();
    });
    after(async () => {
      await gw?.close();
      await receiver.close();
    });

    let endpoint: { id: string; secret: string };
    beforeEach(async () => {
      // Standard Webhooks libraries check the timestamp against the real time: run the gateway clock from now.
      gw.clock.set(Date.now());
      // Leave nothing due from an earlier test, then start each test with its own endpoint.
      for (const e of (await gw.admin('GET', `/admin/v1/merchants/${gw.sandbox.merchantId}/webhook-endpoints`)).json().endpoints) {
        await gw.admin('PUT', `/admin/v1/webhook-endpoints/${e.id}`, { enabled: false });
      }
      receiver.reset();
      // Payment events only: these tests count deliveries, and a security alert raised meanwhile would be one more.
      const res = await gw.admin('POST', `/admin/v1/merchants/${gw.sandbox.merchantId}/webhook-endpoints`, { url, events: [...PAYMENT_EVENT_TYPES] });
      assert.equal(res.statusCode, 201, res.body);
      endpoint = { id: res.json().endpoint.id, secret: res.json().secret };
    });

    async function pay(outcome: 'success' | 'failed' | 'processing' = 'success'): Promise<string> {
      const body = orderBody();
      gw.clock.advanceSeconds(1);
      assert.equal((await gw.send({ path: CREATE, body })).statusCode, 200);
      gw.clock.advanceSeconds(1);
      const res = await gw.send({ path: SIMULATE, body: { order_id: body.order_id, outcome, payment_method: 'CARD' } });
      assert.equal(res.statusCode, 200, res.body);
      return body.order_id as string;
    }

    const deliverDue = () => gw.gateway.webhooks.deliverDue();

    it('delivers payment.success signed so the KwikPaisa recipe, standardwebhooks and svix all verify it, and agrees with the status API', async () => {
      const orderId = await pay('success');
      assert.equal(await deliverDue(), 1);
      assert.equal(receiver.received.length, 1);
      const r = receiver.received[0] as Received;

      assert.equal(kwikpaisaVerifies(r, endpoint.secret), true);
      assert.equal(header(r, 'x-webhook-signature'), header(r, 'x-signature'));
      assert.equal(header(r, 'x-timestamp'), header(r, 'webhook-timestamp'));
      assert.doesNotThrow(() => new StandardWebhook(endpoint.secret).verify(r.body, standardHeaders(r)));
      assert.doesNotThrow(() => new SvixWebhook(endpoint.secret).verify(r.body, standardHeaders(r)));
      assert.throws(() => new StandardWebhook(endpoint.secret).verify(r.body.replace('105.00', '1.00'), standardHeaders(r)));

      // Canonical form: re-serialising the parsed body gives the same bytes.
      const event = JSON.parse(r.body);
      assert.equal(canonicalJson(event), r.body);
      assert.equal(event.event, 'payment.success');
      assert.equal(header(r, 'webhook-id'), event.event_id);
      assert.equal(header(r, 'x-tijori-event'), 'payment.success');
      assert.equal(header(r, 'x-tijori-attempt'), '1');
      assert.deepEqual(Object.keys(event.data).sort(), ['amount', 'currency', 'gateway_order_id', 'mode', 'order_id', 'payment', 'status']);
      assert.equal(event.data.order_id, orderId);
      assert.equal(event.data.amount, '105.00');
      assert.equal(event.data.status, 'PAID');
      assert.equal(event.data.payment.payment_method, 'CARD');

      const status = (await gw.send({ path: STATUS, body: { order_id: orderId } })).json().return_data;
      assert.equal(status.order_status, event.data.status);
      assert.equal(status.payment.payment_id, event.data.payment.payment_id);
      assert.equal(status.gateway_order_id, event.data.gateway_order_id);

      // Delivered means done: nothing more is sent.
      gw.clock.advanceSeconds(86400);
      assert.equal(await deliverDue(), 0);
    });

    it('retries a receiver that fails twice on the published schedule, with the same event id, each attempt freshly signed', async () => {
      receiver.script = [{ status: 500 }, { status: 503 }];
      await pay('failed');
      assert.equal(await deliverDue(), 1);
      // Not before the first published delay (5 s, stretched by at most 20 %)...
      gw.clock.advanceSeconds(DEFAULT_RETRY_SCHEDULE_SECONDS[0] as number - 1);
      assert.equal(await deliverDue(), 0);
      gw.clock.advanceSeconds((DEFAULT_RETRY_SCHEDULE_SECONDS[0] as number) * 0.2 + 1.1);
      assert.equal(await deliverDue(), 1);
      // ...then 5 minutes.
      gw.clock.advanceSeconds((DEFAULT_RETRY_SCHEDULE_SECONDS[1] as number) - 1);
      assert.equal(await deliverDue(), 0);
      gw.clock.advanceSeconds((DEFAULT_RETRY_SCHEDULE_SECONDS[1] as number) * 0.2 + 1.1);
      assert.equal(await deliverDue(), 1);
      gw.clock.advanceSeconds(10 * 86400);
      assert.equal(await deliverDue(), 0, 'delivered on the third attempt: no more');

      assert.equal(receiver.received.length, 3);
      const ids = new Set(receiver.received.map((r) => header(r, 'webhook-id')));
      assert.equal(ids.size, 1);
      assert.deepEqual(receiver.received.map((r) => header(r, 'x-tijori-attempt')), ['1', '2', '3']);
      assert.equal(new Set(receiver.received.map((r) => r.body)).size, 1, 'every attempt sends the same bytes');
      for (const r of receiver.received) assert.equal(kwikpaisaVerifies(r, endpoint.secret), true);

      const deliveries = (await gw.admin('GET', `/admin/v1/merchants/${gw.sandbox.merchantId}/webhook-deliveries?endpoint_id=${endpoint.id}`)).json().deliveries;
      assert.equal(deliveries.length, 1);
      assert.equal(deliveries[0].status, 'delivered');
      const shown = (await gw.admin('GET', `/admin/v1/webhook-deliveries/${deliveries[0].id}`)).json();
      assert.deepEqual(shown.attempts.map((a: { status_code: number }) => a.status_code), [500, 503, 200]);
      assert.equal(shown.attempts[0].response_body, 'not now');
      assert.equal(typeof shown.attempts[0].latency_ms, 'number');
    });

    it("honours a receiver's Retry-After when it asks for longer than the schedule", async () => {
      receiver.script = [{ status: 429, headers: { 'retry-after': '120' } }];
      await pay();
      assert.equal(await deliverDue(), 1);
      gw.clock.advanceSeconds(60);
      assert.equal(await deliverDue(), 0);
      gw.clock.advanceSeconds(61);
      assert.equal(await deliverDue(), 1);
      assert.equal(receiver.received.length, 2);
    });

    it('marks a delivery failed after the last scheduled attempt', async () => {
      receiver.script = Array.from({ length: 20 }, () => ({ status: 500 }));
      await pay();
      let attempts = 0;
      for (const delay of [...DEFAULT_RETRY_SCHEDULE_SECONDS, 86400, 86400]) {
        attempts += await deliverDue();
        gw.clock.advanceSeconds(delay * 1.2 + 1);
      }
      assert.equal(attempts, DEFAULT_RETRY_SCHEDULE_SECONDS.length + 1);
      const deliveries = (await gw.admin('GET', `/admin/v1/merchants/${gw.sandbox.merchantId}/webhook-deliveries?endpoint_id=${endpoint.id}`)).json().deliveries;
      assert.equal(deliveries[0].status, 'failed');
      assert.equal(deliveries[0].next_attempt_at, null);
    });

    it('disables the endpoint on 410 Gone, records why, and queues nothing more for it', async () => {
      receiver.script = [{ status: 410 }];
      await pay();
      assert.equal(await deliverDue(), 1);
      const shown = (await gw.admin('GET', `/admin/v1/webhook-endpoints/${endpoint.id}`)).json().endpoint;
      assert.equal(shown.enabled, false);
      assert.equal(shown.disabled_reason, 'gone');
      const events = (await gw.admin('GET', `/admin/v1/merchants/${gw.sandbox.merchantId}/webhook-events?type=webhook_endpoint.disabled`)).json().events;
      const recorded = events.filter((e: { payload: { data: { endpoint_id: string } } }) => e.payload.data.endpoint_id === endpoint.id);
      assert.equal(recorded.length, 1);
      assert.equal(recorded[0].payload.data.reason, 'gone');
      await pay();
      gw.clock.advanceSeconds(86400);
      assert.equal(await deliverDue(), 0);
      assert.equal(receiver.received.length, 1);
    });

    it('disables an endpoint that has failed without a success for 5 days', async () => {
      receiver.script = Array.from({ length: 100 }, () => ({ status: 500 }));
      await pay();
      for (let day = 0; day < 4; day++) {
        await deliverDue();
        gw.clock.advanceSeconds(86400);
        await pay();
      }
      let shown = (await gw.admin('GET', `/admin/v1/webhook-endpoints/${endpoint.id}`)).json().endpoint;
      assert.equal(shown.enabled, true, 'four days of failures are not enough');
      assert.ok(shown.failing_since);
      gw.clock.advanceSeconds(86400 + 3600);
      await deliverDue();
      shown = (await gw.admin('GET', `/admin/v1/webhook-endpoints/${endpoint.id}`)).json().endpoint;
      assert.equal(shown.enabled, false);
      assert.equal(shown.disabled_reason, 'failing');
    });

    it('signs with both secrets during a roll overlap, and only the new one after it', async () => {
      const rolled = (await gw.admin('POST', `/admin/v1/webhook-endpoints/${endpoint.id}/roll-secret`, { overlap_seconds: 60 })).json();
      assert.match(rolled.secret, /^whsec_[A-Za-z0-9+/]{43}=$/);
      assert.notEqual(rolled.secret, endpoint.secret);
      await pay();
      await deliverDue();
      const during = receiver.received[0] as Received;
      assert.equal(header(during, 'x-signature').split(' ').length, 2);
      for (const secret of [endpoint.secret, rolled.secret]) {
        assert.equal(kwikpaisaVerifies(during, secret), true);
        assert.doesNotThrow(() => new StandardWebhook(secret).verify(during.body, standardHeaders(during)));
        assert.doesNotThrow(() => new SvixWebhook(secret).verify(during.body, standardHeaders(during)));
      }
      // A short overlap keeps the clock within the Standard Webhooks libraries' 5 minutes of the real time.
      gw.clock.advanceSeconds(61);
      await pay();
      await deliverDue();
      const afterOverlap = receiver.received[1] as Received;
      assert.equal(kwikpaisaVerifies(afterOverlap, rolled.secret), true);
      assert.equal(kwikpaisaVerifies(afterOverlap, endpoint.secret), false);
      assert.throws(() => new StandardWebhook(endpoint.secret).verify(afterOverlap.body, standardHeaders(afterOverlap)));
    });

    it('emits payment.expired from the expiry sweep, in the same transaction as the status change', async () => {
      const body = orderBody();
      assert.equal((await gw.send({ path: CREATE, body })).statusCode, 200);
      gw.clock.advanceSeconds(1801);
      assert.ok((await sweepExpiredOrders(gw.gateway.db, gw.clock)) >= 1);
      await deliverDue();
      const expired = receiver.received.map((r) => JSON.parse(r.body)).find((e) => e.data.order_id === body.order_id);
      assert.equal(expired?.event, 'payment.expired');
      assert.equal(expired?.data.status, 'EXPIRED');
      assert.equal(expired?.data.payment, null);
    });

    it('writes no event for a refused transition or a rolled-back transaction', async () => {
      const orderId = await pay('success');
      await deliverDue();
      const before = (await gw.admin('GET', `/admin/v1/merchants/${gw.sandbox.merchantId}/webhook-events?limit=500`)).json().events.length;
      gw.clock.advanceSeconds(1);
      assert.equal((await gw.send({ path: SIMULATE, body: { order_id: orderId, outcome: 'failed' } })).statusCode, 409);
      const order = (await gw.gateway.db.query<Record<string, unknown>>('SELECT id, merchant_id, mode, order_ref, order_ref_numeric, amount_minor, currency FROM orders LIMIT 1'))[0] as Record<string, unknown>;
      await assert.rejects(
        gw.gateway.db.transaction(async (tx) => {
          await recordEvents(tx, [
            paymentEvent(
              { id: order.id as string, merchantId: order.merchant_id as string, mode: 'test', orderRef: 'x', orderRefNumeric: false, amountMinor: 1, currency: 'INR' },
              'PAID',
              null,
              new Date(gw.clock.nowMs()),
            ),
          ]);
          throw new Error('the state change failed');
        }),
        /the state change failed/,
      );
      const afterCount = (await gw.admin('GET', `/admin/v1/merchants/${gw.sandbox.merchantId}/webhook-events?limit=500`)).json().events.length;
      assert.equal(afterCount, before);
      assert.equal(await deliverDue(), 0);
    });

    it('resends an event as a new run with the same event id', async () => {
      await pay();
      await deliverDue();
      const eventId = header(receiver.received[0] as Received, 'webhook-id');
      const res = await gw.admin('POST', `/admin/v1/webhook-events/${eventId}/resend`);
      assert.equal(res.statusCode, 202, res.body);
      assert.equal(res.json().deliveries.length, 1);
      assert.equal(await deliverDue(), 1);
      assert.equal(header(receiver.received[1] as Received, 'webhook-id'), eventId);
      assert.equal(header(receiver.received[1] as Received, 'x-tijori-attempt'), '1');
    });

    it('never sends one delivery twice when several dispatchers claim at once', async () => {
      for (let i = 0; i < 12; i++) await pay();
      const config = { timeoutMs: 5000, scheduleSeconds: DEFAULT_RETRY_SCHEDULE_SECONDS, concurrency: 4, pollIntervalMs: 1000, policy: 'sandbox' as const, disableAfterFailingMs: 5 * 86400_000 };
      const dispatchers = [0, 1, 2].map(() => new WebhookDispatcher(gw.gateway.db, gw.gateway.keyring, gw.clock, gw.gateway.logger, config));
      const counts = await Promise.all(dispatchers.map((d) => d.drain()));
      assert.equal(counts.reduce((a, b) => a + b, 0), 12);
      const deliveryIds = receiver.received.map((r) => header(r, 'x-tijori-delivery'));
      assert.equal(deliveryIds.length, 12);
      assert.equal(new Set(deliveryIds).size, 12);
    });

    it('refuses to register a URL that names a private or metadata address, or carries credentials', async () => {
      for (const bad of ['http://169.254.169.254/latest/meta-data', 'http://10.0.0.5/hook', 'https://user:pw@merchant.example/hook', 'ftp://merchant.example/hook', 'not a url']) {
        const res = await gw.admin('POST', `/admin/v1/merchants/${gw.sandbox.merchantId}/webhook-endpoints`, { url: bad });
        assert.equal(res.statusCode, 400, bad);
        assert.equal(res.json().error_code, 'invalid_webhook_url', bad);
      }
    });

    it('never shows a webhook secret after creation, and stores it only encrypted', async () => {
      const listed = await gw.admin('GET', `/admin/v1/merchants/${gw.sandbox.merchantId}/webhook-endpoints`);
      assert.equal(listed.body.includes(endpoint.secret), false);
      const rows = await gw.gateway.db.query<{ secret_enc: Uint8Array }>('SELECT secret_enc FROM webhook_secrets');
      for (const row of rows) assert.equal(Buffer.from(row.secret_enc).includes(endpoint.secret.slice(6, 30)), false);
      assert.equal(gw.logs.join('').includes(endpoint.secret.slice(6)), false);
    });
  });
}
