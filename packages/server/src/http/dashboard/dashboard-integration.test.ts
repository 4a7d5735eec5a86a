/**
 * The dashboard's integration API (keys, webhooks, orders, audit, alerts,
 * the signature debugger): each route for an owner, the role and
 * re-authentication rules, CSRF, and that merchant A never reads or
 * changes merchant B's rows.
 */
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { signRequest } from '@tijori/signing';
import { ALERT_RULES } from '../../core/anomaly-detector.js';
import { ID_PREFIX, newId } from '../../lib/ids.js';
import { upsertAlerts } from '../../store/queries/security-alerts.js';
import { BACKENDS } from '../../test-support/backends.js';
import { Browser, CHEAP_ARGON2, errorCode, newEmail, PASSWORD } from '../../test-support/dashboard-browser.js';
import { startTestGateway, type TestGateway } from '../../test-support/test-gateway.js';

interface Key {
  id: string;
  api_key: string;
  mode: string;
  status: string;
  secret_key?: string;
  ip_allowlist: string[];
  ip_allowlist_mode: string;
  allowed_schemes: string[];
  rotation_due: boolean;
  last_used_at: string | null;
}
interface Endpoint {
  id: string;
  enabled: boolean;
  description: string | null;
}

for (const backend of BACKENDS) {
  describe(`dashboard integration API (${backend.name})`, () => {
    let gw: TestGateway;
    let receiver: Server;
    let hookUrl = '';

    before(async () => {
      gw = await startTestGateway(backend, { ...CHEAP_ARGON2, TIJORI_DASHBOARD_SESSION_IDLE_SECONDS: '1800', TIJORI_DASHBOARD_SESSION_ABSOLUTE_SECONDS: '43200' });
      receiver = createServer((req, res) => {
        req.resume();
        req.on('end', () => res.writeHead(200).end('ok'));
      });
      receiver.listen(0, '127.0.0.1');
      await once(receiver, 'listening');
      hookUrl = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/hook`;
    });
    after(async () => {
      receiver.close();
      await gw.close();
    });

    async function owner(name = 'Shop'): Promise<Browser> {
      const b = new Browser(gw);
      await b.signUp(newEmail(), name);
      return b;
    }

    async function member(o: Browser, role: 'developer' | 'viewer'): Promise<Browser> {
      const added = (await o.call('POST', '/users', { email: newEmail(), role })).json() as { user: { email: string }; initial_password: string };
      const b = new Browser(gw);
      assert.equal((await b.signIn(added.user.email, added.initial_password)).statusCode, 200);
      return b;
    }

    async function keys(b: Browser, mode = 'sandbox'): Promise<Key[]> {
      const res = await b.call('GET', `/keys?mode=${mode}`);
      assert.equal(res.statusCode, 200, res.body);
      return (res.json() as { keys: Key[] }).keys;
    }

    async function endpoint(b: Browser, mode = 'sandbox', url = hookUrl): Promise<{ endpoint: Endpoint; secret: string }> {
      const res = await b.call('POST', '/webhooks/endpoints', { mode, url, events: ['payment.success'] });
      assert.equal(res.statusCode, 201, res.body);
      return res.json();
    }

    /** Sends a test event to the endpoint and delivers it; returns the ids. */
    async function testEvent(b: Browser, endpointId: string): Promise<{ event_id: string; gateway_order_id: string; delivery_id: string }> {
      const res = await b.call('POST', `/webhooks/endpoints/${endpointId}/test`);
      assert.equal(res.statusCode, 202, res.body);
      await gw.gateway.webhooks.deliverDue();
      return res.json();
    }

    it('lets an owner list, create, roll, restrict and revoke sandbox keys, and the merchant API sees each change at once', async () => {
      const o = await owner();
      const [first] = await keys(o);
      assert.ok(first);
      assert.equal(first.mode, 'sandbox');
      assert.equal(first.secret_key, undefined);
      assert.equal(first.rotation_due, false);
      assert.deepEqual(await keys(o, 'live'), []);

      const created = await o.call('POST', '/keys', { mode: 'sandbox', label: 'server' });
      assert.equal(created.statusCode, 201, created.body);
      const key = (created.json() as { key: Key }).key;
      assert.match(key.secret_key as string, /^sk_test_/);
      assert.equal((await keys(o)).find((k) => k.id === key.id)?.secret_key, undefined, 'the secret is in the create reply only');

      const merchantId = (await o.me()).merchant.id;
      const testKey = { merchantId, keyId: key.id, apiKey: key.api_key, secretKey: key.secret_key as string };
      assert.equal((await gw.send({ path: '/api/v3/pg/order/status', body: { order_id: 'nope' }, key: testKey })).statusCode, 404);
      await gw.admin('GET', `/admin/v1/merchants/${merchantId}/activity`); // writes the usage counts now, not at the next interval
      assert.notEqual((await keys(o)).find((k) => k.id === key.id)?.last_used_at, null);

      const rolled = await o.call('POST', `/keys/${key.api_key}/roll`, { overlap_seconds: 0 });
      assert.equal(rolled.statusCode, 200, rolled.body);
      const newSecret = (rolled.json() as { key: Key }).key.secret_key as string;
      assert.notEqual(newSecret, key.secret_key);
      // The cache was told: the old secret stops at once (no overlap), the new one works.
      assert.equal(errorCode(await gw.send({ path: '/api/v3/pg/order/status', body: { order_id: 'nope' }, key: testKey })), 'invalid_signature');
      const rolledKey = { ...testKey, secretKey: newSecret };
      assert.equal((await gw.send({ path: '/api/v3/pg/order/status', body: { order_id: 'nope' }, key: rolledKey })).statusCode, 404);

      const allow = await o.call('PUT', `/keys/${key.id}/ip-allowlist`, { entries: ['203.0.113.0/24'], mode: 'enforce' });
      assert.deepEqual((allow.json() as { key: Key }).key.ip_allowlist, ['203.0.113.0/24']);
      assert.equal(errorCode(await gw.send({ path: '/api/v3/pg/order/status', body: { order_id: 'nope' }, key: rolledKey })), 'ip_not_allowed');
      const report = await o.call('PUT', `/keys/${key.id}/ip-allowlist`, { entries: [], mode: 'report' });
      assert.equal((report.json() as { key: Key }).key.ip_allowlist_mode, 'report');

      const schemes = await o.call('PUT', `/keys/${key.id}/schemes`, { schemes: ['v2'] });
      assert.deepEqual((schemes.json() as { key: Key }).key.allowed_schemes, ['v2']);
      assert.equal((await o.call('GET', `/keys/${key.id}`)).statusCode, 200);

      const revoked = await o.call('POST', `/keys/${key.id}/revoke`);
      assert.equal((revoked.json() as { key: Key }).key.status, 'revoked');
      assert.equal(errorCode(await gw.send({ path: '/api/v3/pg/order/status', body: { order_id: 'nope' }, key: rolledKey, scheme: 'v2' })), 'revoked_api_key');
    });

    it('asks for a recent re-authentication to create or roll a live key, revoke any key, or register a webhook endpoint', async () => {
      const o = await owner();
      gw.clock.advanceSeconds(301); // past the sign-up's five minutes of elevation
      assert.equal(errorCode(await o.call('POST', '/keys', { mode: 'live' })), 'reauthentication_required');
      const sandbox = await o.call('POST', '/keys', { mode: 'sandbox' });
      assert.equal(sandbox.statusCode, 201, 'a sandbox key needs no re-authentication');
      const sandboxKey = (sandbox.json() as { key: Key }).key;
      assert.equal((await o.call('POST', `/keys/${sandboxKey.id}/roll`)).statusCode, 200);
      assert.equal(errorCode(await o.call('POST', `/keys/${sandboxKey.id}/revoke`)), 'reauthentication_required');
      assert.equal(errorCode(await o.call('POST', '/webhooks/endpoints', { mode: 'sandbox', url: hookUrl })), 'reauthentication_required');

      assert.equal((await o.call('POST', '/reauth', { password: PASSWORD })).statusCode, 200);
      const live = await o.call('POST', '/keys', { mode: 'live' });
      assert.equal(live.statusCode, 201, live.body);
      const liveKey = (live.json() as { key: Key }).key;
      assert.match(liveKey.secret_key as string, /^sk_live_/);
      gw.clock.advanceSeconds(301);
      assert.equal(errorCode(await o.call('POST', `/keys/${liveKey.id}/roll`)), 'reauthentication_required');
      assert.equal((await o.call('POST', '/reauth', { password: PASSWORD })).statusCode, 200);
      assert.equal((await o.call('POST', `/keys/${liveKey.id}/roll`)).statusCode, 200);
      assert.equal((await o.call('POST', `/keys/${sandboxKey.id}/revoke`)).statusCode, 200);
    });

    it('lets viewers read only, and developers manage keys and webhooks', async () => {
      const o = await owner();
      const viewer = await member(o, 'viewer');
      const developer = await member(o, 'developer');
      const [key] = await keys(o);
      const { endpoint: ep } = await endpoint(o);

      assert.equal((await keys(viewer)).length, 1);
      assert.equal((await viewer.call('GET', '/webhooks/endpoints?mode=sandbox')).statusCode, 200);
      assert.equal((await viewer.call('GET', '/orders?mode=sandbox')).statusCode, 200);
      assert.equal((await viewer.call('GET', '/audit')).statusCode, 200);
      assert.equal((await viewer.call('GET', '/alerts?mode=sandbox')).statusCode, 200);
      for (const [method, path, body] of [
        ['POST', '/keys', { mode: 'sandbox' }],
        ['POST', `/keys/${key?.id}/roll`, undefined],
        ['POST', `/keys/${key?.id}/revoke`, undefined],
        ['PUT', `/keys/${key?.id}/schemes`, { schemes: ['v1'] }],
        ['PUT', `/keys/${key?.id}/ip-allowlist`, { entries: [] }],
        ['POST', '/webhooks/endpoints', { mode: 'sandbox', url: hookUrl }],
        ['PUT', `/webhooks/endpoints/${ep.id}`, { enabled: false }],
        ['POST', `/webhooks/endpoints/${ep.id}/roll-secret`, undefined],
        ['POST', `/webhooks/endpoints/${ep.id}/test`, undefined],
        ['POST', `/alerts/${newId(ID_PREFIX.securityAlert)}/acknowledge`, undefined],
      ] as const) {
        assert.equal(errorCode(await viewer.call(method, path, body)), 'role_not_allowed', `${method} ${path}`);
      }

      assert.equal((await developer.call('POST', '/keys', { mode: 'sandbox' })).statusCode, 201);
      assert.equal((await developer.call('PUT', `/keys/${key?.id}/schemes`, { schemes: ['v1', 'v2'] })).statusCode, 200);
      const created = await endpoint(developer);
      assert.equal((await developer.call('PUT', `/webhooks/endpoints/${created.endpoint.id}`, { description: 'orders' })).statusCode, 200);
    });

    it('still enforces CSRF and the Origin check on every change', async () => {
      const o = await owner();
      const other = await owner();
      assert.equal(errorCode(await o.call('POST', '/keys', { mode: 'sandbox' }, { 'x-csrf-token': undefined })), 'csrf_token_invalid');
      assert.equal(errorCode(await o.call('POST', '/keys', { mode: 'sandbox' }, { 'x-csrf-token': other.csrf })), 'csrf_token_invalid');
      assert.equal(errorCode(await o.call('POST', '/keys', { mode: 'sandbox' }, { origin: 'https://evil.example' })), 'origin_not_allowed');
      assert.equal(errorCode(await o.call('POST', '/tools/explain-signature', { api_key: 'pk_test_x0000000', signature: 'x', timestamp: '1', body: '' }, { 'x-csrf-token': undefined })), 'csrf_token_invalid');
      assert.equal((await keys(o)).length, 1);
    });

    it('manages webhook endpoints, sends a real sandbox test event and shows its delivery attempts, and resends', async () => {
      const o = await owner();
      const { endpoint: ep, secret } = await endpoint(o);
      assert.match(secret, /^whsec_/);
      const listed = (await o.call('GET', '/webhooks/endpoints?mode=sandbox')).json() as { endpoints: Endpoint[] };
      assert.deepEqual(listed.endpoints.map((e) => e.id), [ep.id]);
      assert.ok(!JSON.stringify(listed).includes(secret), 'a listing never shows the secret');
      assert.deepEqual(((await o.call('GET', '/webhooks/endpoints?mode=live')).json() as { endpoints: Endpoint[] }).endpoints, []);

      const off = await o.call('PUT', `/webhooks/endpoints/${ep.id}`, { enabled: false, description: 'shop' });
      assert.equal((off.json() as { endpoint: Endpoint }).endpoint.enabled, false);
      assert.equal(errorCode(await o.call('POST', `/webhooks/endpoints/${ep.id}/test`)), 'validation_failed');
      assert.equal(((await o.call('PUT', `/webhooks/endpoints/${ep.id}`, { enabled: true })).json() as { endpoint: Endpoint }).endpoint.enabled, true);
      const rolled = await o.call('POST', `/webhooks/endpoints/${ep.id}/roll-secret`, { overlap_seconds: 60 });
      assert.equal(rolled.statusCode, 200, rolled.body);
      assert.notEqual((rolled.json() as { secret: string }).secret, secret);

      const sent = await testEvent(o, ep.id);
      assert.match(sent.delivery_id, /^whd_/);
      const deliveries = (await o.call('GET', `/webhooks/deliveries?mode=sandbox&endpoint_id=${ep.id}`)).json() as { deliveries: Array<{ id: string; status: string; attempts: number; last_status_code: number; event_type: string }> };
      assert.equal(deliveries.deliveries.length, 1);
      assert.equal(deliveries.deliveries[0]?.status, 'delivered');
      assert.equal(deliveries.deliveries[0]?.event_type, 'payment.success');
      assert.equal(deliveries.deliveries[0]?.last_status_code, 200);
      const detail = (await o.call('GET', `/webhooks/deliveries/${sent.delivery_id}`)).json() as { attempts: Array<{ status_code: number }> };
      assert.deepEqual(detail.attempts.map((a) => a.status_code), [200]);

      const resent = await o.call('POST', `/webhooks/deliveries/${sent.delivery_id}/resend`);
      assert.equal(resent.statusCode, 202, resent.body);
      assert.deepEqual((resent.json() as { deliveries: string[] }).deliveries, [sent.delivery_id]);
      await gw.gateway.webhooks.deliverDue();
      const again = (await o.call('GET', `/webhooks/deliveries/${sent.delivery_id}`)).json() as { attempts: unknown[] };
      assert.equal(again.attempts.length, 2);

      const live = await o.call('POST', '/webhooks/endpoints', { mode: 'live', url: 'https://hooks.example.com/tijori' });
      assert.equal(live.statusCode, 201, live.body);
      assert.equal(errorCode(await o.call('POST', `/webhooks/endpoints/${(live.json() as { endpoint: Endpoint }).endpoint.id}/test`)), 'sandbox_only');
    });

    it('searches orders by order id and status, newest first and paged, with every payment attempt and no customer details', async () => {
      const o = await owner();
      const { endpoint: ep } = await endpoint(o);
      const first = await testEvent(o, ep.id);
      gw.clock.advanceSeconds(1);
      const second = await testEvent(o, ep.id);
      type OrderJson = { gateway_order_id: string; order_id: string; order_status: string };
      const page1 = (await o.call('GET', '/orders?mode=sandbox&limit=1')).json() as { orders: OrderJson[]; next_before: string };
      assert.deepEqual(page1.orders.map((x) => x.gateway_order_id), [second.gateway_order_id]);
      const page2 = (await o.call('GET', `/orders?mode=sandbox&limit=1&before=${page1.next_before}`)).json() as { orders: OrderJson[] };
      assert.deepEqual(page2.orders.map((x) => x.gateway_order_id), [first.gateway_order_id]);

      const ref = page2.orders[0]?.order_id as string;
      const byRef = (await o.call('GET', `/orders?mode=sandbox&order_id=${encodeURIComponent(ref)}`)).json() as { orders: OrderJson[] };
      assert.deepEqual(byRef.orders.map((x) => x.gateway_order_id), [first.gateway_order_id]);
      assert.equal(((await o.call('GET', '/orders?mode=sandbox&status=PAID')).json() as { orders: OrderJson[] }).orders.length, 2);
      assert.equal(((await o.call('GET', '/orders?mode=sandbox&status=UN_PAID')).json() as { orders: OrderJson[] }).orders.length, 0);
      assert.equal(((await o.call('GET', '/orders?mode=live')).json() as { orders: OrderJson[] }).orders.length, 0);

      const detail = await o.call('GET', `/orders/${first.gateway_order_id}`);
      assert.equal(detail.statusCode, 200, detail.body);
      const body = detail.json() as { order: OrderJson; payment_attempts: Array<{ payment_status: string }> };
      assert.equal(body.order.order_status, 'PAID');
      assert.deepEqual(body.payment_attempts.map((p) => p.payment_status), ['PAID']);
      assert.ok(!detail.body.includes('webhook-test@example.invalid') && !detail.body.includes('9999999999'), 'no customer contact details');
    });

    it('lists and exports the merchant\'s own audit records only', async () => {
      const a = await owner('A');
      const b = await owner('B');
      await keys(b);
      const aId = (await a.me()).merchant.id;
      const list = await a.call('GET', '/audit?limit=1000');
      assert.equal(list.statusCode, 200, list.body);
      const records = (list.json() as { records: Array<{ merchant_id: string }> }).records;
      assert.ok(records.length > 0);
      assert.ok(records.every((r) => r.merchant_id === aId));
      const exported = await a.call('GET', '/audit/export?outcome=success');
      assert.equal(exported.statusCode, 200);
      assert.match(String(exported.headers['content-type']), /application\/x-ndjson/);
      const lines = exported.body.trim().split('\n').map((l) => JSON.parse(l) as { merchant_id: string });
      assert.ok(lines.length > 0 && lines.every((r) => r.merchant_id === aId));
      // merchant_id cannot be chosen, and another merchant's key is answered as an unknown one.
      const bId = (await b.me()).merchant.id;
      assert.equal(errorCode(await a.call('GET', `/audit?merchant_id=${bId}`)), 'validation_failed');
      const [bKey] = await keys(b);
      assert.equal(errorCode(await a.call('GET', `/audit?key_id=${bKey?.api_key}`)), 'key_not_found');
      assert.equal(errorCode(await a.call('GET', `/audit/export?key_id=${bKey?.id}`)), 'key_not_found');
    });

    it('lists and acknowledges the merchant\'s own security alerts only', async () => {
      const a = await owner('A');
      const b = await owner('B');
      const at = new Date(gw.clock.nowMs());
      const alert = (merchantId: string, mode: 'test' | 'live') => ({
        id: newId(ID_PREFIX.securityAlert), merchantId, mode, keyId: null, rule: ALERT_RULES[0], severity: 'high' as const, clientIp: '198.51.100.7',
        summary: 'test alert', details: {}, dedupeKey: newId(ID_PREFIX.securityAlert), occurrences: 1, firstSeenAt: at, lastSeenAt: at,
      });
      const [aAlert, aLive, bAlert] = await upsertAlerts(gw.gateway.db, [alert((await a.me()).merchant.id, 'test'), alert((await a.me()).merchant.id, 'live'), alert((await b.me()).merchant.id, 'test')]);
      const listed = (await a.call('GET', '/alerts?mode=sandbox')).json() as { alerts: Array<{ alert_id: string; acknowledged_at: string | null }> };
      assert.deepEqual(listed.alerts.map((x) => x.alert_id), [aAlert?.id]);
      assert.deepEqual(((await a.call('GET', '/alerts?mode=live')).json() as { alerts: Array<{ alert_id: string }> }).alerts.map((x) => x.alert_id), [aLive?.id]);
      assert.equal(errorCode(await a.call('POST', `/alerts/${bAlert?.id}/acknowledge`)), 'alert_not_found');
      assert.equal(((await b.call('GET', '/alerts?mode=sandbox&state=open')).json() as { alerts: unknown[] }).alerts.length, 1);
      const acked = await a.call('POST', `/alerts/${aAlert?.id}/acknowledge`, { note: 'our load test' });
      assert.notEqual((acked.json() as { alert: { acknowledged_at: string | null } }).alert.acknowledged_at, null);
    });

    it('never lets merchant A read or change merchant B\'s keys, endpoints, deliveries or orders', async () => {
      const a = await owner('A');
      const b = await owner('B');
      const [bKey] = await keys(b);
      const { endpoint: bEp } = await endpoint(b);
      const sent = await testEvent(b, bEp.id);
      for (const ref of [bKey?.id, bKey?.api_key]) {
        for (const [method, path, body] of [
          ['GET', `/keys/${ref}`, undefined],
          ['POST', `/keys/${ref}/roll`, undefined],
          ['POST', `/keys/${ref}/revoke`, undefined],
          ['PUT', `/keys/${ref}/ip-allowlist`, { entries: ['203.0.113.1'] }],
          ['PUT', `/keys/${ref}/schemes`, { schemes: ['v2'] }],
        ] as const) {
          const res = await a.call(method, path, body);
          assert.equal(res.statusCode, 404, `${method} ${path}`);
          assert.equal(errorCode(res), 'key_not_found');
        }
      }
      // Answered exactly like a key that does not exist.
      const strip = (r: { json(): unknown }) => ({ ...(r.json() as object), request_id: undefined });
      assert.deepEqual(strip(await a.call('GET', `/keys/${bKey?.api_key}`)), strip(await a.call('GET', '/keys/pk_test_000000000000000000000000')));
      const bAfter = (await keys(b))[0] as Key;
      assert.equal(bAfter.status, 'active');
      assert.deepEqual(bAfter.ip_allowlist, []);
      assert.ok(!(await keys(a)).some((k) => k.id === bKey?.id));

      for (const [method, path, body] of [
        ['GET', `/webhooks/endpoints/${bEp.id}`, undefined],
        ['PUT', `/webhooks/endpoints/${bEp.id}`, { enabled: false }],
        ['POST', `/webhooks/endpoints/${bEp.id}/roll-secret`, undefined],
        ['POST', `/webhooks/endpoints/${bEp.id}/test`, undefined],
      ] as const) {
        assert.equal(errorCode(await a.call(method, path, body)), 'webhook_endpoint_not_found', `${method} ${path}`);
      }
      assert.equal(errorCode(await a.call('GET', `/webhooks/deliveries/${sent.delivery_id}`)), 'webhook_delivery_not_found');
      assert.equal(errorCode(await a.call('POST', `/webhooks/deliveries/${sent.delivery_id}/resend`)), 'webhook_delivery_not_found');
      assert.deepEqual(((await a.call('GET', `/webhooks/deliveries?mode=sandbox&endpoint_id=${bEp.id}`)).json() as { deliveries: unknown[] }).deliveries, []);
      assert.deepEqual(((await a.call('GET', '/webhooks/endpoints?mode=sandbox')).json() as { endpoints: unknown[] }).endpoints, []);
      assert.equal(((await b.call('GET', `/webhooks/endpoints/${bEp.id}`)).json() as { endpoint: Endpoint }).endpoint.enabled, true);

      assert.equal(errorCode(await a.call('GET', `/orders/${sent.gateway_order_id}`)), 'order_not_found');
      assert.deepEqual(((await a.call('GET', '/orders?mode=sandbox')).json() as { orders: unknown[] }).orders, []);
      assert.equal(errorCode(await a.call('POST', '/tools/explain-signature', { api_key: bKey?.api_key, signature: 'a'.repeat(64), timestamp: '1778659835', body: '{}' })), 'key_not_found');
    });

    it('explains a signature made with the other scheme, showing the expected signature for sandbox keys only and never a secret', async () => {
      const o = await owner();
      const key = ((await o.call('POST', '/keys', { mode: 'sandbox' })).json() as { key: Key }).key;
      const body = '{"order_id":"A1","order_amount":"10.00"}';
      const ts = String(Math.floor(gw.clock.nowMs() / 1000));
      const path = '/api/v3/pg/order/create';
      // Signed v2 (method and path included) but sent without X-SIGNATURE-VERSION: 2, i.e. declared v1.
      const v2 = signRequest({ scheme: 'v2', secret: key.secret_key as string, timestamp: ts, body, method: 'POST', path });
      const res = await o.call('POST', '/tools/explain-signature', { api_key: key.api_key, signature: v2, timestamp: ts, scheme: 'v1', method: 'POST', path, body });
      assert.equal(res.statusCode, 200, res.body);
      const reply = res.json() as { verdict: { ok: boolean; code: string; message: string; covers: { scheme: string } }; expected_signatures: Array<{ scheme: string; signature: string }> };
      assert.equal(reply.verdict.ok, false);
      assert.equal(reply.verdict.code, 'other_scheme');
      assert.match(reply.verdict.message, /X-SIGNATURE-VERSION: 2/);
      assert.equal(reply.verdict.covers.scheme, 'v2');
      assert.deepEqual(reply.expected_signatures, [{ scheme: 'v1', signature: signRequest({ scheme: 'v1', secret: key.secret_key as string, timestamp: ts, body, method: 'POST', path }) }]);
      assert.ok(!res.body.includes(key.secret_key as string));

      const live = ((await o.call('POST', '/keys', { mode: 'live' })).json() as { key: Key }).key;
      const liveV2 = signRequest({ scheme: 'v2', secret: live.secret_key as string, timestamp: ts, body, method: 'POST', path });
      const liveRes = await o.call('POST', '/tools/explain-signature', { api_key: live.api_key, signature: liveV2, timestamp: ts, scheme: 'v1', method: 'POST', path, body });
      const liveReply = liveRes.json() as { verdict: { code: string }; expected_signatures: unknown };
      assert.equal(liveReply.verdict.code, 'other_scheme');
      assert.equal(liveReply.expected_signatures, null);
      const liveV1 = signRequest({ scheme: 'v1', secret: live.secret_key as string, timestamp: ts, body, method: 'POST', path });
      assert.ok(!liveRes.body.includes(live.secret_key as string) && !liveRes.body.includes(liveV1), 'neither the live secret nor the expected live signature');

      // Signed with the merchant's sandbox key's secret but sent with the live key: named, not shown.
      const mixed = signRequest({ scheme: 'v1', secret: key.secret_key as string, timestamp: ts, body, method: 'POST', path });
      const mixedRes = (await o.call('POST', '/tools/explain-signature', { api_key: live.api_key, signature: mixed, timestamp: ts, body })).json() as { verdict: { code: string; message: string } };
      assert.equal(mixedRes.verdict.code, 'secret_other');
      assert.match(mixedRes.verdict.message, new RegExp(key.api_key));
    });
  });
}
