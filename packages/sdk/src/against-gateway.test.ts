/**
 * The SDK's whole client surface against a real gateway listening on a
 * loopback port, on both storage back-ends: orders, the sandbox, typed
 * errors, retries and the idempotent create through a proxy that loses
 * replies, the rate limiter's Retry-After, and signed replies checked
 * against the gateway's JWKS.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, beforeEach, describe, it } from 'node:test';
import { BACKENDS } from '../../server/src/test-support/backends.js';
import {
  TijoriAuthenticationError,
  TijoriConflictError,
  TijoriNotFoundError,
  TijoriPermissionError,
  TijoriRateLimitError,
  TijoriResponseVerificationError,
  TijoriServerError,
  TijoriTimeoutError,
  TijoriValidationError,
} from './errors.js';
import { fakeTime } from './test-support/fake-time.js';
import { FaultProxy } from './test-support/fault-proxy.js';
import { rejection } from './test-support/rejection.js';
import { type ListeningGateway, startListeningGateway } from './test-support/listening-gateway.js';
import { vectors } from './test-support/vectors.js';
import { Tijori, type TijoriOptions } from './tijori.js';
import type { CreateOrderParams } from './types.js';

const CREATE = '/api/v3/pg/order/create';
const STATUS = '/api/v3/pg/order/status';

function orderParams(overrides: Partial<CreateOrderParams> = {}): CreateOrderParams {
  return {
    order_id: `sdk-${randomBytes(6).toString('hex')}`,
    order_amount: '105.00',
    order_currency: 'INR',
    service_type: 'DIGITAL',
    customer: { name: 'Ajay', email: 'ajay@example.com', phone: '9816512345' },
    ...overrides,
  };
}

for (const backend of BACKENDS) {
  describe(`the SDK against a listening gateway on ${backend.name}`, () => {
    let gw: ListeningGateway;
    let proxy: FaultProxy;
    let proxyUrl: string;

    before(async () => {
      gw = await startListeningGateway(backend);
      proxy = new FaultProxy(gw.baseUrl);
      proxyUrl = await proxy.start();
    });
    after(async () => {
      await proxy?.close();
      await gw?.close();
    });
    beforeEach(() => proxy.reset());

    /** A sandbox client on fake time (waits are recorded, not waited), straight to the gateway or through the proxy. */
    function client(options: Partial<TijoriOptions> & { viaProxy?: boolean } = {}) {
      const time = fakeTime();
      const { viaProxy, ...rest } = options;
      const tijori = new Tijori({
        apiKey: gw.sandbox.apiKey,
        secretKey: gw.sandbox.secretKey,
        baseUrl: viaProxy ? proxyUrl : gw.baseUrl,
        now: time.now,
        sleep: time.sleep,
        random: () => 0.5,
        ...rest,
      });
      return { tijori, time };
    }

    describe('orders and the sandbox', () => {
      it('creates an order, reads it and pays it, signing v2 by default and v1 on request', async () => {
        for (const signatureVersion of ['v2', 'v1'] as const) {
          const { tijori } = client({ signatureVersion });
          const params = orderParams({ order_amount: 105, order_note: 'two mugs', return_url: 'https://shop.example/thanks' });
          const created = await tijori.orders.create(params);
          assert.equal(created.order_id, params.order_id);
          assert.equal(created.order_amount, '105.00');
          assert.equal(created.order_status, 'UN_PAID');
          assert.equal(created.mode, 'sandbox');
          assert.match(created.gateway_order_id, /^ord_/);
          assert.deepEqual(await tijori.orders.status(params.order_id), created);

          const paid = await tijori.sandbox.simulate({ order_id: params.order_id, outcome: 'success', payment_method: 'CARD' });
          assert.equal(paid.order_status, 'PAID');
          assert.equal(paid.payment?.payment_method, 'CARD');
          assert.equal((await tijori.orders.status(params.order_id)).order_status, 'PAID');
        }
      });

      it('keeps a numeric order_id numeric', async () => {
        const { tijori } = client();
        const orderId = Number.parseInt(randomBytes(5).toString('hex'), 16);
        assert.equal((await tijori.orders.create(orderParams({ order_id: orderId }))).order_id, orderId);
        assert.equal((await tijori.orders.status(orderId)).order_id, orderId);
      });

      it('signs with a registered Ed25519 key instead of a secret', async () => {
        const vector = vectors.v2_ed25519[0]!;
        const registered = await gw.admin('POST', `/admin/v1/merchants/${gw.sandbox.merchantId}/keys`, { mode: 'sandbox', public_key_pem: vector.public_key_pem });
        assert.equal(registered.status, 201, JSON.stringify(registered.json));
        const tijori = new Tijori({ apiKey: registered.json.key.api_key, privateKey: vector.private_key_pem, baseUrl: gw.baseUrl });
        const params = orderParams();
        assert.equal((await tijori.orders.create(params)).order_id, params.order_id);
      });
    });

    describe('refusals are typed errors with status, error_code, message and request id', () => {
      it('validation_failed is a TijoriValidationError listing the fields', async () => {
        const { tijori } = client();
        const err = await rejection(tijori.orders.create(orderParams({ order_currency: 'inr', order_amount: '-1' })), TijoriValidationError);
        assert.equal(err.status, 400);
        assert.equal(err.errorCode, 'validation_failed');
        assert.match(err.requestId ?? '', /^req_/);
        assert.ok(Array.isArray(err.details?.errors), JSON.stringify(err.details));
        assert.match(err.message, /order_currency/);
      });

      it('order_not_found is a TijoriNotFoundError', async () => {
        const err = await rejection(client().tijori.orders.status('no-such-order'), TijoriNotFoundError);
        assert.deepEqual([err.status, err.errorCode], [404, 'order_not_found']);
      });

      it('a first-attempt duplicate is a TijoriConflictError naming the existing order, not a lookup', async () => {
        const { tijori } = client({ viaProxy: true });
        const params = orderParams();
        const created = await tijori.orders.create(params);
        const err = await rejection(tijori.orders.create(params), TijoriConflictError);
        assert.deepEqual([err.status, err.errorCode], [409, 'duplicate_order_id']);
        assert.equal(err.details?.gateway_order_id, created.gateway_order_id);
        assert.equal(proxy.to(STATUS).length, 0);
      });

      it('a wrong secret is a TijoriAuthenticationError saying invalid_signature', async () => {
        const { tijori } = client({ secretKey: 'sk_test_not_the_right_secret_0000' });
        const err = await rejection(tijori.orders.status('any'), TijoriAuthenticationError);
        assert.deepEqual([err.status, err.errorCode], [401, 'invalid_signature']);
        assert.match(err.message, /sign/i);
        assert.ok(!JSON.stringify(err).includes('not_the_right_secret'));
      });

      it('simulating with a live key is a TijoriPermissionError saying sandbox_only', async () => {
        const live = await gw.liveMerchant();
        const { tijori } = client({ apiKey: live.apiKey, secretKey: live.secretKey });
        const err = await rejection(tijori.sandbox.simulate({ order_id: 'x', outcome: 'success' }), TijoriPermissionError);
        assert.deepEqual([err.status, err.errorCode], [403, 'sandbox_only']);
      });
    });

    describe('retries through a proxy that misbehaves', () => {
      it('returns the order an earlier attempt created when that attempt\'s reply was lost, instead of a duplicate error', async () => {
        const { tijori } = client({ viaProxy: true });
        const params = orderParams();
        proxy.faults = ['drop-reply'];
        const order = await tijori.orders.create(params);
        assert.equal(order.order_id, params.order_id);
        const creates = proxy.to(CREATE);
        assert.deepEqual(creates.map((c) => c.fault), ['drop-reply', 'pass']);
        assert.notEqual(creates[0]!.headers['x-signature'], creates[1]!.headers['x-signature']);
        assert.deepEqual(creates[0]!.body, creates[1]!.body);
        assert.equal(proxy.to(STATUS).length, 1, 'the duplicate was resolved by reading the order back');
        assert.equal((await client().tijori.orders.status(params.order_id)).gateway_order_id, order.gateway_order_id);
      });

      it('returns the order when the first attempt\'s reply came too late and the retry met the duplicate', async () => {
        const { tijori } = client({ viaProxy: true, timeoutMs: 300 });
        const params = orderParams();
        proxy.faults = ['late-reply'];
        const order = await tijori.orders.create(params);
        assert.equal(order.order_id, params.order_id);
        assert.deepEqual(proxy.to(CREATE).map((c) => c.fault), ['late-reply', 'pass']);
        assert.equal(proxy.to(STATUS).length, 1);
      });

      it('a retried create that finds a different order under its order_id is a TijoriConflictError saying how it differs', async () => {
        const { tijori } = client({ viaProxy: true });
        const params = orderParams();
        await client().tijori.orders.create({ ...params, order_amount: '99.00' });
        proxy.faults = [{ status: 502 }];
        const err = await rejection(tijori.orders.create(params), TijoriConflictError);
        assert.equal(err.errorCode, 'duplicate_order_id');
        assert.match(err.message, /order_amount is 99\.00, not 105\.00/);
      });

      it('retries a 502 and a reset connection with backoff, and a 429 after its Retry-After, each signed afresh', async () => {
        const { tijori, time } = client({ viaProxy: true, maxRetries: 3 });
        const params = orderParams();
        proxy.faults = [{ status: 502 }, 'reset', { status: 429, headers: { 'retry-after': '7' }, body: '{}' }];
        assert.equal((await tijori.orders.create(params)).order_id, params.order_id);
        const creates = proxy.to(CREATE);
        assert.equal(creates.length, 4);
        assert.equal(new Set(creates.map((c) => c.headers['x-signature'])).size, 4);
        assert.ok(time.sleeps.includes(375) && time.sleeps.includes(750) && time.sleeps.includes(7000), String(time.sleeps));
        assert.equal(proxy.to(STATUS).length, 0, 'the last attempt created the order: nothing to reconcile');
      });

      it('gives up with a TijoriTimeoutError when no attempt is answered in time', async () => {
        const { tijori } = client({ viaProxy: true, timeoutMs: 150, maxRetries: 1 });
        proxy.faults = ['hold', 'hold'];
        await rejection(tijori.orders.status('held'), TijoriTimeoutError);
        assert.equal(proxy.to(STATUS).length, 2);
      });

      it('honours the rate limiter\'s own Retry-After, then reports it on a TijoriRateLimitError', async () => {
        const issued = await gw.admin('POST', `/admin/v1/merchants/${gw.sandbox.merchantId}/keys`, { mode: 'sandbox' });
        assert.equal(issued.status, 201);
        const apiKey = issued.json.key.api_key as string;
        assert.equal((await gw.admin('PUT', `/admin/v1/keys/${apiKey}/rate-limit`, { per_minute: 2 })).status, 200);
        const { tijori, time } = client({ apiKey, secretKey: issued.json.key.secret_key, maxRetries: 1 });
        await tijori.orders.create(orderParams());
        await tijori.orders.create(orderParams());
        const err = await rejection(tijori.orders.status('over-the-limit'), TijoriRateLimitError);
        assert.equal(err.errorCode, 'rate_limited');
        assert.ok(err.retryAfter !== undefined && err.retryAfter >= 1 && err.retryAfter <= 60, String(err.retryAfter));
        assert.equal(time.sleeps.length, 1);
        assert.ok(time.sleeps[0]! >= 1000 && time.sleeps[0]! % 1000 === 0, String(time.sleeps));
      });
    });

    describe('signed replies, verified against the gateway\'s JWKS', () => {
      function verifyingClient(options: Partial<TijoriOptions> & { viaProxy?: boolean } = {}) {
        const jwksFetches: string[] = [];
        const counting: typeof fetch = (input, init) => {
          if (String(input).endsWith('/.well-known/jwks.json')) jwksFetches.push(String(input));
          return fetch(input, init);
        };
        return { ...client({ verifyResponses: true, fetch: counting, ...options }), jwksFetches };
      }

      it('verifies successes and refusals alike, fetching the keys once', async () => {
        const { tijori, jwksFetches } = verifyingClient();
        const params = orderParams();
        await tijori.orders.create(params);
        await tijori.orders.status(params.order_id);
        await rejection(tijori.orders.status('missing'), TijoriNotFoundError);
        assert.deepEqual(jwksFetches, [`${gw.baseUrl}/.well-known/jwks.json`]);
      });

      it('refuses a reply whose body was changed on the way, or whose signature was removed', async () => {
        const { tijori } = verifyingClient({ viaProxy: true });
        const params = orderParams();
        await tijori.orders.create(params);
        proxy.faults = ['tamper-body'];
        const tampered = await rejection(tijori.orders.status(params.order_id), TijoriResponseVerificationError);
        assert.equal(tampered.code, 'content_digest_mismatch');
        assert.equal(tampered.status, 200);
        proxy.faults = ['strip-signature'];
        assert.equal((await rejection(tijori.orders.status(params.order_id), TijoriResponseVerificationError)).code, 'missing_headers');
      });

      it('retries a load balancer\'s unsigned 502 rather than refuse it as unverified, and reports the last one as a server error', async () => {
        const { tijori } = verifyingClient({ viaProxy: true });
        const params = orderParams();
        proxy.faults = [{ status: 502 }];
        assert.equal((await tijori.orders.create(params)).order_id, params.order_id);
        proxy.faults = [{ status: 502 }];
        const err = await rejection(tijori.orders.status(params.order_id, { maxRetries: 0 }), TijoriServerError);
        assert.equal(err.status, 502);
      });

      it('fetches the keys again when a reply names a key it has not seen: the gateway rotated', async () => {
        const { tijori, jwksFetches } = verifyingClient();
        const params = orderParams();
        await tijori.orders.create(params);
        const rotated = await gw.admin('POST', '/admin/v1/signing-keys/rotate', {});
        assert.equal(rotated.status, 200, JSON.stringify(rotated.json));
        await gw.gateway.signingKeys.reload();
        assert.equal((await tijori.orders.status(params.order_id)).order_id, params.order_id);
        assert.equal(jwksFetches.length, 2);
      });
    });
  });
}
