import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { LightMyRequestResponse } from 'fastify';
import { generate } from 'otplib';
import { BACKENDS } from '../../test-support/backends.js';
import { Browser, CHEAP_ARGON2, errorCode, newEmail, ORIGIN, PASSWORD } from '../../test-support/dashboard-browser.js';
import { startTestGateway, type TestGateway } from '../../test-support/test-gateway.js';

async function totpCode(gw: TestGateway, secret: string, offsetSteps = 0): Promise<string> {
  return generate({ secret, epoch: Math.floor(gw.clock.nowMs() / 1000) + offsetSteps * 30 });
}

/** Signs up and enrols 2FA; returns the secret and recovery codes. */
async function withTwoFactor(b: Browser): Promise<{ email: string; secret: string; recoveryCodes: string[] }> {
  const email = await b.signUp();
  const enrol = await b.call('POST', '/2fa/enrol');
  assert.equal(enrol.statusCode, 200, enrol.body);
  const { secret, otpauth_uri, qr_code } = enrol.json() as { secret: string; otpauth_uri: string; qr_code: string };
  assert.match(otpauth_uri, /^otpauth:\/\/totp\/Tijori:/);
  assert.match(qr_code, /^data:image\/svg\+xml;base64,/);
  const confirm = await b.call('POST', '/2fa/confirm', { code: await totpCode(b.gw, secret) });
  assert.equal(confirm.statusCode, 200, confirm.body);
  const recoveryCodes = (confirm.json() as { recovery_codes: string[] }).recovery_codes;
  assert.equal(recoveryCodes.length, 10);
  return { email, secret, recoveryCodes };
}

