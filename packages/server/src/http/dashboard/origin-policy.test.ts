import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { DashboardOriginsError, parseDashboardOrigins } from './origin-policy.js';
import { cookieMayBeInsecure, readSessionTokens, sessionCookie } from './session-cookie.js';

describe('dashboard origins', () => {
  it('defaults to the public base URL origin', () => {
    assert.deepEqual([...parseDashboardOrigins('', 'https://pay.example.com')], ['https://pay.example.com']);
  });

  it('takes a comma-separated list of exact origins', () => {
    assert.deepEqual([...parseDashboardOrigins('https://a.example, http://localhost:5173', 'https://x.example')], ['https://a.example', 'http://localhost:5173']);
  });

  it('refuses at start-up what is not an origin, saying what to write', () => {
    assert.throws(() => parseDashboardOrigins('https://a.example/', 'https://x.example'), (e: Error) => e instanceof DashboardOriginsError && /did you mean https:\/\/a\.example\?/.test(e.message));
    assert.throws(() => parseDashboardOrigins('a.example', 'https://x.example'), DashboardOriginsError);
    assert.throws(() => parseDashboardOrigins('ftp://a.example', 'https://x.example'), DashboardOriginsError);
  });
});

describe('dashboard session cookie', () => {
  it('is HttpOnly, SameSite=Strict, Path=/ and Secure', () => {
    assert.equal(sessionCookie('t', true), 'tijori_session=t; Path=/; HttpOnly; SameSite=Strict; Secure');
  });

  it('drops Secure only for plain http to localhost in sandbox mode', () => {
    assert.equal(cookieMayBeInsecure('sandbox', false, 'localhost:8080'), true);
    assert.equal(cookieMayBeInsecure('sandbox', false, '127.0.0.1'), true);
    assert.equal(cookieMayBeInsecure('sandbox', false, '[::1]:8080'), true);
    assert.equal(cookieMayBeInsecure('sandbox', true, 'localhost:8080'), false);
    assert.equal(cookieMayBeInsecure('sandbox', false, 'gateway.example'), false);
    assert.equal(cookieMayBeInsecure('sandbox', false, 'localhost.evil.example'), false);
    assert.equal(cookieMayBeInsecure('production', false, 'localhost'), false);
  });

  it('reads only well-formed values of its own cookie, at most four', () => {
    const t = 'A'.repeat(43);
    assert.deepEqual(readSessionTokens(`other=${t}; tijori_session=short; tijori_session=${t}`), [t]);
    assert.equal(readSessionTokens(Array(10).fill(`tijori_session=${t}`).join('; ')).length, 4);
  });
});
