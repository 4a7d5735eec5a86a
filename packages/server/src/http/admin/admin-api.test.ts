import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { assertRefused } from '../../test-support/auth-refusal-suite.js';
import { BACKENDS } from '../../test-support/backends.js';
import { orderBody, startTestGateway, type TestGateway, type TestKey } from '../../test-support/test-gateway.js';

const CREATE = '/api/v3/pg/order/create';
const STATUS = '/api/v3/pg/order/status';

for (const backend of BACKENDS) {
  describe(`admin API and key policy on ${backend.name}`, () => {
    let gw: TestGateway;
    before(async () => {
      gw = await startTestGateway(backend);
    });
    after(async () => {
      await gw?.close();
    });

    async function newMerchant(mode: 'sandbox' | 'live' = 'sandbox'): Promise<TestKey & { body: Record<string, any> }> {
      const res = await gw.admin('POST', '/admin/v1/merchants', { name: `Shop ${mode}`, mode });
      assert.equal(res.statusCode, 201, res.body);
      const body = res.json();
      return { merchantId: body.merchant.id, keyId: body.key.id, apiKey: body.key.api_key, secretKey: body.key.secret_key, body };
    }

    async function works(key: TestKey, extra: Partial<Parameters<TestGateway['send']>[0]> = {}) {
      gw.clock.advanceSeconds(1);
      return gw.send({ path: CREATE, body: orderBody(), key, ...extra });
    }

    describe('who may call it', () => {
      it('refuses the admin API without the admin token (401 admin_unauthorized)', async () => {
        assertRefused(await gw.gateway.app.inject({ method: 'GET', url: '/admin/v1/merchants' }), 401, 'admin_unauthorized');
        assertRefused(await gw.admin('GET', '/admin/v1/merchants', undefined, 'tja_wrong_token_wrong_token_wrong_token_x'), 401, 'admin_unauthorized');
      });

      it('is not opened by a merchant API key and signature', async () => {
        const res = await gw.send({ method: 'GET', path: '/admin/v1/merchants', body: undefined, headers: { 'content-type': undefined } });
        assertRefused(res, 401, 'admin_unauthorized');
      });

      it('does not open the merchant API with the admin token', async () => {
        const res = await gw.gateway.app.inject({
          method: 'POST',
          url: CREATE,
          headers: { authorization: 'Bearer tja_test_admin_token_0123456789abcdefghij', 'content-type': 'application/json' },
          payload: JSON.stringify(orderBody()),
        });
        assertRefused(res, 401, 'missing_auth_header');
      });
    });

    describe('merchants and keys', () => {
      it('creates a merchant whose key works at once, and shows the secret only in that reply', async () => {
        const m = await newMerchant();
        assert.match(m.apiKey, /^pk_test_/);
        assert.match(m.secretKey, /^sk_test_/);
        assert.equal((await works(m)).statusCode, 200);
        const shown = await gw.admin('GET', `/admin/v1/merchants/${m.merchantId}`);
        assert.equal(shown.statusCode, 200);
        assert.equal(shown.body.includes(m.secretKey), false);
        assert.equal(shown.json().keys[0].api_key, m.apiKey);
        const listed = await gw.admin('GET', '/admin/v1/merchants');
        assert.ok(listed.json().merchants.some((x: { id: string }) => x.id === m.merchantId));
      });

      it('issues live keys as pk_live_ that see only live orders', async () => {
        const m = await newMerchant('live');
        assert.match(m.apiKey, /^pk_live_/);
        const body = orderBody();
        gw.clock.advanceSeconds(1);
        assert.equal((await gw.send({ path: CREATE, key: m, body })).json().return_data.mode, 'live');
        const extra = await gw.admin('POST', `/admin/v1/merchants/${m.merchantId}/keys`, { mode: 'sandbox', label: 'ci' });
        const sandboxKey = { ...m, apiKey: extra.json().key.api_key, secretKey: extra.json().key.secret_key };
        assertRefused(await gw.send({ path: STATUS, key: sandboxKey, body: { order_id: body.order_id } }), 404, 'order_not_found');
      });

      it('answers unknown merchants and keys with 404', async () => {
        assertRefused(await gw.admin('GET', '/admin/v1/merchants/mer_000000000000000000000000'), 404, 'merchant_not_found');
        assertRefused(await gw.admin('GET', '/admin/v1/keys/pk_test_000000000000000000000000'), 404, 'key_not_found');
        assertRefused(await gw.admin('POST', '/admin/v1/merchants', { name: '' }), 400, 'validation_failed');
      });

      it('suspends a merchant at once and reactivates it', async () => {
        const m = await newMerchant();
        assert.equal((await works(m)).statusCode, 200);
        assert.equal((await gw.admin('POST', `/admin/v1/merchants/${m.merchantId}/suspend`)).json().merchant.status, 'suspended');
        assertRefused(await works(m), 401, 'merchant_suspended');
        await gw.admin('POST', `/admin/v1/merchants/${m.merchantId}/activate`);
        assert.equal((await works(m)).statusCode, 200);
      });
    });

    describe('rotation and revocation', () => {
      it('rolls a secret: both verify during the overlap, the old one fails with its own code after it', async () => {
        const m = await newMerchant();
        const rolled = await gw.admin('POST', `/admin/v1/keys/${m.apiKey}/roll`, { overlap_seconds: 3600 });
        assert.equal(rolled.statusCode, 200, rolled.body);
        const fresh = { ...m, secretKey: rolled.json().key.secret_key as string };
        assert.notEqual(fresh.secretKey, m.secretKey);
        assert.equal(rolled.json().previous_secret_valid_until, new Date(gw.clock.nowMs() + 3600_000).toISOString());
        assert.equal((await works(m)).statusCode, 200, 'old secret during the overlap');
        assert.equal((await works(fresh)).statusCode, 200, 'new secret');
        gw.clock.advanceSeconds(3601);
        assertRefused(await works(m), 401, 'rotated_secret_expired');
        assert.equal((await works(fresh)).statusCode, 200);
      });

      it('retires the old secret at once when rolled with no overlap', async () => {
        const m = await newMerchant();
        await gw.admin('POST', `/admin/v1/keys/${m.keyId}/roll`, { overlap_seconds: 0 });
        assertRefused(await works(m), 401, 'invalid_signature');
      });

      it('refuses an overlap longer than 7 days', async () => {
        const m = await newMerchant();
        assertRefused(await gw.admin('POST', `/admin/v1/keys/${m.apiKey}/roll`, { overlap_seconds: 7 * 86400 + 1 }), 400, 'validation_failed');
      });

      it('revokes a key for the very next request, and refuses to change it afterwards', async () => {
        const m = await newMerchant();
        assert.equal((await works(m)).statusCode, 200);
        assert.equal((await gw.admin('POST', `/admin/v1/keys/${m.apiKey}/revoke`)).json().key.status, 'revoked');
        assertRefused(await works(m), 401, 'revoked_api_key');
        assertRefused(await gw.admin('POST', `/admin/v1/keys/${m.apiKey}/roll`), 409, 'key_revoked');
      });

      it('warns on every reply once the secret is older than the rotation policy, and lists the key as due', async () => {
        const m = await newMerchant();
        assert.equal((await works(m)).headers['tijori-key-warning'], undefined);
        gw.clock.advanceSeconds(91 * 86400);
        const res = await works(m);
        assert.equal(res.statusCode, 200);
        assert.match(String(res.headers['tijori-key-warning']), /91 days old/);
        const unsigned = await works(m, { signWith: { secret: 'sk_test_wrong' } });
        assert.equal(unsigned.headers['tijori-key-warning'], undefined, 'only a signed caller learns the age');
        const due = await gw.admin('GET', '/admin/v1/keys?rotation_due=true');
        assert.ok(due.json().keys.some((k: { api_key: string; rotation_due: boolean }) => k.api_key === m.apiKey && k.rotation_due));
        await gw.admin('POST', `/admin/v1/keys/${m.apiKey}/roll`, { overlap_seconds: 0 });
        const after = await gw.admin('GET', '/admin/v1/keys?rotation_due=true');
        assert.equal(after.json().keys.some((k: { api_key: string }) => k.api_key === m.apiKey), false);
      });
    });

    describe('signature scheme policy', () => {
      it('refuses v1 for a key set to v2 only (401 signature_scheme_not_allowed), and accepts v2', async () => {
        const m = await newMerchant();
        const set = await gw.admin('PUT', `/admin/v1/keys/${m.apiKey}/schemes`, { schemes: ['v2'] });
        assert.deepEqual(set.json().key.allowed_schemes, ['v2']);
        assertRefused(await works(m), 401, 'signature_scheme_not_allowed');
        assert.equal((await works(m, { scheme: 'v2' })).statusCode, 200);
      });
    });

    describe('IP allowlists', () => {
      it('refuses an address outside the list with 403 naming it, before checking the signature', async () => {
        const m = await newMerchant();
        const set = await gw.admin('PUT', `/admin/v1/keys/${m.apiKey}/ip-allowlist`, { entries: ['203.0.113.0/24', '2001:db8::/32'] });
        assert.deepEqual(set.json().key.ip_allowlist, ['203.0.113.0/24', '2001:db8::/32']);
        const refused = assertRefused(await works(m, { remoteAddress: '198.51.100.7' }), 403, 'ip_not_allowed');
        assert.equal((refused.details as { client_ip: string }).client_ip, '198.51.100.7');
        assertRefused(await works(m, { remoteAddress: '198.51.100.7', signWith: { secret: 'sk_test_wrong' } }), 403, 'ip_not_allowed');
        assert.equal((await works(m, { remoteAddress: '203.0.113.200' })).statusCode, 200);
        assert.equal((await works(m, { remoteAddress: '::ffff:203.0.113.9' })).statusCode, 200, 'IPv4-mapped IPv6');
        assert.equal((await works(m, { remoteAddress: '2001:db8::42' })).statusCode, 200);
      });

      it('ignores X-Forwarded-For when no proxy is trusted, so it cannot be spoofed', async () => {
        const m = await newMerchant();
        await gw.admin('PUT', `/admin/v1/keys/${m.apiKey}/ip-allowlist`, { entries: ['203.0.113.0/24'] });
        const res = await works(m, { remoteAddress: '198.51.100.7', headers: { 'x-forwarded-for': '203.0.113.5' } });
        assertRefused(res, 403, 'ip_not_allowed');
      });

      it('in report-only mode lets outside addresses through and lists them in the activity', async () => {
        const m = await newMerchant();
        await gw.admin('PUT', `/admin/v1/keys/${m.apiKey}/ip-allowlist`, { entries: ['203.0.113.0/24'], mode: 'report' });
        assert.equal((await works(m, { remoteAddress: '198.51.100.9' })).statusCode, 200);
        assert.equal((await works(m, { remoteAddress: '203.0.113.1' })).statusCode, 200);
        const activity = (await gw.admin('GET', `/admin/v1/merchants/${m.merchantId}/activity`)).json().activity as Array<Record<string, unknown>>;
        const outside = activity.find((a) => a.ip === '198.51.100.9');
        assert.equal(outside?.outside_allowlist, 1);
        assert.equal(activity.find((a) => a.ip === '203.0.113.1')?.outside_allowlist, 0);
        const key = (await gw.admin('GET', `/admin/v1/keys/${m.apiKey}`)).json().key;
        assert.ok(key.last_used_at, 'last_used_at is kept');
        assert.ok(['198.51.100.9', '203.0.113.1'].includes(key.last_used_ip));
      });

      it('counts refused addresses in the activity', async () => {
        const m = await newMerchant();
        await gw.admin('PUT', `/admin/v1/keys/${m.apiKey}/ip-allowlist`, { entries: ['203.0.113.0/24'] });
        await works(m, { remoteAddress: '192.0.2.50' });
        const activity = (await gw.admin('GET', `/admin/v1/merchants/${m.merchantId}/activity`)).json().activity as Array<Record<string, unknown>>;
        assert.deepEqual(
          activity.filter((a) => a.ip === '192.0.2.50').map((a) => [a.requests, a.refused]),
          [[1, 1]],
        );
      });

      it('refuses entries that are not addresses or ranges', async () => {
        const m = await newMerchant();
        assertRefused(await gw.admin('PUT', `/admin/v1/keys/${m.apiKey}/ip-allowlist`, { entries: ['10.0.0.0/33'] }), 400, 'validation_failed');
      });
    });

    describe('rate limits', () => {
      it('answers 429 with Retry-After and RateLimit headers once the key has spent its budget', async () => {
        const m = await newMerchant();
        await gw.admin('PUT', `/admin/v1/keys/${m.apiKey}/rate-limit`, { per_minute: 2 });
        const first = await works(m);
        assert.equal(first.statusCode, 200);
        assert.equal(first.headers['ratelimit-limit'], '2');
        assert.equal(first.headers['ratelimit-remaining'], '1');
        assert.equal((await gw.send({ path: CREATE, body: orderBody(), key: m })).statusCode, 200);
        const third = await gw.send({ path: CREATE, body: orderBody(), key: m });
        assertRefused(third, 429, 'rate_limited');
        assert.ok(Number(third.headers['retry-after']) >= 1);
        assert.equal(third.headers['ratelimit-remaining'], '0');
        gw.clock.advanceSeconds(30);
        assert.equal((await gw.send({ path: CREATE, body: orderBody(), key: m })).statusCode, 200, 'a token returns after 60/2 s');
      });

      it('does not spend a budget on requests with a bad signature', async () => {
        const m = await newMerchant();
        await gw.admin('PUT', `/admin/v1/keys/${m.apiKey}/rate-limit`, { per_minute: 1 });
        for (let i = 0; i < 5; i++) await gw.send({ path: CREATE, body: orderBody(), key: m, signWith: { secret: 'sk_test_wrong' } });
        assert.equal((await works(m)).statusCode, 200);
      });
    });
  });

  describe(`limits on failed authentication per address on ${backend.name}`, () => {
    it('turns an address away after too many failures, without affecting other addresses', async () => {
      const gw = await startTestGateway(backend, { TIJORI_AUTH_FAILURES_PER_MINUTE_PER_IP: '3' });
      try {
        const bad = { path: CREATE, body: orderBody(), signWith: { secret: 'sk_test_wrong' }, remoteAddress: '198.51.100.66' };
        for (let i = 0; i < 4; i++) assertRefused(await gw.send(bad), 401, 'invalid_signature');
        const blocked = await gw.send({ path: CREATE, body: orderBody(), remoteAddress: '198.51.100.66' });
        assertRefused(blocked, 429, 'too_many_auth_failures');
        assert.ok(Number(blocked.headers['retry-after']) >= 1);
        assert.equal((await gw.send({ path: CREATE, body: orderBody(), remoteAddress: '198.51.100.67' })).statusCode, 200);
        gw.clock.advanceSeconds(61);
        assert.equal((await gw.send({ path: CREATE, body: orderBody(), remoteAddress: '198.51.100.66' })).statusCode, 200);
      } finally {
        await gw.close();
      }
    });
  });

  describe(`IP allowlists behind a trusted proxy on ${backend.name}`, () => {
    it('reads the client from X-Forwarded-For only through the configured proxy, from the right', async () => {
      const gw = await startTestGateway(backend, { TIJORI_TRUSTED_PROXIES: '10.0.0.0/8' });
      try {
        await gw.admin('PUT', `/admin/v1/keys/${gw.sandbox.apiKey}/ip-allowlist`, { entries: ['203.0.113.0/24'] });
        const via = (xff: string, remoteAddress = '10.1.2.3') => {
          gw.clock.advanceSeconds(1);
          return gw.send({ path: CREATE, body: orderBody(), remoteAddress, headers: { 'x-forwarded-for': xff } });
        };
        assert.equal((await via('203.0.113.5')).statusCode, 200, 'the proxy vouches for the client');
        assert.equal((await via('203.0.113.5, 10.0.0.9')).statusCode, 200, 'a second trusted hop is skipped');
        const spoof = assertRefused(await via('203.0.113.5, 198.51.100.7'), 403, 'ip_not_allowed');
        assert.equal((spoof.details as { client_ip: string }).client_ip, '198.51.100.7', 'a client-written left part is not believed');
        assertRefused(await via('203.0.113.5', '198.51.100.8'), 403, 'ip_not_allowed');
      } finally {
        await gw.close();
      }
    });
  });

  describe(`rate limits switched off on ${backend.name}`, () => {
    it('takes no budget and sends no RateLimit headers when TIJORI_RATE_LIMITS_ENABLED=false', async () => {
      const gw = await startTestGateway(backend, { TIJORI_RATE_LIMITS_ENABLED: 'false' });
      try {
        await gw.admin('PUT', `/admin/v1/keys/${gw.sandbox.apiKey}/rate-limit`, { per_minute: 1 });
        for (let i = 0; i < 3; i++) {
          const res = await gw.send({ path: CREATE, body: orderBody() });
          assert.equal(res.statusCode, 200, res.body);
          assert.equal(res.headers['ratelimit-limit'], undefined);
        }
      } finally {
        await gw.close();
      }
    });
  });

  describe(`hard key expiry on ${backend.name}`, () => {
    it('refuses keys whose secret is older than TIJORI_KEY_MAX_AGE_DAYS (401 expired_api_key) until rolled', async () => {
      const gw = await startTestGateway(backend, { TIJORI_KEY_MAX_AGE_DAYS: '30' });
      try {
        gw.clock.advanceSeconds(31 * 86400);
        assertRefused(await gw.send({ path: CREATE, body: orderBody() }), 401, 'expired_api_key');
        const rolled = await gw.admin('POST', `/admin/v1/keys/${gw.sandbox.apiKey}/roll`, { overlap_seconds: 0 });
        const res = await gw.send({ path: CREATE, body: orderBody(), key: { ...gw.sandbox, secretKey: rolled.json().key.secret_key } });
        assert.equal(res.statusCode, 200, res.body);
      } finally {
        await gw.close();
      }
    });
  });
}