for (const backend of BACKENDS) {
  describe(`dashboard API (${backend.name})`, () => {
    let gw: TestGateway;
    before(async () => {
      gw = await startTestGateway(backend, { ...CHEAP_ARGON2, TIJORI_DASHBOARD_SESSION_IDLE_SECONDS: '1800', TIJORI_DASHBOARD_SESSION_ABSOLUTE_SECONDS: '43200' });
    });
    after(async () => {
      await gw.close();
    });

    it('signs up a merchant and its owner, and never stores the email in clear', async () => {
      const b = new Browser(gw);
      const email = await b.signUp('Owner.Case@Shop.example');
      const me = await b.me();
      assert.equal(me.user.role, 'owner');
      assert.equal(me.user.email, 'Owner.Case@Shop.example');
      const rows = await gw.gateway.db.query<Record<string, unknown>>('SELECT * FROM dashboard_users WHERE id = $1', [me.user.id]);
      const dump = JSON.stringify(rows, (_k, v: unknown) => (v instanceof Uint8Array ? Buffer.from(v).toString('latin1') : v));
      assert.ok(!dump.toLowerCase().includes('owner.case'), 'the email must not be stored in clear');
      assert.ok(!dump.includes(PASSWORD));
      // Look-ups ignore case: sign-in finds the account through the blind index.
      const again = new Browser(gw);
      assert.equal((await again.signIn(email.toUpperCase())).statusCode, 200);
    });

    it('sets the session cookie HttpOnly, Secure, SameSite=Strict, Path=/ and rotates it at sign-in', async () => {
      const b = new Browser(gw);
      const email = await b.signUp();
      const first = b.cookie;
      const res = await b.signIn(email);
      assert.equal(res.statusCode, 200);
      assert.match(String(res.headers['set-cookie']), /^tijori_session=[A-Za-z0-9_-]{43}; Path=\/; HttpOnly; SameSite=Strict; Secure$/);
      assert.notEqual(b.cookie, first);
      // The token is stored only as its hash.
      const stored = await gw.gateway.db.query('SELECT 1 FROM dashboard_sessions WHERE token_hash = $1 OR id = $1', [b.cookie]);
      assert.equal(stored.length, 0);
    });

    it('drops Secure only on plain http to localhost in sandbox mode', async () => {
      const b = new Browser(gw);
      const res = await b.call('POST', '/sign-up', { merchant_name: 'Local', email: newEmail(), password: PASSWORD }, { host: 'localhost:8080' });
      assert.equal(res.statusCode, 201);
      assert.doesNotMatch(String(res.headers['set-cookie']), /Secure/);
    });

    it('answers an unknown email and a wrong password the same way', async () => {
      const b = new Browser(gw);
      const email = await b.signUp();
      const wrong = await new Browser(gw).signIn(email, 'not the right password');
      const unknown = await new Browser(gw).signIn(newEmail(), 'not the right password');
      assert.equal(wrong.statusCode, 401);
      assert.equal(unknown.statusCode, 401);
      const strip = (r: LightMyRequestResponse) => ({ ...(r.json() as object), request_id: undefined });
      assert.deepEqual(strip(wrong), strip(unknown));
      assert.equal(errorCode(wrong), 'invalid_credentials');
      assert.equal(wrong.headers['set-cookie'], undefined);
    });

    it('refuses short and common passwords with the reason', async () => {
      const b = new Browser(gw);
      const short = await b.call('POST', '/sign-up', { merchant_name: 'S', email: newEmail(), password: 'short' });
      assert.equal(errorCode(short), 'weak_password');
      assert.equal((short.json() as { details: { reason: string } }).details.reason, 'too_short');
      const common = await b.call('POST', '/sign-up', { merchant_name: 'S', email: newEmail(), password: 'password1234' });
      assert.equal((common.json() as { details: { reason: string } }).details.reason, 'common');
    });

    it('refuses a body holding U+0000 (PostgreSQL cannot store it) with 400, not a 500', async () => {
      const b = new Browser(gw);
      const res = await b.call('POST', '/sign-up', { merchant_name: 'Nul\u0000Shop', email: newEmail(), password: PASSWORD });
      assert.equal(res.statusCode, 400, res.body);
      assert.equal(errorCode(res), 'validation_failed');
    });

    it('locks an account after five failures with a wait that doubles, caps at 15 minutes, and opens to the right password after it', async () => {
      const email = await new Browser(gw).signUp();
      const attacker = new Browser(gw);
      for (let i = 0; i < 5; i++) assert.equal((await attacker.signIn(email, `wrong password ${i}`)).statusCode, 401);
      // Even the right password, from another address, waits: the lock is on the account.
      const victim = new Browser(gw);
      const locked = await victim.signIn(email);
      assert.equal(locked.statusCode, 429);
      assert.equal(errorCode(locked), 'sign_in_throttled');
      assert.equal(locked.headers['retry-after'], '30');
      gw.clock.advanceSeconds(30);
      assert.equal((await attacker.signIn(email, 'wrong again')).statusCode, 401);
      assert.equal((await victim.signIn(email)).headers['retry-after'], '60');
      // Many more failures: the wait never exceeds 15 minutes.
      for (let i = 0; i < 8; i++) {
        gw.clock.advanceSeconds(900);
        assert.equal((await attacker.signIn(email, `wrong ${i}`)).statusCode, 401);
      }
      assert.equal((await victim.signIn(email)).headers['retry-after'], '900');
      gw.clock.advanceSeconds(900);
      assert.equal((await victim.signIn(email)).statusCode, 200);
    });

    it('locks an unknown email exactly like a real one', async () => {
      const b = new Browser(gw);
      const nobody = newEmail();
      for (let i = 0; i < 5; i++) await b.signIn(nobody, `wrong password ${i}`);
      const res = await b.signIn(nobody, 'wrong password x');
      assert.equal(res.statusCode, 429);
      assert.equal(res.headers['retry-after'], '30');
    });

    it('throttles failures per address across accounts', async () => {
      const local = await startTestGateway(backend, { ...CHEAP_ARGON2, TIJORI_DASHBOARD_SIGN_IN_FAILURES_PER_HOUR_PER_IP: '3' });
      try {
        const b = new Browser(local, '10.200.0.1');
        for (let i = 0; i < 4; i++) assert.equal((await b.signIn(newEmail(), 'wrong password')).statusCode, 401);
        const res = await b.signIn(newEmail(), 'wrong password');
        assert.equal(res.statusCode, 429);
        assert.equal(errorCode(res), 'sign_in_throttled');
        assert.equal((await new Browser(local, '10.200.0.2').signIn(newEmail(), 'wrong password')).statusCode, 401);
      } finally {
        await local.close();
      }
    });

    it('enrols TOTP, then asks for a code at every sign-in; a code is not accepted twice', async () => {
      const b = new Browser(gw);
      const { email, secret } = await withTwoFactor(b);
      const s = new Browser(gw);
      const first = await s.signIn(email);
      assert.equal(first.statusCode, 200);
      assert.equal((first.json() as { stage: string }).stage, 'totp');
      // The half-signed-in session reaches nothing but the code step.
      assert.equal(errorCode(await s.call('GET', '/users')), 'dashboard_sign_in_required');
      gw.clock.advanceSeconds(30);
      const code = await totpCode(gw, secret);
      assert.equal((await s.call('POST', '/sign-in/totp', { code: '000000' === code ? '111111' : '000000' })).statusCode, 401);
      const pending = s.cookie;
      const done = await s.call('POST', '/sign-in/totp', { code });
      assert.equal(done.statusCode, 200, done.body);
      assert.equal((done.json() as { stage: string }).stage, 'full');
      assert.notEqual(s.cookie, pending, 'rotated when the sign-in completed');
      assert.equal((await s.call('GET', '/users')).statusCode, 200);
      // The same code again, in its window, on another sign-in: refused.
      const t = new Browser(gw);
      await t.signIn(email);
      const replay = await t.call('POST', '/sign-in/totp', { code });
      assert.equal(errorCode(replay), 'invalid_second_factor');
    });

    it('accepts each recovery code once', async () => {
      const { email, recoveryCodes } = await withTwoFactor(new Browser(gw));
      const code = recoveryCodes[0] as string;
      const a = new Browser(gw);
      await a.signIn(email);
      assert.equal((await a.call('POST', '/sign-in/totp', { code: code.toUpperCase() })).statusCode, 200);
      const b = new Browser(gw);
      await b.signIn(email);
      assert.equal(errorCode(await b.call('POST', '/sign-in/totp', { code })), 'invalid_second_factor');
      const rows = await gw.gateway.db.query('SELECT 1 FROM dashboard_recovery_codes WHERE code_hash = $1', [code]);
      assert.equal(rows.length, 0, 'stored hashed');
    });

    it('asks for re-authentication before 2FA is disabled, and rotates the session on it', async () => {
      const b = new Browser(gw);
      const { secret } = await withTwoFactor(b);
      gw.clock.advanceSeconds(301);
      assert.equal(errorCode(await b.call('POST', '/2fa/disable')), 'reauthentication_required');
      assert.equal(errorCode(await b.call('POST', '/reauth', { password: 'wrong password!' })), 'invalid_credentials');
      const before = b.cookie;
      const reauth = await b.call('POST', '/reauth', { code: await totpCode(gw, secret) });
      assert.equal(reauth.statusCode, 200, reauth.body);
      assert.notEqual(b.cookie, before);
      assert.equal((await b.call('POST', '/2fa/disable')).statusCode, 204);
      assert.equal((await b.me()).user.role, 'owner');
    });

    it('lets an owner require 2FA for everyone: a user without it must enrol before anything else', async () => {
      const owner = new Browser(gw);
      const { secret } = await withTwoFactor(owner);
      const add = await owner.call('POST', '/users', { email: newEmail(), role: 'developer' });
      assert.equal(add.statusCode, 201, add.body);
      const added = add.json() as { user: { email: string }; initial_password: string };
      const dev = new Browser(gw);
      assert.equal((await dev.signIn(added.user.email, added.initial_password)).statusCode, 200);
      assert.equal(errorCode(await dev.call('PUT', '/merchant/require-2fa', { required: true })), 'role_not_allowed');
      gw.clock.advanceSeconds(301);
      assert.equal(errorCode(await owner.call('PUT', '/merchant/require-2fa', { required: true })), 'reauthentication_required');
      await owner.call('POST', '/reauth', { code: await totpCode(gw, secret) });
      assert.equal((await owner.call('PUT', '/merchant/require-2fa', { required: true })).statusCode, 200);
      // At once, for the developer's existing session too.
      assert.equal(errorCode(await dev.call('GET', '/users')), 'two_factor_enrolment_required');
      const again = new Browser(gw);
      assert.equal(((await again.signIn(added.user.email, added.initial_password)).json() as { stage: string }).stage, 'enrol');
      const enrol = await again.call('POST', '/2fa/enrol');
      const devSecret = (enrol.json() as { secret: string }).secret;
      assert.equal((await again.call('POST', '/2fa/confirm', { code: await totpCode(gw, devSecret) })).statusCode, 200);
      assert.equal((await again.call('GET', '/users')).statusCode, 200);
      assert.equal(errorCode(await again.call('POST', '/2fa/disable')), 'two_factor_required_by_merchant');
    });

    it('ends a session after the idle timeout and after the absolute timeout', async () => {
      const b = new Browser(gw);
      await b.signUp();
      gw.clock.advanceSeconds(1799);
      assert.equal((await b.call('GET', '/me')).statusCode, 200);
      gw.clock.advanceSeconds(1800);
      assert.equal(errorCode(await b.call('GET', '/me')), 'dashboard_sign_in_required');

      const c = new Browser(gw);
      await c.signUp();
      for (let t = 0; t < 43200 - 1200; t += 1200) {
        gw.clock.advanceSeconds(1200);
        assert.equal((await c.call('GET', '/me')).statusCode, 200);
      }
      gw.clock.advanceSeconds(1200);
      assert.equal(errorCode(await c.call('GET', '/me')), 'dashboard_sign_in_required');
    });

    it('lists the user\'s sessions and revokes one; another user\'s session cannot be revoked', async () => {
      const a = new Browser(gw);
      const email = await a.signUp();
      const other = new Browser(gw);
      assert.equal((await other.signIn(email)).statusCode, 200);
      const list = (await a.call('GET', '/sessions')).json() as { sessions: { id: string; current: boolean }[] };
      assert.equal(list.sessions.length, 2);
      const otherId = list.sessions.find((s) => !s.current)?.id as string;
      const stranger = new Browser(gw);
      await stranger.signUp();
      assert.equal(errorCode(await stranger.call('DELETE', `/sessions/${otherId}`)), 'session_not_found');
      assert.equal((await a.call('DELETE', `/sessions/${otherId}`)).statusCode, 204);
      assert.equal(errorCode(await other.call('GET', '/me')), 'dashboard_sign_in_required');
      assert.equal((await a.call('POST', '/sign-out')).statusCode, 204);
      assert.equal(a.cookie, undefined);
    });

    it('refuses state changes without the session\'s CSRF token, with another session\'s, or from another origin', async () => {
      const a = new Browser(gw);
      await a.signUp();
      const b = new Browser(gw);
      await b.signUp();
      const body = { email: newEmail(), role: 'viewer' };
      assert.equal(errorCode(await a.call('POST', '/users', body, { 'x-csrf-token': undefined })), 'csrf_token_invalid');
      assert.equal(errorCode(await a.call('POST', '/users', body, { 'x-csrf-token': b.csrf })), 'csrf_token_invalid');
      assert.equal(errorCode(await a.call('POST', '/users', body, { origin: 'https://evil.example' })), 'origin_not_allowed');
      assert.equal(errorCode(await a.call('POST', '/users', body, { origin: undefined })), 'origin_not_allowed');
      assert.equal(errorCode(await new Browser(gw).call('POST', '/sign-in', { email: newEmail(), password: PASSWORD }, { origin: 'https://evil.example' })), 'origin_not_allowed');
      const csrf = (await a.call('GET', '/csrf')).json() as { csrf_token: string };
      assert.equal(csrf.csrf_token, a.csrf);
      assert.equal((await a.call('POST', '/users', body)).statusCode, 201);
    });

    it('answers CORS for the configured origin only, with credentials', async () => {
      const a = new Browser(gw);
      const ok = await a.call('OPTIONS', '/sign-in', undefined, { 'access-control-request-method': 'POST' });
      assert.equal(ok.statusCode, 204);
      assert.equal(ok.headers['access-control-allow-origin'], ORIGIN);
      assert.equal(ok.headers['access-control-allow-credentials'], 'true');
      assert.match(String(ok.headers['access-control-allow-headers']), /X-CSRF-Token/);
      const evil = await a.call('OPTIONS', '/sign-in', undefined, { origin: 'https://evil.example', 'access-control-request-method': 'POST' });
      assert.equal(evil.statusCode, 403);
      assert.equal(evil.headers['access-control-allow-origin'], undefined);
      const get = await a.call('GET', '/me', undefined, { origin: 'https://evil.example' });
      assert.equal(get.headers['access-control-allow-origin'], undefined);
    });

    it('sends no CORS headers at all on the merchant API, preflights included', async () => {
      for (const method of ['OPTIONS', 'POST', 'GET'] as const) {
        const res = await gw.gateway.app.inject({ method, url: '/api/v3/orders', headers: { origin: ORIGIN, 'access-control-request-method': 'POST' } });
        const cors = Object.keys(res.headers).filter((h) => h.startsWith('access-control-'));
        assert.deepEqual(cors, [], `${method} /api/ must send no CORS headers`);
      }
      const signed = await gw.send({ path: '/api/v3/orders', method: 'POST', body: {}, headers: { origin: ORIGIN } });
      assert.deepEqual(Object.keys(signed.headers).filter((h) => h.startsWith('access-control-')), []);
    });

    it('sends the security headers on dashboard replies', async () => {
      const res = await new Browser(gw).call('GET', '/me');
      assert.equal(res.headers['content-security-policy'], "default-src 'none'; frame-ancestors 'none'");
      assert.equal(res.headers['x-content-type-options'], 'nosniff');
      assert.equal(res.headers['referrer-policy'], 'no-referrer');
      assert.equal(res.headers['cache-control'], 'no-store');
    });

    it('keeps viewers from changing anything and developers from managing users', async () => {
      const owner = new Browser(gw);
      await owner.signUp();
      const users: Record<string, Browser> = {};
      for (const role of ['developer', 'viewer'] as const) {
        const res = await owner.call('POST', '/users', { email: newEmail(), role });
        const added = res.json() as { user: { email: string }; initial_password: string };
        users[role] = new Browser(gw);
        await users[role].signIn(added.user.email, added.initial_password);
      }
      const ownerId = (await owner.me()).user.id;
      for (const role of ['developer', 'viewer']) {
        const b = users[role] as Browser;
        assert.equal((await b.call('GET', '/users')).statusCode, 200);
        assert.equal(errorCode(await b.call('POST', '/users', { email: newEmail(), role: 'owner' })), 'role_not_allowed');
        assert.equal(errorCode(await b.call('PATCH', `/users/${ownerId}`, { role: 'viewer' })), 'role_not_allowed');
      }
      assert.equal(errorCode(await owner.call('PATCH', `/users/${ownerId}`, { role: 'viewer' })), 'last_owner');
    });

    it('never lets a user reach another merchant\'s users', async () => {
      const a = new Browser(gw);
      await a.signUp(newEmail(), 'Merchant A');
      const b = new Browser(gw);
      await b.signUp(newEmail(), 'Merchant B');
      const bId = (await b.me()).user.id;
      assert.equal(errorCode(await a.call('PATCH', `/users/${bId}`, { role: 'viewer' })), 'user_not_found');
      const listed = (await a.call('GET', '/users')).json() as { users: { id: string }[] };
      assert.deepEqual(listed.users.map((u) => u.id), [(await a.me()).user.id]);
      assert.equal((await b.me()).user.role, 'owner');
    });

    it('records dashboard calls in the audit log with the signed-in user\'s merchant', async () => {
      const b = new Browser(gw);
      await b.signUp();
      const merchantId = (await b.me()).merchant.id;
      await gw.gateway.audit?.flush();
      const rows = await gw.gateway.db.query<{ path: string; merchant_id: string | null }>("SELECT path, merchant_id FROM audit_log WHERE path = '/dashboard/api/me' AND merchant_id = $1", [merchantId]);
      assert.ok(rows.length >= 1);
    });
  });
}
