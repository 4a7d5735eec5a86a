/**
 * The receiver guide (README.md, "Receiving webhooks") is code that runs: the
 * files under guide/ are shown in the README verbatim, and here they receive
 * real deliveries from a gateway (Fastify, Express and plain node:http), or a
 * real delivery replayed into them (the Next.js route handler), through the
 * built package as a merchant installs it. The deliveries API is checked
 * against the same deliveries.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { readFileSync } from 'node:fs';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import { after, before, beforeEach, describe, it } from 'node:test';
import { signWebhook } from '@tijori/signing';
import { createWebhookApp as createExpressApp } from '../guide/express-receiver.js';
import { createWebhookApp as createFastifyApp } from '../guide/fastify-receiver.js';
import { POST as nextRoute } from '../guide/next-route.js';
import { createWebhookServer } from '../guide/node-http-receiver.js';
import { BACKENDS } from '../../server/src/test-support/backends.js';
import { freePort } from '../../server/src/test-support/free-port.js';
import { fakeTime } from './test-support/fake-time.js';
import { type ListeningGateway, startListeningGateway } from './test-support/listening-gateway.js';
import { Tijori } from './tijori.js';
import type { OrderPayment } from './types.js';
import type { PaymentEvent, PaymentEventData, WebhookEvent } from './webhook-event.js';

// Every field the SDK's types declare, and no other: `satisfies` fails to compile if the types gain or lose one,
// and the test fails if a real delivery's fields differ from these.
const EVENT_FIELDS = { event: true, event_id: true, created_at: true, data: true } satisfies Record<keyof PaymentEvent, true>;
const DATA_FIELDS = { order_id: true, gateway_order_id: true, amount: true, currency: true, status: true, mode: true, payment: true } satisfies Record<keyof PaymentEventData, true>;
const PAYMENT_FIELDS = { payment_id: true, payment_method: true, payment_status: true, bank_reference: true, started_at: true, completed_at: true } satisfies Record<keyof OrderPayment, true>;
const fields = (o: object) => Object.keys(o).sort();

interface Receiver {
  name: string;
  url: string;
  secret: string;
  events: WebhookEvent[];
  close(): Promise<void>;
}

interface Captured {
  headers: IncomingHttpHeaders;
  body: Buffer;
}

const guide = (file: string) => readFileSync(new URL(`../guide/${file}`, import.meta.url), 'utf8');
const readme = readFileSync(new URL('../README.md', import.meta.url), 'utf8');

describe('README.md shows the guide\'s receivers exactly as they are tested', () => {
  for (const file of ['node-http-receiver.ts', 'fastify-receiver.ts', 'express-receiver.ts', 'next-route.ts']) {
    it(`shows guide/${file} verbatim`, () => {
      const block = new RegExp(`<!-- guide/${file.replace('.', '\\.')} -->\\n\`\`\`ts\\n([\\s\\S]*?)\`\`\``).exec(readme);
      assert.ok(block, `README.md has no block marked <!-- guide/${file} -->`);
      assert.equal(block[1], guide(file));
    });
  }
});

for (const backend of BACKENDS) {
  describe(`the receiver guide, receiving real deliveries from a gateway on ${backend.name}`, () => {
    let gw: ListeningGateway;
    let tijori: Tijori;
    const receivers: Receiver[] = [];
    const captured: Captured[] = [];
    let captureSecret = '';
    let capture: Server;

    async function endpoint(url: string): Promise<string> {
      const res = await gw.admin('POST', `/admin/v1/merchants/${gw.sandbox.merchantId}/webhook-endpoints`, { url, events: ['payment.success'] });
      assert.equal(res.status, 201, JSON.stringify(res.json));
      return res.json.secret as string;
    }

    async function receiver(name: string, start: (port: number, secret: string, events: WebhookEvent[]) => Promise<() => Promise<void>>): Promise<void> {
      const port = await freePort();
      const url = `http://127.0.0.1:${port}/webhooks/tijori`;
      const secret = await endpoint(url);
      const events: WebhookEvent[] = [];
      receivers.push({ name, url, secret, events, close: await start(port, secret, events) });
    }

    before(async () => {
      // Deliveries are driven with deliverDue(): each call returns once its attempts are recorded, so nothing waits on a timer.
      gw = await startListeningGateway(backend, { TIJORI_WEBHOOK_DISPATCHER_ENABLED: 'false' });
      const time = fakeTime();
      tijori = new Tijori({ apiKey: gw.sandbox.apiKey, secretKey: gw.sandbox.secretKey, baseUrl: gw.baseUrl, now: time.now, sleep: time.sleep });
      await receiver('node:http', async (port, secret, events) => {
        const server = createWebhookServer(secret, async (event) => void events.push(event)).listen(port, '127.0.0.1');
        await once(server, 'listening');
        return () => new Promise((resolve) => server.close(() => resolve()));
      });
      await receiver('Fastify', async (port, secret, events) => {
        const app = createFastifyApp(secret, async (event) => void events.push(event));
        await app.listen({ port, host: '127.0.0.1' });
        return () => app.close();
      });
      await receiver('Express', async (port, secret, events) => {
        const server = createExpressApp(secret, async (event) => void events.push(event)).listen(port, '127.0.0.1');
        await once(server, 'listening');
        return () => new Promise((resolve) => server.close(() => resolve()));
      });
      // Records deliveries raw, to replay one into the Next.js route handler.
      capture = createServer((req, res) => {
        const chunks: Buffer[] = [];
        req.on('data', (c: Buffer) => chunks.push(c));
        req.on('end', () => {
          captured.push({ headers: req.headers, body: Buffer.concat(chunks) });
          res.writeHead(200).end();
        });
      });
      const port = await freePort();
      capture.listen(port, '127.0.0.1');
      await once(capture, 'listening');
      captureSecret = await endpoint(`http://127.0.0.1:${port}/capture`);
    });
    after(async () => {
      for (const r of receivers) await r.close();
      capture?.closeAllConnections();
      capture?.close();
      await gw?.close();
    });
    beforeEach(() => {
      for (const r of receivers) r.events.length = 0;
      captured.length = 0;
    });

    async function payOrder(): Promise<{ orderId: string; gatewayOrderId: string }> {
      const orderId = `hook-${randomBytes(5).toString('hex')}`;
      const order = await tijori.orders.create({ order_id: orderId, order_amount: '250.50', order_currency: 'INR', service_type: 'DIGITAL', customer: { name: 'Ajay', email: 'a@example.com', phone: '9816512345' } });
      await tijori.sandbox.simulate({ order_id: orderId, outcome: 'success', payment_method: 'UPI' });
      return { orderId, gatewayOrderId: order.gateway_order_id };
    }

    it('each receiver verifies a real payment.success delivery and hands over the event, with the fields the SDK types declare', async () => {
      const { orderId, gatewayOrderId } = await payOrder();
      assert.equal(await gw.gateway.webhooks.deliverDue(), 4);
      for (const r of receivers) {
        assert.equal(r.events.length, 1, r.name);
        const event = r.events[0] as PaymentEvent;
        assert.equal(event.event, 'payment.success', r.name);
        assert.match(event.event_id, /^evt_/);
        assert.deepEqual(fields(event), fields(EVENT_FIELDS));
        assert.deepEqual(fields(event.data), fields(DATA_FIELDS));
        assert.deepEqual(fields(event.data.payment!), fields(PAYMENT_FIELDS));
        assert.deepEqual([event.data.order_id, event.data.gateway_order_id, event.data.amount, event.data.status], [orderId, gatewayOrderId, '250.50', 'PAID']);
      }
    });

    it('the deliveries API lists those deliveries, shows their attempts, and resends the event with the same event_id', async () => {
      const { orderId } = await payOrder();
      await gw.gateway.webhooks.deliverDue();
      const { deliveries } = await tijori.webhooks.listDeliveries({ order_id: orderId });
      assert.equal(deliveries?.length, 4);
      assert.ok(deliveries!.every((d) => d.status === 'delivered' && d.last_status_code === 200 && d.event_type === 'payment.success'));
      const shown = await tijori.webhooks.getDelivery(deliveries![0]!.id!);
      assert.equal(shown.delivery?.id, deliveries![0]!.id);
      assert.equal(shown.attempts?.[0]?.status_code, 200);

      const eventId = deliveries![0]!.event_id!;
      const resent = await tijori.webhooks.resend(eventId);
      assert.equal(resent.event_id, eventId);
      assert.equal(resent.deliveries?.length, 4);
      assert.equal(await gw.gateway.webhooks.deliverDue(), 4);
      for (const r of receivers) assert.deepEqual(r.events.map((e) => e.event_id), [eventId, eventId], r.name);
    });

    it('each receiver answers 400 with the failure code, and does not hand the event over, when the body was altered or the signature is missing', async () => {
      const body = JSON.stringify({ event: 'payment.success', event_id: 'evt_0123456789abcdef01234567', created_at: new Date().toISOString(), data: {} });
      for (const r of receivers) {
        const signed = signWebhook({ secrets: [r.secret], eventId: 'evt_0123456789abcdef01234567', timestamp: Math.floor(Date.now() / 1000), body });
        const post = (headers: Record<string, string>, payload: string) => fetch(r.url, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: payload });
        const altered = await post(signed, body.replace('payment.success', 'payment.failed'));
        assert.deepEqual([altered.status, await altered.json()], [400, { error: 'invalid_signature' }], r.name);
        const unsigned = await post({}, body);
        assert.deepEqual([unsigned.status, await unsigned.json()], [400, { error: 'missing_headers' }], r.name);
        assert.equal(r.events.length, 0, r.name);
        assert.equal((await post(signed, body)).status, 200, `${r.name} accepts the same delivery unaltered`);
      }
    });

    it('the Next.js route handler verifies a real delivery replayed into it, and refuses it altered', async () => {
      await payOrder();
      await gw.gateway.webhooks.deliverDue();
      assert.equal(captured.length, 1);
      const delivery = captured[0]!;
      const headers = new Headers();
      for (const [name, value] of Object.entries(delivery.headers)) if (typeof value === 'string') headers.set(name, value);
      const request = (body: Uint8Array) => new Request('https://shop.example/api/webhooks/tijori', { method: 'POST', headers, body: body as Uint8Array<ArrayBuffer> });
      process.env.TIJORI_WEBHOOK_SECRET = captureSecret;
      try {
        const ok = await nextRoute(request(delivery.body));
        assert.equal(ok.status, 200);
        assert.deepEqual(await ok.json(), { received: JSON.parse(delivery.body.toString('utf8')).event_id });
        const altered = Buffer.from(delivery.body);
        altered[altered.length - 2] = altered[altered.length - 2]! ^ 1;
        const refused = await nextRoute(request(altered));
        assert.deepEqual([refused.status, await refused.json()], [400, { error: 'invalid_signature' }]);
      } finally {
        delete process.env.TIJORI_WEBHOOK_SECRET;
      }
    });
  });
}
