import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { verifyWebhook } from '@tijori/signing';
import { BACKENDS } from '../test-support/backends.js';
import { startTestGateway, type TestGateway, type TestKey } from '../test-support/test-gateway.js';
import { Receiver } from '../test-support/webhook-receiver.js';
import { upsertAlerts } from '../store/queries/security-alerts.js';

const STATUS = '/api/v3/pg/order/status';

interface AlertJson {
  alert_id: string;
  rule: string;
  severity: string;
  merchant_id: string;
  mode: string;
  key_id: string | null;
  client_ip: string | null;
  summary: string;
  details: Record<string, unknown>;
  occurrences: number;
  acknowledged_at: string | null;
  acknowledged_note: string | null;
}

// The listing waits for the rules still judging (see app.ts); a tick lets the last reply's onResponse hook run first.
const settle = () => new Promise<void>((resolve) => setImmediate(resolve));

for (const backend of BACKENDS) {
  describe(`security alerts on ${backend.name}`, () => {
    let gw: TestGateway;
    const receiver = new Receiver();
    let webhookSecret = '';

    async function alerts(query = ''): Promise<AlertJson[]> {
      await settle();
      const res = await gw.admin('GET', `/admin/v1/alerts?merchant_id=${gw.sandbox.merchantId}${query}`);
      assert.equal(res.statusCode, 200, res.body);
      return (res.json() as { alerts: AlertJson[] }).alerts;
    }

    async function newKey(): Promise<TestKey> {
      const res = await gw.admin('POST', `/admin/v1/merchants/${gw.sandbox.merchantId}/keys`, { mode: 'sandbox' });
      assert.equal(res.statusCode, 201, res.body);
      const { key } = res.json() as { key: { id: string; api_key: string; secret_key: string } };
      return { merchantId: gw.sandbox.merchantId, keyId: key.id, apiKey: key.api_key, secretKey: key.secret_key };
    }

    /** Delivers what is due and returns the security.alert events the merchant's receiver got, each verified. */
    async function deliveredAlerts(): Promise<Array<{ event: string; event_id: string; data: AlertJson }>> {
      await gw.gateway.webhooks.drain();
      return receiver.received
        .map((r) => {
          const verified = verifyWebhook({ body: r.body, headers: r.headers as Record<string, string>, secret: webhookSecret, nowSeconds: Math.floor(gw.clock.nowMs() / 1000) });
          assert.equal(verified.ok, true, 'every delivery verifies with the endpoint secret');
          return JSON.parse(r.body) as { event: string; event_id: string; data: AlertJson };
        })
        .filter((e) => e.event === 'security.alert');
    }

    // A different body each time: the same signature twice would be refused as a replay.
    let calls = 0;
    const status = (key: TestKey, remoteAddress?: string) =>
      gw.send({ path: STATUS, body: { order_id: `no-such-order-${++calls}` }, key, ...(remoteAddress ? { remoteAddress } : {}) });

    before(async () => {
      gw = await startTestGateway(backend, {
        TIJORI_ALERT_SIGNATURE_FAILURES: '3',
        TIJORI_ALERT_SIGNATURE_FAILURE_WINDOW_SECONDS: '60',
        TIJORI_ALERT_RATE_BASELINE_MINUTES: '1',
        TIJORI_ALERT_RATE_SPIKE_MIN_PER_MINUTE: '15',
        TIJORI_ALERT_RATE_SPIKE_FACTOR: '3',
        TIJORI_KEY_MAX_AGE_DAYS: '30',
      });
      const url = await receiver.start();
      // Default events: the payment events and security.alert.
      const created = await gw.admin('POST', `/admin/v1/merchants/${gw.sandbox.merchantId}/webhook-endpoints`, { url, mode: 'sandbox' });
      assert.equal(created.statusCode, 201, created.body);
      const body = created.json() as { endpoint: { events: string[] }; secret: string };
      assert.ok(body.endpoint.events.includes('security.alert'));
      webhookSecret = body.secret;
    });

    after(async () => {
      await gw?.close();
      await receiver.close();
    });

    it('a burst of wrong signatures raises one signature_failures alert: stored, listed, logged, counted, and sent as a signed security.alert webhook', async () => {
      const key = await newKey();
      for (let i = 0; i < 2; i++) assert.equal((await gw.send({ path: STATUS, body: { order_id: 'x' }, key, signWith: { secret: 'sk_test_wrong' } })).statusCode, 401);
      assert.deepEqual(await alerts('&rule=signature_failures'), [], 'two failures are under the threshold of three');

      for (let i = 0; i < 4; i++) assert.equal((await gw.send({ path: STATUS, body: { order_id: 'x' }, key, signWith: { secret: 'sk_test_wrong' } })).statusCode, 401);
      const listed = await alerts('&rule=signature_failures');
      assert.equal(listed.length, 1);
      const alert = listed[0] as AlertJson;
      assert.equal(alert.severity, 'high');
      assert.equal(alert.key_id, key.keyId);
      assert.equal(alert.mode, 'sandbox');
      assert.equal(alert.client_ip, '127.0.0.1');
      assert.equal(alert.occurrences, 4, 'failures 3 to 6 each exceeded the threshold: one alert, four occurrences');
      assert.equal(alert.details.api_key, key.apiKey);

      const shown = await gw.admin('GET', `/admin/v1/alerts/${alert.alert_id}`);
      assert.equal((shown.json() as { alert: AlertJson }).alert.summary, alert.summary);

      const events = await deliveredAlerts();
      assert.equal(events.length, 1);
      assert.equal(events[0]?.data.alert_id, alert.alert_id);
      assert.equal(events[0]?.data.rule, 'signature_failures');
      assert.equal('merchant_id' in (events[0]?.data ?? {}), false, 'the merchant knows who it is');

      const logged = gw.logs.filter((l) => l.includes('security alert'));
      assert.equal(logged.length, 1);
      assert.ok(logged[0]?.includes(alert.alert_id));
      assert.equal(logged[0]?.includes(key.secretKey), false);

      const metrics = await gw.admin('GET', '/metrics');
      assert.match(metrics.body, /tijori_security_alerts_total\{rule="signature_failures",severity="high"\} 1/);
    });

    it('a revoked key in use raises revoked_key_used; repeats add occurrences to the same alert and send no second webhook', async () => {
      const key = await newKey();
      assert.equal((await gw.admin('POST', `/admin/v1/keys/${key.apiKey}/revoke`)).statusCode, 200);
      receiver.reset();
      for (let i = 0; i < 2; i++) assert.equal((await status(key)).json().error_code, 'revoked_api_key');
      const [first] = await alerts('&rule=revoked_key_used');
      assert.equal(first?.occurrences, 2);
      assert.equal(first?.key_id, key.keyId);
      assert.equal((await deliveredAlerts()).length, 1);

      // A later batch (or another process) seeing the same anomaly adds to the stored alert.
      await status(key);
      const [again] = await alerts('&rule=revoked_key_used');
      assert.equal(again?.alert_id, first?.alert_id);
      assert.equal(again?.occurrences, 3);
      assert.equal((await deliveredAlerts()).length, 1, 'still the one delivery');
    });

    it('a request from outside an enforced allowlist raises a high outside_allowlist alert; report-only raises a medium one', async () => {
      const key = await newKey();
      const set = (mode: string) => gw.admin('PUT', `/admin/v1/keys/${key.apiKey}/ip-allowlist`, { entries: ['10.0.0.0/8'], mode });
      assert.equal((await set('enforce')).statusCode, 200);
      assert.equal((await status(key, '192.0.2.5')).json().error_code, 'ip_not_allowed');
      assert.equal((await set('report')).statusCode, 200);
      assert.equal((await status(key, '192.0.2.6')).statusCode, 404, 'report-only lets it through');
      const listed = await alerts(`&rule=outside_allowlist&key_id=${key.apiKey}`);
      assert.deepEqual(
        listed.map((a) => [a.client_ip, a.severity]).sort(),
        [
          ['192.0.2.5', 'high'],
          ['192.0.2.6', 'medium'],
        ],
      );
    });

    it('a key used successfully from an address it never was raises new_address, once per address', async () => {
      const key = await newKey();
      assert.equal((await status(key, '198.51.100.1')).json().error_code, 'order_not_found', 'authenticated: the key was used');
      await status(key, '198.51.100.1');
      assert.deepEqual(await alerts(`&rule=new_address&key_id=${key.keyId}`), [], 'the first address is the baseline');
      await status(key, '198.51.100.2');
      await status(key, '198.51.100.2');
      const listed = await alerts(`&rule=new_address&key_id=${key.keyId}`);
      assert.equal(listed.length, 1);
      assert.equal(listed[0]?.client_ip, '198.51.100.2');
      assert.equal(listed[0]?.severity, 'medium');
    });

    it('a sudden rise in a merchant\'s request rate raises request_rate_spike', async () => {
      const key = await newKey();
      // The previous minute was quiet: the threshold is the minimum, 15 requests in a minute.
      gw.clock.advanceSeconds(120);
      for (let i = 0; i < 14; i++) await status(key);
      assert.deepEqual(await alerts('&rule=request_rate_spike'), []);
      await status(key);
      const listed = await alerts('&rule=request_rate_spike');
      assert.equal(listed.length, 1);
      assert.equal(listed[0]?.key_id, null);
      assert.equal(listed[0]?.details.requests_this_minute, 15);
    });

    it('a key past the maximum age in use raises expired_key_used', async () => {
      gw.clock.advanceSeconds(31 * 86_400);
      assert.equal((await status(gw.sandbox)).json().error_code, 'expired_api_key');
      const listed = await alerts('&rule=expired_key_used');
      assert.equal(listed.length, 1);
      assert.equal(listed[0]?.key_id, gw.sandbox.keyId);
    });

    it('operators filter, acknowledge (once: the first note stays) and page alerts', async () => {
      const all = await alerts();
      assert.ok(all.length >= 6);
      const target = all[0] as AlertJson;
      const ack = await gw.admin('POST', `/admin/v1/alerts/${target.alert_id}/acknowledge`, { note: 'rotated the key' });
      assert.equal(ack.statusCode, 200, ack.body);
      assert.equal((ack.json() as { alert: AlertJson }).alert.acknowledged_note, 'rotated the key');
      const again = await gw.admin('POST', `/admin/v1/alerts/${target.alert_id}/acknowledge`, { note: 'second' });
      assert.equal((again.json() as { alert: AlertJson }).alert.acknowledged_note, 'rotated the key');
      const open = await alerts('&state=open');
      assert.equal(open.length, all.length - 1);
      assert.equal(open.some((a) => a.alert_id === target.alert_id), false);
      assert.deepEqual((await alerts('&state=acknowledged')).map((a) => a.alert_id), [target.alert_id]);

      const page = await gw.admin('GET', `/admin/v1/alerts?merchant_id=${gw.sandbox.merchantId}&limit=2`);
      const paged = page.json() as { alerts: AlertJson[]; next_to: string | null };
      assert.equal(paged.alerts.length, 2);
      assert.ok(paged.next_to);

      const missing = await gw.admin('GET', '/admin/v1/alerts/alr_000000000000000000000000');
      assert.equal(missing.statusCode, 404);
      assert.equal(missing.json().error_code, 'alert_not_found');
      const badRule = await gw.admin('GET', '/admin/v1/alerts?rule=nope');
      assert.equal(badRule.statusCode, 400);
      assert.equal(badRule.json().error_code, 'validation_failed');
    });

    it('two writers raising the same anomaly store one alert: the second only adds occurrences', async () => {
      const at = new Date(gw.clock.nowMs());
      const candidate = {
        id: 'alr_111111111111111111111111',
        merchantId: gw.sandbox.merchantId,
        mode: 'test' as const,
        keyId: gw.sandbox.keyId,
        rule: 'new_address',
        severity: 'medium' as const,
        clientIp: '192.0.2.99',
        summary: 'test',
        details: {},
        dedupeKey: `new_address:${gw.sandbox.keyId}:192.0.2.99`,
        occurrences: 2,
        firstSeenAt: at,
        lastSeenAt: at,
      };
      assert.equal((await upsertAlerts(gw.gateway.db, [candidate])).length, 1);
      assert.deepEqual(await upsertAlerts(gw.gateway.db, [{ ...candidate, id: 'alr_222222222222222222222222', occurrences: 3 }]), []);
      const stored = await gw.admin('GET', '/admin/v1/alerts/alr_111111111111111111111111');
      assert.equal((stored.json() as { alert: AlertJson }).alert.occurrences, 5);
    });
  });
}
